import { describe, expect, it } from 'vitest';
import type { AcmeProblem } from '../../../shared/adapters/acme/acme-client-loader.js';
import { rejectsReplaces } from '../../../shared/adapters/acme/problems.js';
import { AcmeRenewalInfo, parseRenewalInfo, parseRfc3339 } from '../../../shared/adapters/acme/renewal-info.js';
import { AcmeError } from '../../../shared/errors.js';

const window = (start: unknown, end: unknown, extra: Record<string, unknown> = {}) => ({
  suggestedWindow: { start, end },
  ...extra,
});

describe('parseRenewalInfo: valid answers', () => {
  it.each<[string, unknown, { start: string; end: string; explanationUrl?: string }]>([
    [
      'the RFC 9773 example',
      window('2025-01-02T04:00:00Z', '2025-01-03T04:00:00Z', { explanationURL: 'https://acme.example.com/docs/ari' }),
      {
        start: '2025-01-02T04:00:00.000Z',
        end: '2025-01-03T04:00:00.000Z',
        explanationUrl: 'https://acme.example.com/docs/ari',
      },
    ],
    [
      'fractional seconds beyond milliseconds (Go emits nanoseconds)',
      window('2025-01-02T04:00:00.123456789Z', '2025-01-02T04:00:01.5Z'),
      { start: '2025-01-02T04:00:00.123Z', end: '2025-01-02T04:00:01.500Z' },
    ],
    [
      'numeric offsets',
      window('2025-01-02T12:00:00+08:00', '2025-01-02T00:00:00-05:30'),
      { start: '2025-01-02T04:00:00.000Z', end: '2025-01-02T05:30:00.000Z' },
    ],
    [
      'lower-case t and z',
      window('2025-01-02t04:00:00z', '2025-01-03t04:00:00z'),
      {
        start: '2025-01-02T04:00:00.000Z',
        end: '2025-01-03T04:00:00.000Z',
      },
    ],
    [
      'a leap day and a leap second',
      window('2024-02-29T23:59:60Z', '2024-03-01T00:00:00Z'),
      { start: '2024-02-29T23:59:59.999Z', end: '2024-03-01T00:00:00.000Z' },
    ],
    [
      'an explanationURL that is not a URL is dropped, not fatal',
      window('2025-01-02T04:00:00Z', '2025-01-03T04:00:00Z', { explanationURL: 'see our blog' }),
      { start: '2025-01-02T04:00:00.000Z', end: '2025-01-03T04:00:00.000Z' },
    ],
    [
      'an explanationURL of another type is dropped',
      window('2025-01-02T04:00:00Z', '2025-01-03T04:00:00Z', { explanationURL: 42 }),
      { start: '2025-01-02T04:00:00.000Z', end: '2025-01-03T04:00:00.000Z' },
    ],
    [
      'unknown fields are ignored',
      window('2025-01-02T04:00:00Z', '2025-01-03T04:00:00Z', { future: { x: 1 } }),
      { start: '2025-01-02T04:00:00.000Z', end: '2025-01-03T04:00:00.000Z' },
    ],
  ])('%s', (_name, body, expected) => {
    const w = parseRenewalInfo(body);
    expect({
      start: w.start.toISOString(),
      end: w.end.toISOString(),
      ...(w.explanationUrl !== undefined ? { explanationUrl: w.explanationUrl } : {}),
    }).toEqual(expected);
  });
});

describe('parseRenewalInfo: invalid answers', () => {
  it.each<[string, unknown, RegExp]>([
    ['null', null, /not a JSON object/],
    ['an array', [window('2025-01-02T04:00:00Z', '2025-01-03T04:00:00Z')], /not a JSON object/],
    ['a string', 'suggestedWindow', /not a JSON object/],
    ['no suggestedWindow', { explanationURL: 'https://x.example' }, /suggestedWindow is missing or not an object/],
    ['suggestedWindow not an object', { suggestedWindow: '2025-01-02' }, /suggestedWindow is missing/],
    ['missing start', { suggestedWindow: { end: '2025-01-03T04:00:00Z' } }, /suggestedWindow\.start is missing/],
    ['missing end', { suggestedWindow: { start: '2025-01-03T04:00:00Z' } }, /suggestedWindow\.end is missing/],
    [
      'numeric start',
      window(1735790400000, '2025-01-03T04:00:00Z'),
      /suggestedWindow\.start is missing or not a string/,
    ],
    [
      'date only',
      window('2025-01-02', '2025-01-03T04:00:00Z'),
      /suggestedWindow\.start is not an RFC 3339 date-time: "2025-01-02"/,
    ],
    ['no zone', window('2025-01-02T04:00:00', '2025-01-03T04:00:00Z'), /start is not an RFC 3339/],
    [
      'a Date.toString() layout',
      window('Thu Jan 02 2025 04:00:00 GMT+0000', '2025-01-03T04:00:00Z'),
      /start is not an RFC 3339/,
    ],
    ['30 February', window('2025-01-02T04:00:00Z', '2025-02-30T04:00:00Z'), /suggestedWindow\.end is not an RFC 3339/],
    ['month 13', window('2025-13-02T04:00:00Z', '2025-01-03T04:00:00Z'), /start is not an RFC 3339/],
    ['hour 24', window('2025-01-02T24:00:00Z', '2025-01-03T04:00:00Z'), /start is not an RFC 3339/],
    ['offset minutes 60', window('2025-01-02T04:00:00+01:60', '2025-01-03T04:00:00Z'), /start is not an RFC 3339/],
    [
      'end before start',
      window('2025-01-03T04:00:00Z', '2025-01-02T04:00:00Z'),
      /suggestedWindow\.end \(2025-01-02T04:00:00\.000Z\) is not after start \(2025-01-03T04:00:00\.000Z\)/,
    ],
    ['end equal to start', window('2025-01-03T04:00:00Z', '2025-01-03T05:00:00+01:00'), /is not after start/],
  ])('%s', (_name, body, message) => {
    let err: unknown;
    try {
      parseRenewalInfo(body, 'ARI response for /renewal-info/x.y');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(AcmeError);
    expect(err).toMatchObject({ code: 'ariInvalidResponse', retryable: false, stage: 'issue' });
    expect((err as Error).message).toMatch(/^ARI response for \/renewal-info\/x\.y: /);
    expect((err as Error).message).toMatch(message);
  });

  it('quotes a long bad value only in part', () => {
    const long = `2025-01-02T04:00:00Z${'x'.repeat(500)}`;
    const err = (() => {
      try {
        parseRenewalInfo(window(long, '2025-01-03T04:00:00Z'));
      } catch (e) {
        return e as Error;
      }
    })();
    expect(err?.message.length).toBeLessThan(200);
  });
});

describe('parseRfc3339', () => {
  it.each<[string, string | undefined]>([
    ['2026-11-22T03:17:08Z', '2026-11-22T03:17:08.000Z'],
    ['2026-11-22T03:17:08.4Z', '2026-11-22T03:17:08.400Z'],
    ['0099-01-01T00:00:00Z', '0099-01-01T00:00:00.000Z'],
    ['2026-11-22 03:17:08Z', undefined],
    ['2026-11-22T03:17Z', undefined],
    ['2026-11-22T03:17:08.Z', undefined],
    ['2026-11-31T00:00:00Z', undefined],
    ['2025-02-29T00:00:00Z', undefined],
    [' 2026-11-22T03:17:08Z', undefined],
  ])('%s', (text, expected) => {
    expect(parseRfc3339(text)?.toISOString()).toBe(expected);
  });
});

describe('rejectsReplaces', () => {
  const p = (type: string, status: number, detail = ''): AcmeProblem => ({
    type: `urn:ietf:params:acme:error:${type}`,
    status,
    detail,
  });
  it.each<[string, AcmeProblem | undefined, boolean]>([
    ['alreadyReplaced (RFC 9773)', p('alreadyReplaced', 409, 'already replaced'), true],
    ['alreadyReplaced whatever the status', p('alreadyReplaced', 400), true],
    ['malformed naming replaces', p('malformed', 400, 'Invalid replaces field: certificate not found'), true],
    ['conflict naming the replaced certificate', p('conflict', 409, 'the certificate was replaced already'), true],
    ['a CertID the CA cannot parse', p('malformed', 400, 'while parsing ARI CertID: illegal base64'), true],
    ['malformed about something else', p('malformed', 400, 'identifier too long'), false],
    ['rejectedIdentifier', p('rejectedIdentifier', 400, 'policy forbids'), false],
    ['rate limited, even naming replaces', p('rateLimited', 429, 'too many replaces'), false],
    ['server error, even naming replaces', p('serverInternal', 500, 'replaces lookup failed'), false],
    ['badNonce naming replaces', p('badNonce', 400, 'replaces'), false],
    ['no problem document', undefined, false],
  ])('%s', (_name, problem, expected) => {
    expect(rejectsReplaces(problem)).toBe(expected);
  });
});

describe('AcmeRenewalInfo argument checks (no network)', () => {
  it.each(['', 'abc', 'a.b.c', '../x.y', 'a.b/../c', 'aYhba4dGQEHhs3uEe6CuLN4ByNQ=.AIdlQyE', 'a b.c'])(
    'refuses the certificate id %j before any request',
    async (certId) => {
      const source = new AcmeRenewalInfo({ directoryUrl: 'https://127.0.0.1:1/dir' });
      await expect(source.renewalWindow(certId)).rejects.toMatchObject({ code: 'ariBadCertId', retryable: false });
    },
  );

  it('refuses a non-positive timeout', () => {
    expect(() => new AcmeRenewalInfo({ directoryUrl: 'https://x.example/dir', timeoutMs: 0 })).toThrow(TypeError);
  });
});
