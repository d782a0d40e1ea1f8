/**
 * The emulator's FC async system retries a failed asynchronous invocation, as Function Compute does: the same event,
 * the same request and task id, up to maxAsyncRetryAttempts more times, 0.5 s after the failure and then twice as
 * long each time; a test can SIGKILL a chosen attempt.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Fc2FunctionInvoker } from '../../shared/adapters/fc/fc2-function-invoker.js';
import { type AsyncAttempt, type Emulator, startEmulator } from '../../sandbox/emulator/index.js';

let emu: Emulator;
const seen: AsyncAttempt[] = [];
/** Attempts to kill, by task id and attempt number: resolved when the test says so. */
const kills = new Map<string, Promise<void>>();
const dir = mkdtempSync(join(tmpdir(), 'fc-retry-test-'));

beforeAll(async () => {
  emu = await startEmulator({
    tlsListeners: false,
    fcKillAsyncAttempt: (a) => {
      seen.push(a);
      return kills.get(`${a.taskId}#${a.attempt}`);
    },
  });
});
afterAll(async () => {
  await emu.close();
  rmSync(dir, { recursive: true, force: true });
});

const invoke = (fn: string, payload: unknown, taskId?: string) =>
  new Fc2FunctionInvoker({
    accountId: emu.fc.accountId,
    region: 'cn-hangzhou',
    credentials: { getCredentials: async () => emu.credentials },
    stage: 'invoke',
    endpoint: emu.fc.endpoint,
  }).invokeAsync(fn, payload, taskId ? { taskId } : {});

describe('async retries', () => {
  it('runs a failing invocation again with the same event until it succeeds, waiting longer each time', async () => {
    let calls = 0;
    const events: string[] = [];
    const startedAt: number[] = [];
    emu.fc.registerFunction({
      name: 'flaky',
      code: {
        handler: async (event) => {
          startedAt.push(performance.now());
          events.push(event.toString('utf8'));
          if (++calls < 3) throw Object.assign(new Error(`attempt ${calls} failed`), { name: 'Flaky' });
          return { ok: calls };
        },
      },
    });
    const { invocationId } = await invoke('flaky', { n: 1 }, 'flaky-task');
    const done = await emu.fc.waitForInvocation(invocationId);
    expect(done).toMatchObject({ status: 'succeeded', attempts: 3, result: { ok: 3 }, taskId: 'flaky-task' });
    expect(done.error).toBeUndefined();
    expect(done.attemptErrors.map((e) => e.message)).toEqual(['attempt 1 failed', 'attempt 2 failed']);
    expect(events).toEqual(['{"n":1}', '{"n":1}', '{"n":1}']);
    // Not at once: a killed attempt's last request may still be served, as in FC (0.5 s, then 1 s).
    const [a1 = 0, a2 = 0, a3 = 0] = startedAt;
    expect(a2 - a1).toBeGreaterThanOrEqual(490);
    expect(a3 - a2).toBeGreaterThanOrEqual(990);
    expect(seen.filter((a) => a.requestId === invocationId).map((a) => [a.attempt, a.taskId, a.event])).toEqual([
      [1, 'flaky-task', '{"n":1}'],
      [2, 'flaky-task', '{"n":1}'],
      [3, 'flaky-task', '{"n":1}'],
    ]);
  });

  it("gives up after the function's maxAsyncRetryAttempts (FC's default 3 when unset)", async () => {
    const failing = async () => {
      throw new Error('always');
    };
    emu.fc.registerFunction({ name: 'never-retried', maxAsyncRetryAttempts: 0, code: { handler: failing } });
    emu.fc.registerFunction({ name: 'default-retries', code: { handler: failing } });
    const once = await emu.fc.waitForInvocation((await invoke('never-retried', {})).invocationId);
    expect(once).toMatchObject({ status: 'failed', attempts: 1, error: { message: 'always' } });
    const four = await emu.fc.waitForInvocation((await invoke('default-retries', {})).invocationId);
    expect(four).toMatchObject({ status: 'failed', attempts: 4 });
  });

  it('a killed bundle process is retried with the same event and task id, and the retry completes', async () => {
    const bundle = join(dir, 'slow.js');
    // The first attempt blocks until killed; every attempt leaves a line in the log.
    writeFileSync(
      bundle,
      `exports.handler = async (event, context) => {
         console.log('attempt for ' + event.toString());
         if (process.env.BLOCK_FILE && !require('node:fs').existsSync(process.env.BLOCK_FILE + '.seen')) {
           require('node:fs').writeFileSync(process.env.BLOCK_FILE + '.seen', '');
           await new Promise(() => setInterval(() => {}, 1000));
         }
         return { done: JSON.parse(event.toString()), requestId: context.requestId };
       };`,
    );
    emu.fc.registerFunction({ name: 'worker', code: { bundle, env: { BLOCK_FILE: join(dir, 'block') } } });
    let release!: () => void;
    kills.set('w-1#1', new Promise<void>((r) => (release = r)));
    const { invocationId } = await invoke('worker', { partition: 'p1' }, 'w-1');
    // Kill only once the first attempt is really running (blocked in the handler).
    for (let i = 0; i < 1000 && !existsSync(join(dir, 'block.seen')); i++) {
      await new Promise((r) => setTimeout(r, 10));
    }
    release();
    const done = await emu.fc.waitForInvocation(invocationId);
    expect(done).toMatchObject({
      status: 'succeeded',
      attempts: 2,
      taskId: 'w-1',
      result: { done: { partition: 'p1' }, requestId: invocationId },
      attemptErrors: [{ type: 'ProcessKilled' }],
    });
    expect(done.logs.match(/attempt for \{"partition":"p1"\}/g)).toHaveLength(2);
  });
});
