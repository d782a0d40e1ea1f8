import { describe, expect, it } from 'vitest';
import { parseFcEvent } from '../../../shared/fc/events.js';
import { BadRequestError, parseRunRequest } from '../../../shared/fc/run-request.js';

const worker = {
  mode: 'worker',
  certificates: ['a', 'b'],
  fanout: { runId: 'daily-20261130T031700Z', partition: '0123456789ab', taskId: 'daily-20261130T031700Z-0123456789ab' },
};
const parse = (value: unknown) => parseRunRequest(parseFcEvent(Buffer.from(JSON.stringify(value))));
const refusal = (value: unknown): BadRequestError => {
  try {
    parse(value);
  } catch (err) {
    expect(err).toBeInstanceOf(BadRequestError);
    return err as BadRequestError;
  }
  throw new Error('the event was accepted');
};

describe('the worker event of a direct invocation', () => {
  it('is accepted exactly as the coordinator builds it', () => {
    expect(parse(worker)).toEqual({ certificates: ['a', 'b'], worker });
    expect(parse({ ...worker, force: true })).toMatchObject({ certificates: ['a', 'b'], force: true });
  });

  it('a malformed worker event is refused with 400 naming what is wrong, never read as "run everything"', () => {
    const cases: [unknown, RegExp][] = [
      [{ ...worker, mode: 'coordinator' }, /mode/],
      [{ ...worker, certificates: [] }, /certificates: a worker needs at least one certificate/],
      [{ mode: 'worker', fanout: worker.fanout }, /certificates/],
      [{ ...worker, certificates: undefined, extra: 1 }, /unknown field\(s\) extra/],
      [
        { ...worker, fanout: { ...worker.fanout, taskId: 'other-0123456789ab' } },
        /fanout\.taskId: is not <runId>-<partition>/,
      ],
      [{ ...worker, fanout: { ...worker.fanout, partition: 'XYZ' } }, /fanout\.partition/],
      [{ ...worker, fanout: { runId: worker.fanout.runId, partition: worker.fanout.partition } }, /fanout\.taskId/],
      [{ ...worker, force: false }, /force/],
    ];
    for (const [event, message] of cases) {
      const err = refusal(event);
      expect(err.status).toBe(400);
      expect(err.message).toMatch(/^worker event: /);
      expect(err.message).toMatch(message);
    }
  });

  it('only a direct invocation can be a worker: the timer payload and the HTTP body refuse `mode`', () => {
    const timer = parseFcEvent(
      Buffer.from(
        JSON.stringify({ triggerTime: '2026-11-30T03:17:00Z', triggerName: 'daily', payload: JSON.stringify(worker) }),
      ),
    );
    expect(() => parseRunRequest(timer)).toThrow(/unknown field\(s\) mode, fanout/);
  });
});
