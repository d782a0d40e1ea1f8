import { describe, expect, it } from 'vitest';
import { EventParseError, parseFcEvent } from '../../../shared/fc/events.js';
import { BadRequestError, parseRunRequest } from '../../../shared/fc/run-request.js';

const buf = (o: unknown) => Buffer.from(typeof o === 'string' ? o : JSON.stringify(o));
// Shapes as Function Compute 3.0 delivers them (see README, "Function Compute events").
const timer = { triggerTime: '2026-11-22T03:17:00Z', triggerName: 'daily', payload: '{"force":false}' };
const http = (method: string, body: string, isBase64Encoded = false) => ({
  version: 'v1',
  rawPath: '/',
  body,
  isBase64Encoded,
  headers: { 'Content-Type': 'application/json' },
  queryParameters: {},
  requestContext: {
    accountId: '1234567890',
    domainName: 'x.cn-hangzhou.fcapp.run',
    domainPrefix: 'x',
    http: { method, path: '/', protocol: 'HTTP/1.1', sourceIp: '11.11.11.11', userAgent: 'curl' },
    requestId: '1-64f6cd87-abc',
    time: '2026-11-22T06:41:11Z',
    timeEpoch: '1795000000000',
    triggerId: 't',
  },
});

describe('parseFcEvent', () => {
  it('timer event from a Buffer', () => {
    expect(parseFcEvent(buf(timer))).toEqual({ kind: 'timer', ...timer });
  });
  it('HTTP event: lower-cased headers, method, decoded base64 body', () => {
    const e = parseFcEvent(buf(http('post', Buffer.from('{"force":true}').toString('base64'), true)));
    expect(e).toMatchObject({
      kind: 'http',
      method: 'POST',
      body: '{"force":true}',
      headers: { 'content-type': 'application/json' },
      requestId: '1-64f6cd87-abc',
    });
  });
  it('direct invocation with a JSON payload', () => {
    expect(parseFcEvent(buf({ certificates: ['www'] }))).toEqual({
      kind: 'invoke',
      payload: { certificates: ['www'] },
    });
  });
  it('an invocation without a payload (empty buffer, blank text) runs everything', () => {
    expect(parseFcEvent(Buffer.alloc(0))).toEqual({ kind: 'invoke', payload: {} });
    expect(parseFcEvent(buf(' \n'))).toEqual({ kind: 'invoke', payload: {} });
    expect(parseRunRequest(parseFcEvent(Buffer.alloc(0)))).toEqual({});
  });
  it('non-JSON buffer is refused, as a non-HTTP event', () => {
    expect(() => parseFcEvent(buf('not json'))).toThrow(EventParseError);
    expect(catchError(() => parseFcEvent(buf('not json')))).toMatchObject({ http: false });
  });
  for (const [text, kind] of [
    ['null', 'null'],
    ['42', 'a number'],
    ['"all"', 'a string'],
    ['[]', 'an array'],
    ['true', 'a boolean'],
  ]) {
    it(`a ${text} event is refused, naming its kind`, () => {
      const err = catchError(() => parseFcEvent(buf(text)));
      expect(err).toBeInstanceOf(EventParseError);
      expect(err.message).toBe(`the event must be a JSON object, not ${kind}`);
    });
  }
  it('an in-process null event is refused too', () => {
    expect(() => parseFcEvent(null)).toThrow(/not null/);
  });
  for (const [body, kind] of [
    [{ force: true }, 'an object'],
    [1, 'a number'],
    [['x'], 'an array'],
  ] as const) {
    it(`an HTTP body that is ${kind} is refused as an HTTP event (a 400), not read as "no body"`, () => {
      const err = catchError(() => parseFcEvent(buf({ ...http('POST', ''), body })));
      expect(err).toBeInstanceOf(EventParseError);
      expect(err).toMatchObject({ http: true, message: `the HTTP event's body must be a string, not ${kind}` });
    });
  }
  it('an HTTP event without a body has an empty body', () => {
    const { body: _body, ...noBody } = http('POST', '');
    expect(parseFcEvent(buf(noBody))).toMatchObject({ kind: 'http', body: '' });
  });
});

function catchError(f: () => unknown): Error & Record<string, unknown> {
  try {
    f();
  } catch (err) {
    return err as Error & Record<string, unknown>;
  }
  throw new Error('expected an error');
}

describe('parseRunRequest', () => {
  const cases: { name: string; event: unknown; expected: unknown }[] = [
    { name: 'timer payload', event: timer, expected: { force: false } },
    { name: 'timer with empty payload', event: { ...timer, payload: '' }, expected: {} },
    {
      name: 'POST with names and force',
      event: http('POST', '{"certificates":["www"],"force":true}'),
      expected: { certificates: ['www'], force: true },
    },
    { name: 'POST with empty body', event: http('POST', ''), expected: {} },
    { name: 'direct invocation', event: { force: true }, expected: { force: true } },
  ];
  for (const c of cases) {
    it(c.name, () => expect(parseRunRequest(parseFcEvent(buf(c.event)))).toEqual(c.expected));
  }

  const bad: { name: string; event: unknown; status: number; message: RegExp }[] = [
    { name: 'GET', event: http('GET', ''), status: 405, message: /method GET not allowed/ },
    {
      name: 'malformed JSON',
      event: http('POST', '{"force":'),
      status: 400,
      message: /request body is not valid JSON/,
    },
    { name: 'wrong type', event: http('POST', '{"force":"yes"}'), status: 400, message: /force: .*boolean/i },
    {
      name: 'unknown field',
      event: http('POST', '{"dryRun":true}'),
      status: 400,
      message: /unknown field\(s\) dryRun/,
    },
    {
      name: 'names not strings',
      event: http('POST', '{"certificates":[1]}'),
      status: 400,
      message: /certificates\[0\]/,
    },
    {
      name: 'an explicit empty list in a POST',
      event: http('POST', '{"certificates":[]}'),
      status: 400,
      message: /certificates: an empty list selects nothing; leave "certificates" out to run every certificate/,
    },
    {
      name: 'an explicit empty list in the timer payload',
      event: { ...timer, payload: '{"certificates":[]}' },
      status: 400,
      message: /timer payload: certificates: an empty list selects nothing/,
    },
    {
      name: 'an explicit empty list in a direct invocation',
      event: { certificates: [] },
      status: 400,
      message: /event: certificates: an empty list selects nothing/,
    },
    {
      name: 'bad timer payload',
      event: { ...timer, payload: 'x' },
      status: 400,
      message: /timer payload is not valid JSON/,
    },
  ];
  for (const c of bad) {
    it(`refuses ${c.name}`, () => {
      try {
        parseRunRequest(parseFcEvent(buf(c.event)));
        expect.unreachable();
      } catch (err) {
        expect(err).toBeInstanceOf(BadRequestError);
        expect((err as BadRequestError).status).toBe(c.status);
        expect((err as Error).message).toMatch(c.message);
      }
    });
  }
});
