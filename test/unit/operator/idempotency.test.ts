import { describe, expect, it } from 'vitest';
import { CloudApiError } from '../../../shared/errors.js';
import type { OperatorAuth } from '../../../shared/operator/auth.js';
import { asyncTaskIdFor, idempotencyKeyOf } from '../../../shared/operator/idempotency.js';
import { handleOperatorRequest } from '../../../shared/operator/router.js';
import { rotationStarter } from '../../../shared/operator/start-rotation.js';
import { ASYNC_TASK_ALREADY_EXISTS } from '../../../shared/ports/function-invoker.js';
import { fakeInvoker } from './fake-invoker.js';
import { NOW, fakeServices, httpEvent } from './fake-services.js';

const GATEWAY: OperatorAuth = { mode: 'function' };
const body = (res: { body: string }) => JSON.parse(res.body) as Record<string, unknown>;
const rotate = (key: string | undefined, text = '{"certificates":["shop"]}') =>
  httpEvent('POST', '/rotate', { body: text, headers: key === undefined ? {} : { 'idempotency-key': key } });
// What the FC adapter lets through into x-fc-async-task-id.
const TASK_ID = /^[A-Za-z0-9_.:-]{1,128}$/;

describe('POST /rotate with Idempotency-Key', () => {
  it('a repeat with the same key answers 200 {alreadyStarted: true} and starts nothing', async () => {
    const { services, fc } = fakeServices();
    const key = '2f1c5a8e-4b7d-4e0a-9c3f-6d2b1a0e9f87';
    const first = await handleOperatorRequest(rotate(key), services, GATEWAY, NOW);
    expect(first.statusCode).toBe(202);
    expect(body(first)).toEqual({ invocationId: 'inv-1', request: { certificates: ['shop'], force: false } });
    const again = await handleOperatorRequest(rotate(key), services, GATEWAY, NOW);
    expect(again.statusCode).toBe(200);
    expect(body(again)).toEqual({ alreadyStarted: true, request: { certificates: ['shop'], force: false } });
    expect(fc.queued).toHaveLength(1);
    expect(fc.queued[0]!.options.taskId).toBe(asyncTaskIdFor(key));
    expect(fc.refused).toHaveLength(1);
  });

  it('different keys start different runs; without a key every request starts one, with no task id', async () => {
    const { services, fc } = fakeServices();
    for (const key of ['a', 'b', undefined, undefined]) {
      expect((await handleOperatorRequest(rotate(key), services, GATEWAY, NOW)).statusCode).toBe(202);
    }
    expect(fc.queued.map((q) => q.options.taskId)).toEqual([
      asyncTaskIdFor('a'),
      asyncTaskIdFor('b'),
      undefined,
      undefined,
    ]);
  });

  it('the quoted form of the IETF draft is the same key', async () => {
    const { services, fc } = fakeServices();
    await handleOperatorRequest(rotate('"order-42"'), services, GATEWAY, NOW);
    const again = await handleOperatorRequest(rotate('order-42'), services, GATEWAY, NOW);
    expect(body(again).alreadyStarted).toBe(true);
    expect(fc.queued).toHaveLength(1);
  });

  it('a dry run with a key answers the plan and starts nothing', async () => {
    const { services, fc, calls } = fakeServices();
    const res = await handleOperatorRequest(rotate('k-1', '{"dryRun":true}'), services, GATEWAY, NOW);
    expect(res.statusCode).toBe(200);
    expect(calls.plan).toHaveLength(1);
    expect(fc.queued).toEqual([]);
  });

  const bad: [string, string, RegExp][] = [
    ['empty', '', /^header Idempotency-Key is empty$/],
    ['empty quotes', '""', /^header Idempotency-Key is empty$/],
    ['65 characters', 'k'.repeat(65), /^header Idempotency-Key is 65 characters; at most 64$/],
    ['not ASCII', 'ключ-1', /^header Idempotency-Key must be printable ASCII/],
    ['a control character', 'a\u0001b', /^header Idempotency-Key must be printable ASCII/],
    ['a comma (two headers, joined)', 'a, b', /^header Idempotency-Key must not contain a comma/],
  ];
  it.each(bad)('%s → 400 naming the header, nothing started', async (_what, key, message) => {
    const { services, fc, touched } = fakeServices();
    const res = await handleOperatorRequest(rotate(key), services, GATEWAY, NOW);
    expect(res.statusCode).toBe(400);
    expect((body(res).error as { message: string }).message).toMatch(message);
    expect(fc.queued).toEqual([]);
    expect(touched()).toBe(0);
  });

  it.each(['k', 'k'.repeat(64), 'with spaces and ~!@#$%^&*()', '  padded  '])('%j is a usable key', (key) => {
    expect(idempotencyKeyOf({ 'idempotency-key': key })).toBe(key.trim());
  });
});

describe('asyncTaskIdFor', () => {
  it('is stable per key, distinct across keys, and always a valid FC task id', () => {
    const keys = [
      'a',
      'A',
      'a ',
      'k'.repeat(64),
      'with spaces and ~!@#$%^&*()',
      '2f1c5a8e-4b7d-4e0a-9c3f-6d2b1a0e9f87',
    ];
    const ids = keys.map(asyncTaskIdFor);
    expect(new Set(ids).size).toBe(keys.length);
    expect(keys.map(asyncTaskIdFor)).toEqual(ids);
    for (const id of ids) expect(id).toMatch(TASK_ID);
  });
});

describe('rotationStarter', () => {
  it('passes the request as the payload and the task id to FC', async () => {
    const fc = fakeInvoker();
    const start = rotationStarter(fc.invoker, 'rotate-fn');
    expect(await start({ force: true }, { taskId: 't-1' })).toEqual({ invocationId: 'inv-1' });
    expect(fc.queued).toEqual([{ functionName: 'rotate-fn', payload: { force: true }, options: { taskId: 't-1' } }]);
  });

  it('any other failure is a failure', async () => {
    const failing = rotationStarter(
      {
        invokeAsync: async () => {
          throw new CloudApiError('invoke', 'InvokeFunction', 'InvokeFunction failed: HTTP 503', {
            code: 'HTTP503',
            retryable: true,
          });
        },
      },
      'rotate-fn',
    );
    await expect(failing({ force: false }, { taskId: 't' })).rejects.toThrow('HTTP 503');
  });

  it('an "already exists" without a task id of ours is not taken as a retry', async () => {
    const starter = rotationStarter(
      {
        invokeAsync: async () => {
          throw new CloudApiError('invoke', 'InvokeFunction', 'exists', { code: ASYNC_TASK_ALREADY_EXISTS });
        },
      },
      'rotate-fn',
    );
    await expect(starter({ force: false })).rejects.toThrow('exists');
  });
});
