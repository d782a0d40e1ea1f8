import { describe, expect, it } from 'vitest';
import { CloudApiError } from '../../../shared/errors.js';
import { coordinateFanout, type CoordinateInput, type WorkerEvent } from '../../../shared/fleet/coordinate.js';
import type { FanoutRecord } from '../../../shared/fleet/fanout-record.js';
import { ASYNC_TASK_ALREADY_EXISTS, type FunctionInvoker } from '../../../shared/ports/function-invoker.js';
import { cert, planFor } from './fleet-fixtures.js';

/** Function Compute's async queue in memory: one task per task id, as FC deduplicates x-fc-async-task-id. */
class FakeAsyncQueue implements FunctionInvoker {
  readonly started = new Map<string, { functionName: string; event: WorkerEvent }>();
  calls = 0;
  failFor = new Set<string>();
  async invokeAsync(functionName: string, payload: unknown, options: { taskId?: string } = {}) {
    this.calls++;
    const taskId = options.taskId as string;
    const event = payload as WorkerEvent;
    if (event.certificates.some((c) => this.failFor.has(c))) {
      throw new CloudApiError('invoke', 'InvokeFunction', 'InvokeFunction w failed: HTTP 503', {
        code: 'HTTP503',
        retryable: true,
      });
    }
    if (this.started.has(taskId)) {
      throw new CloudApiError('invoke', 'InvokeFunction', 'already used', { code: ASYNC_TASK_ALREADY_EXISTS });
    }
    this.started.set(taskId, { functionName, event: structuredClone(event) });
    return { invocationId: `req-${this.started.size}` };
  }
}

const certs = [
  cert('a', 'cn-hangzhou', ['lb-1']),
  cert('b', 'cn-hangzhou', ['lb-1']),
  cert('c', 'cn-hangzhou', ['lb-2']),
  cert('d', 'cn-shanghai', ['lb-3']),
  cert('e', 'cn-shanghai', ['lb-4']),
];

function input(queue: FunctionInvoker, written: FanoutRecord[], o: Partial<CoordinateInput> = {}): CoordinateInput {
  return {
    runId: 'daily-20261130T031700Z',
    trigger: 'timer',
    mode: 'always',
    reason: 'test',
    certificates: certs,
    plan: planFor(certs, ['a', 'b', 'c', 'd']),
    maxPerWorker: 2,
    workerFunction: 'slb-cert-rotator-worker',
    force: false,
    invoker: queue,
    write: (r) => written.push(r),
    clock: () => new Date('2026-11-30T03:17:01Z'),
    ...o,
  };
}

describe('coordinateFanout', () => {
  it('starts one async invocation per partition with the worker event and task id <runId>-<key>', async () => {
    const queue = new FakeAsyncQueue();
    const written: FanoutRecord[] = [];
    const record = await coordinateFanout(input(queue, written));
    expect(written).toEqual([record]);
    expect(record).toMatchObject({ event: 'rotation.fanout', ok: true, certificates: 4, notDue: 1, maxPerWorker: 2 });
    expect(record.partitions.map((p) => p.certificates.join(',')).sort()).toEqual(['a,b', 'c', 'd']);
    expect(queue.started.size).toBe(3);
    for (const p of record.partitions) {
      expect(p.taskId).toBe(`daily-20261130T031700Z-${p.key}`);
      expect(p.invocationId).toMatch(/^req-/);
      const started = queue.started.get(p.taskId);
      expect(started?.functionName).toBe('slb-cert-rotator-worker');
      expect(started?.event).toEqual({
        mode: 'worker',
        certificates: p.certificates,
        fanout: { runId: 'daily-20261130T031700Z', partition: p.key, taskId: p.taskId },
      });
    }
  });

  it('a retried coordinator (same run id) starts nothing twice: every partition is already started, not failed', async () => {
    const queue = new FakeAsyncQueue();
    const first = await coordinateFanout(input(queue, []));
    const retry = await coordinateFanout(input(queue, []));
    expect(queue.started.size).toBe(first.partitions.length);
    expect(retry.ok).toBe(true);
    expect(retry.partitions.map((p) => p.taskId)).toEqual(first.partitions.map((p) => p.taskId));
    expect(retry.partitions.every((p) => p.alreadyStarted === true && p.invocationId === undefined)).toBe(true);
    // Even when the first run's workers have already rotated some: the same keys, so still nothing new.
    const later = await coordinateFanout(input(queue, [], { plan: planFor(certs, ['b', 'd']) }));
    expect(queue.started.size).toBe(first.partitions.length);
    expect(later.partitions.every((p) => p.alreadyStarted)).toBe(true);
    // Another run (the next day) starts them again.
    await coordinateFanout(input(queue, [], { runId: 'daily-20261201T031700Z' }));
    expect(queue.started.size).toBe(2 * first.partitions.length);
  });

  it('a partition that cannot be started is recorded with its error and ok false; the retry starts only that one', async () => {
    const queue = new FakeAsyncQueue();
    queue.failFor.add('d');
    const first = await coordinateFanout(input(queue, []));
    expect(first.ok).toBe(false);
    const failed = first.partitions.filter((p) => p.error !== undefined);
    expect(failed.map((p) => p.certificates)).toEqual([['d']]);
    expect(failed[0]?.error).toMatch(/HTTP 503/);
    queue.failFor.clear();
    const retry = await coordinateFanout(input(queue, []));
    expect(retry.ok).toBe(true);
    expect(retry.partitions.filter((p) => p.invocationId).map((p) => p.certificates)).toEqual([['d']]);
    expect(queue.started.size).toBe(3);
  });

  it('passes force on only when the run was forced', async () => {
    const queue = new FakeAsyncQueue();
    await coordinateFanout(input(queue, [], { force: true }));
    expect([...queue.started.values()].every((s) => s.event.force === true)).toBe(true);
  });

  it('a plan with nothing due starts nothing', async () => {
    const queue = new FakeAsyncQueue();
    const record = await coordinateFanout(input(queue, [], { plan: planFor(certs, []) }));
    expect(record).toMatchObject({ partitions: [], certificates: 0, notDue: 5, ok: true });
    expect(queue.calls).toBe(0);
  });
});
