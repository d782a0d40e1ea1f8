import { describe, expect, it } from 'vitest';
import { BadRequestError } from '../../../shared/fc/run-request.js';
import type { OperatorAuth } from '../../../shared/operator/auth.js';
import { MAX_BODY_BYTES } from '../../../shared/operator/request.js';
import { handleOperatorRequest } from '../../../shared/operator/router.js';
import { CloudApiError } from '../../../shared/errors.js';
import { STATUS_PAGE_CSP } from '../../../shared/status/page.js';
import { NOW, fakeServices, httpEvent } from './fake-services.js';

const GATEWAY: OperatorAuth = { mode: 'function' };
const body = (res: { body: string }) => JSON.parse(res.body) as { error?: { message: string }; [k: string]: unknown };

describe('routes × methods (function mode)', () => {
  const routes: Record<string, string> = { '/plan': 'GET', '/status': 'GET', '/rotate': 'POST' };
  const methods = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS'];
  for (const [path, allowed] of Object.entries(routes)) {
    for (const method of methods) {
      const expected = method === allowed ? (method === 'POST' ? 202 : 200) : 405;
      it(`${method} ${path} → ${expected}`, async () => {
        const { services } = fakeServices();
        const res = await handleOperatorRequest(httpEvent(method, path), services, GATEWAY, NOW);
        expect(res.statusCode).toBe(expected);
        expect(res.headers['cache-control']).toBe('no-store');
        if (expected === 405) {
          expect(res.headers.allow).toBe(allowed);
          expect(body(res).error?.message).toBe(`method ${method} not allowed on ${path}; allowed: ${allowed}`);
        }
      });
    }
  }

  it.each(['/', '/rotate/now', '/Status', '/statuses', '/../status'])(
    'unknown path %s → 404 listing the routes',
    async (path) => {
      const { services, touched } = fakeServices();
      const res = await handleOperatorRequest(httpEvent('GET', path), services, GATEWAY, NOW);
      expect(res.statusCode).toBe(404);
      expect(body(res).error?.message).toMatch(/the routes are GET \/plan, GET \/status, POST \/rotate$/);
      expect(touched()).toBe(0);
    },
  );

  it('a trailing slash is the same route', async () => {
    const { services, calls } = fakeServices();
    const res = await handleOperatorRequest(httpEvent('GET', '/status/'), services, GATEWAY, NOW);
    expect(res.statusCode).toBe(200);
    expect(calls.status).toHaveLength(1);
  });
});

describe('POST /rotate', () => {
  it('starts a rotation: 202 with the invocation id and what was asked', async () => {
    const { services, calls } = fakeServices();
    const res = await handleOperatorRequest(
      httpEvent('POST', '/rotate', { body: '{"certificates":["shop"],"force":true}' }),
      services,
      GATEWAY,
      NOW,
    );
    expect(res.statusCode).toBe(202);
    expect(body(res)).toEqual({ invocationId: 'inv-1', request: { certificates: ['shop'], force: true } });
    expect(calls.start).toEqual([{ certificates: ['shop'], force: true }]);
    expect(calls.plan).toEqual([]);
  });

  it('an empty body rotates everything, unforced', async () => {
    const { services, calls } = fakeServices();
    const res = await handleOperatorRequest(httpEvent('POST', '/rotate'), services, GATEWAY, NOW);
    expect(res.statusCode).toBe(202);
    expect(calls.start).toEqual([{ force: false }]);
  });

  it('a dry run answers with the plan and starts nothing', async () => {
    const { services, calls } = fakeServices();
    const res = await handleOperatorRequest(
      httpEvent('POST', '/rotate', { body: '{"dryRun":true,"certificates":["api"]}' }),
      services,
      GATEWAY,
      NOW,
    );
    expect(res.statusCode).toBe(200);
    expect(body(res).event).toBe('rotation.plan');
    expect(calls.plan).toEqual([{ certificates: ['api'], force: false }]);
    expect(calls.start).toEqual([]);
  });

  const bad: [string, string, number, RegExp][] = [
    ['malformed JSON', '{"force":', 400, /^request body is not valid JSON: /],
    [
      'an array',
      '[]',
      400,
      /request body: \(body\): .*expected {"certificates"\?: string\[\], "force"\?: boolean, "dryRun"\?: boolean}/,
    ],
    ['an unknown field', '{"force":true,"dryrun":true}', 400, /unknown field\(s\) dryrun/],
    ['a string for force', '{"force":"yes"}', 400, /force: /],
    ['an empty list', '{"certificates":[]}', 400, /an empty list selects nothing/],
    ['an empty name', '{"certificates":[""]}', 400, /certificates\[0\]: /],
    [
      'unknown names',
      '{"certificates":["shop","nope","zzz"]}',
      400,
      /unknown name\(s\) "nope", "zzz"; configured: shop, api$/,
    ],
    ['unknown names in a dry run', '{"certificates":["nope"],"dryRun":true}', 400, /unknown name\(s\) "nope"/],
  ];
  it.each(bad)('%s → %i naming the fault, nothing started', async (_what, text, status, message) => {
    const { services, calls } = fakeServices();
    const res = await handleOperatorRequest(httpEvent('POST', '/rotate', { body: text }), services, GATEWAY, NOW);
    expect(res.statusCode).toBe(status);
    expect(body(res).error?.message).toMatch(message);
    expect(calls.start).toEqual([]);
    expect(calls.plan).toEqual([]);
  });

  it(`a body of exactly ${MAX_BODY_BYTES} bytes is read; one byte more is 413 naming the limit`, async () => {
    const { services, calls } = fakeServices();
    const pad = (n: number) => `{"force":true}${' '.repeat(n - 14)}`;
    const ok = await handleOperatorRequest(
      httpEvent('POST', '/rotate', { body: pad(MAX_BODY_BYTES) }),
      services,
      GATEWAY,
      NOW,
    );
    expect(ok.statusCode).toBe(202);
    const big = await handleOperatorRequest(
      httpEvent('POST', '/rotate', { body: pad(MAX_BODY_BYTES + 1) }),
      services,
      GATEWAY,
      NOW,
    );
    expect(big.statusCode).toBe(413);
    expect(body(big).error?.message).toBe(
      `request body is ${MAX_BODY_BYTES + 1} bytes; the limit is 16384 bytes (16 KiB)`,
    );
    expect(calls.start).toHaveLength(1);
  });

  it('the limit counts bytes, not characters', async () => {
    const { services } = fakeServices();
    // 6000 three-byte characters: 18000 bytes in 6000 characters.
    const res = await handleOperatorRequest(
      httpEvent('POST', '/rotate', { body: `{"certificates":["${'€'.repeat(6000)}"]}` }),
      services,
      GATEWAY,
      NOW,
    );
    expect(res.statusCode).toBe(413);
  });

  it('options in the query string are refused, not ignored', async () => {
    const { services, calls } = fakeServices();
    const res = await handleOperatorRequest(
      httpEvent('POST', '/rotate', { query: { dryRun: 'true' } }),
      services,
      GATEWAY,
      NOW,
    );
    expect(res.statusCode).toBe(400);
    expect(body(res).error?.message).toMatch(/from the JSON body, not the query string \(got "dryRun"\)/);
    expect(calls.start).toEqual([]);
  });

  it('a failed invocation is a 500 with the error, never a 202', async () => {
    const { services } = fakeServices();
    services.startRotation = async () => {
      throw new CloudApiError('preflight', 'InvokeFunction', 'InvokeFunction slb-cert-rotator failed: HTTP 503', {
        retryable: true,
        code: 'HTTP503',
      });
    };
    const res = await handleOperatorRequest(httpEvent('POST', '/rotate'), services, GATEWAY, NOW);
    expect(res.statusCode).toBe(500);
    expect(body(res).error).toMatchObject({
      message: 'InvokeFunction slb-cert-rotator failed: HTTP 503',
      retryable: true,
    });
  });
});

describe('GET /plan', () => {
  it('passes the selection and force from the query', async () => {
    const { services, calls } = fakeServices();
    const res = await handleOperatorRequest(
      httpEvent('GET', '/plan', { query: { certificates: 'shop, api', force: 'true' } }),
      services,
      GATEWAY,
      NOW,
    );
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(calls.plan).toEqual([{ certificates: ['shop', 'api'], force: true }]);
  });

  it.each([
    [{ certificate: 'shop' }, /unknown query parameter\(s\) "certificate"; this route reads certificates, force/],
    [{ certificates: 'nope' }, /unknown name\(s\) "nope"; configured: shop, api/],
    [{ certificates: ',' }, /"certificates" lists no names/],
    [{ force: 'maybe' }, /"force" must be true or false/],
  ])('%o → 400 naming it, no plan made', async (query, message) => {
    const { services, calls } = fakeServices();
    const res = await handleOperatorRequest(httpEvent('GET', '/plan', { query }), services, GATEWAY, NOW);
    expect(res.statusCode).toBe(400);
    expect(body(res).error?.message).toMatch(message);
    expect(calls.plan).toEqual([]);
  });

  it('a service failure is reported as the rotation function reports it', async () => {
    const { services } = fakeServices();
    services.plan = async () => {
      throw new BadRequestError('something the caller did', 409);
    };
    const res = await handleOperatorRequest(httpEvent('GET', '/plan'), services, GATEWAY, NOW);
    expect(res.statusCode).toBe(409);
    expect(body(res)).toEqual({ error: { message: 'something the caller did' } });
  });
});

describe('GET /status: content negotiation', () => {
  const cases: [string, Record<string, string>, Record<string, string>, 'html' | 'json'][] = [
    ['no Accept', {}, {}, 'json'],
    ['curl (*/*)', { accept: '*/*' }, {}, 'json'],
    ['a browser', { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' }, {}, 'html'],
    ['JSON preferred', { accept: 'application/json, text/html;q=0.5' }, {}, 'json'],
    ['HTML refused (q=0)', { accept: 'text/html;q=0, */*' }, {}, 'json'],
    ['?format=html', { accept: 'application/json' }, { format: 'html' }, 'html'],
    ['?format=json', { accept: 'text/html' }, { format: 'json' }, 'json'],
  ];
  it.each(cases)('%s → %s', async (_what, headers, query, expected) => {
    const { services } = fakeServices();
    const res = await handleOperatorRequest(httpEvent('GET', '/status', { headers, query }), services, GATEWAY, NOW);
    expect(res.statusCode).toBe(200);
    expect(res.headers.vary).toBe('accept');
    if (expected === 'json') {
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(body(res).event).toBe('rotation.status');
    } else {
      expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(res.headers['content-security-policy']).toBe(STATUS_PAGE_CSP);
      expect(res.headers['referrer-policy']).toBe('no-referrer');
      expect(res.body).toMatch(/^<!doctype html>/);
    }
  });

  it('passes certificates and wire; a bad format is named', async () => {
    const { services, calls } = fakeServices();
    await handleOperatorRequest(
      httpEvent('GET', '/status', { query: { certificates: 'api', wire: '1' } }),
      services,
      GATEWAY,
      NOW,
    );
    expect(calls.status).toEqual([{ certificates: ['api'], wire: true }]);
    const res = await handleOperatorRequest(
      httpEvent('GET', '/status', { query: { format: 'xml' } }),
      services,
      GATEWAY,
      NOW,
    );
    expect(res.statusCode).toBe(400);
    expect(body(res).error?.message).toBe('query parameter "format" must be html or json');
    expect(calls.status).toHaveLength(1);
  });
});
