import { describe, expect, it } from 'vitest';
import type { RotatorContext } from '../../../shared/fc/context.js';
import { BadRequestError } from '../../../shared/fc/run-request.js';
import { silentLogger } from '../../../shared/log/logger.js';
import { handleOperatorInvocation } from '../../../shared/operator/operator-invocation.js';
import { NOW, fakeServices, httpEvent } from './fake-services.js';

const context = { logger: silentLogger, deadline: new AbortController().signal } as RotatorContext;

describe('handleOperatorInvocation', () => {
  it.each([
    [{ kind: 'timer', triggerTime: '2026-11-30T03:17:00Z', triggerName: 'daily', payload: '' } as const, 'timer'],
    [{ kind: 'invoke', payload: { force: true } } as const, 'invoke'],
  ])('a %o event is refused, never routed', async (event, kind) => {
    const { services, touched } = fakeServices();
    const call = handleOperatorInvocation(event, context, { mode: 'function' }, {}, services, () => NOW);
    await expect(call).rejects.toThrow(BadRequestError);
    await expect(call).rejects.toThrow(`not a ${kind} event`);
    expect(touched()).toBe(0);
  });

  it('an HTTP event goes to the router with the clock it is given', async () => {
    const { services, calls } = fakeServices();
    const res = await handleOperatorInvocation(
      httpEvent('POST', '/rotate', { body: '{"certificates":["shop"]}' }),
      context,
      { mode: 'function' },
      {},
      services,
      () => NOW,
    );
    expect(res.statusCode).toBe(202);
    expect(calls.start).toEqual([{ certificates: ['shop'], force: false }]);
  });
});
