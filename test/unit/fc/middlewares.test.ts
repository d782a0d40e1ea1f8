import { describe, expect, it } from 'vitest';
import type { MiddyRequest } from '../../../shared/fc/context.js';
import { errorResponses, fcEventParser, invocationContext } from '../../../shared/fc/middlewares.js';
import { type LogEntry, recordingLogger } from '../../support/recording-logger.js';

/** FC's own context logger: anything that reaches it is a failure of the rule "our logger only". */
function fcLogger() {
  const calls: unknown[] = [];
  const log = (...args: unknown[]) => calls.push(args);
  return { calls, logger: { info: log, warn: log, error: log, debug: log, log } };
}

/** The rotation function's middleware order: context, then parser, then error answers. */
async function invoke(event: unknown, withContext = true) {
  const ours = recordingLogger();
  const fc = fcLogger();
  const chain = [
    ...(withContext ? [invocationContext({ logger: ours })] : []),
    fcEventParser(),
    errorResponses({ logger: ours }),
  ];
  const request: MiddyRequest = {
    event,
    context: { requestId: 'r-1', function: { name: 'f', timeout: 0 }, logger: fc.logger } as never,
    response: undefined,
    error: undefined,
  };
  try {
    for (const m of chain) await ('before' in m ? m.before?.(request) : undefined);
  } catch (err) {
    request.error = err;
    for (const m of [...chain].reverse()) if ('onError' in m) m.onError(request);
  }
  return { request, ours: ours.entries, fc: fc.calls };
}

const httpEvent = (body: unknown) =>
  Buffer.from(JSON.stringify({ version: 'v1', body, requestContext: { http: { method: 'POST' }, requestId: 'h' } }));

function errOf(entry: LogEntry | undefined): Record<string, unknown> {
  return (entry?.obj as { err: Record<string, unknown> }).err;
}

describe('event-parse failures', () => {
  it('an HTTP body that is not a string is a 400, logged through our logger and never FC`s', async () => {
    const { request, ours, fc } = await invoke(httpEvent({ certificates: ['a'] }));
    const response = request.response as { statusCode: number; body: string };
    expect(response.statusCode).toBe(400);
    expect(JSON.parse(response.body).error.message).toBe("the HTTP event's body must be a string, not an object");
    expect(fc).toEqual([]);
    expect(ours).toHaveLength(1);
    expect(ours[0]).toMatchObject({ level: 'warn', msg: 'invocation refused', bindings: { requestId: 'r-1' } });
    expect(errOf(ours[0])).toBeInstanceOf(Error);
  });
  it('a null event is rejected: no answer is made up, so FC records a failed invocation', async () => {
    const { request, ours, fc } = await invoke(Buffer.from('null'));
    expect(request.response).toBeUndefined();
    expect((request.error as Error).message).toBe('the event must be a JSON object, not null');
    expect(fc).toEqual([]);
    expect(ours.map((e) => e.msg)).toEqual(['invocation refused']);
  });
  it('an error before the context middleware ran is still logged through our logger, never FC`s', async () => {
    const { ours, fc } = await invoke(Buffer.from('[]'), false);
    expect(fc).toEqual([]);
    expect(ours).toMatchObject([{ level: 'warn', msg: 'invocation refused' }]);
  });
  it('an empty event (a console invoke without payload) parses as a run of everything', async () => {
    const { request, ours } = await invoke(Buffer.alloc(0));
    expect(request.error).toBeUndefined();
    expect(request.event).toEqual({ kind: 'invoke', payload: {} });
    expect(ours).toEqual([]);
  });
});
