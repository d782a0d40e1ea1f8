import { createHmac } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { redact } from '../../../shared/log/redact.js';
import { clearRegisteredSecrets } from '../../../shared/log/secret-values.js';
import {
  authorize,
  createStatusLink,
  MAX_LINK_TTL_SECONDS,
  type OperatorAuth,
  operatorAuthFromEnvironment,
  sameSecret,
} from '../../../shared/operator/auth.js';
import { handleOperatorRequest } from '../../../shared/operator/router.js';
import { NOW, fakeServices, httpEvent } from './fake-services.js';

const TOKEN = 'op-token-0123456789abcdefghijklmnopqrstuv';
const ANON: OperatorAuth = { mode: 'anonymous', token: TOKEN };
const BASE = 'https://op-abc.cn-hangzhou.fcapp.run';

afterEach(() => clearRegisteredSecrets());

/** The query of a link, as FC hands it to the function. */
function linkQuery(link: string): Record<string, string> {
  return Object.fromEntries(new URL(link).searchParams);
}

describe('operatorAuthFromEnvironment', () => {
  it('defaults to function mode: the gateway checked the signature', () => {
    expect(operatorAuthFromEnvironment({})).toEqual({ mode: 'function' });
    expect(operatorAuthFromEnvironment({ ROTATOR_OPERATOR_AUTH: ' function ' })).toEqual({ mode: 'function' });
  });

  it('anonymous with a token; the token is registered for redaction', () => {
    expect(operatorAuthFromEnvironment({ ROTATOR_OPERATOR_AUTH: 'anonymous', ROTATOR_OPERATOR_TOKEN: TOKEN })).toEqual(
      ANON,
    );
    expect(redact(`echo: ${TOKEN}`)).not.toContain(TOKEN);
  });

  it.each([
    [{ ROTATOR_OPERATOR_AUTH: 'anonymous' }, 401, /no token configured \(ROTATOR_OPERATOR_TOKEN\)/],
    [{ ROTATOR_OPERATOR_AUTH: 'anonymous', ROTATOR_OPERATOR_TOKEN: '   ' }, 401, /no token configured/],
    [{ ROTATOR_OPERATOR_AUTH: 'anonymous', ROTATOR_OPERATOR_TOKEN: 'short-token' }, 500, /shorter than 32 characters/],
    [
      { ROTATOR_OPERATOR_AUTH: 'none', ROTATOR_OPERATOR_TOKEN: TOKEN },
      500,
      /ROTATOR_OPERATOR_AUTH must be "function" or "anonymous"/,
    ],
    [{ ROTATOR_OPERATOR_AUTH: 'Anonymous' }, 500, /ROTATOR_OPERATOR_AUTH must be/],
  ])('%o refuses every request (%i)', (env, status, message) => {
    const auth = operatorAuthFromEnvironment(env);
    expect(auth).toMatchObject({ mode: 'misconfigured', status });
    expect(auth.mode === 'misconfigured' && auth.message).toMatch(message);
  });
});

describe('anonymous mode through the router: nothing is read or started without credentials', () => {
  const link = createStatusLink(BASE, TOKEN, 3600, NOW);
  const requests: [
    string,
    string,
    string,
    { headers?: Record<string, string>; query?: Record<string, string>; body?: string },
    number,
  ][] = [
    ['no credentials', 'POST', '/rotate', { body: '{"force":true}' }, 401],
    ['no credentials', 'GET', '/status', {}, 401],
    ['no credentials', 'GET', '/plan', {}, 401],
    ['no credentials, unknown path', 'GET', '/nope', {}, 401],
    ['wrong token', 'POST', '/rotate', { headers: { authorization: `Bearer ${TOKEN}x` } }, 401],
    ['token prefix', 'POST', '/rotate', { headers: { authorization: `Bearer ${TOKEN.slice(0, -1)}` } }, 401],
    ['Basic scheme', 'POST', '/rotate', { headers: { authorization: `Basic ${TOKEN}` } }, 401],
    ['token in the query', 'POST', '/rotate', { query: { token: TOKEN } }, 401],
    ['a status link on POST /rotate', 'POST', '/rotate', { query: linkQuery(link) }, 401],
    ['a status link on GET /plan', 'GET', '/plan', { query: linkQuery(link) }, 401],
    ['right token', 'POST', '/rotate', { headers: { authorization: `Bearer ${TOKEN}` } }, 202],
    ['right token, any case of the scheme', 'GET', '/plan', { headers: { authorization: `bearer  ${TOKEN}` } }, 200],
    ['a status link', 'GET', '/status', { query: linkQuery(link) }, 200],
    ['a status link, HTML', 'GET', '/status', { query: { ...linkQuery(link), format: 'html' } }, 200],
  ];
  it.each(requests)('%s: %s %s → %i', async (_what, method, path, options, status) => {
    const { services, touched, calls } = fakeServices();
    const res = await handleOperatorRequest(httpEvent(method, path, options), services, ANON, NOW);
    expect(res.statusCode).toBe(status);
    if (status === 401) {
      expect(touched()).toBe(0);
      expect(res.headers['www-authenticate']).toBe('Bearer realm="slb-cert-rotator"');
      expect(res.body).not.toContain(TOKEN);
    }
    if (status === 202) expect(calls.start).toHaveLength(1);
  });

  it('a misconfigured deployment refuses even the right token and says why', async () => {
    const auth = operatorAuthFromEnvironment({ ROTATOR_OPERATOR_AUTH: 'anonymus', ROTATOR_OPERATOR_TOKEN: TOKEN });
    for (const [method, path] of [
      ['POST', '/rotate'],
      ['GET', '/status'],
      ['GET', '/plan'],
    ] as const) {
      const { services, touched } = fakeServices();
      const res = await handleOperatorRequest(
        httpEvent(method, path, { headers: { authorization: `Bearer ${TOKEN}` } }),
        services,
        auth,
        NOW,
      );
      expect(res.statusCode).toBe(500);
      expect(JSON.parse(res.body).error.message).toMatch(/ROTATOR_OPERATOR_AUTH must be "function" or "anonymous"/);
      expect(touched()).toBe(0);
    }
  });

  it('an anonymous deployment without a token refuses every request with 401 saying so', async () => {
    const auth = operatorAuthFromEnvironment({ ROTATOR_OPERATOR_AUTH: 'anonymous' });
    const { services, touched } = fakeServices();
    const res = await handleOperatorRequest(
      httpEvent('POST', '/rotate', { headers: { authorization: 'Bearer anything-at-all-anything-at-all' } }),
      services,
      auth,
      NOW,
    );
    expect(res.statusCode).toBe(401);
    expect(JSON.parse(res.body).error.message).toMatch(/has no token configured/);
    expect(touched()).toBe(0);
  });
});

describe('signed status links', () => {
  const req = (query: Record<string, string>, method = 'GET', path = '/status') => ({
    method,
    path,
    headers: {},
    query,
  });

  it('the link has the documented form: HMAC-SHA256 over "GET /status?expires=…" with a key derived from the secret', () => {
    const link = createStatusLink(`${BASE}/`, TOKEN, 3600, NOW);
    const expires = Math.floor(NOW.getTime() / 1000) + 3600;
    const key = createHmac('sha256', TOKEN).update('status-link').digest();
    const sig = createHmac('sha256', key).update(`GET /status?expires=${expires}`).digest('base64url');
    expect(link).toBe(`${BASE}/status?expires=${expires}&sig=${sig}`);
    expect(link).not.toContain(TOKEN);
  });

  it('is valid until it expires, and not one second longer', () => {
    const link = createStatusLink(BASE, TOKEN, 3600, NOW);
    const q = linkQuery(link);
    expect(authorize(ANON, req(q), new Date(NOW.getTime() + 3599_000))).toEqual({ ok: true, by: 'link' });
    expect(authorize(ANON, req(q), new Date(NOW.getTime() + 3600_000))).toMatchObject({
      ok: false,
      status: 401,
      message: expect.stringMatching(/^the link expired at 2026-11-30T13:00:00.000Z$/),
    });
  });

  it.each([
    ['a later expiry', (q: Record<string, string>) => ({ ...q, expires: String(Number(q.expires) + 60) })],
    ['a flipped signature character', (q: Record<string, string>) => ({ ...q, sig: flip(q.sig as string) })],
    ['a signature from another secret', () => linkQuery(createStatusLink(BASE, `${TOKEN}-other`, 3600, NOW))],
    ['no signature', (q: Record<string, string>) => ({ expires: q.expires as string })],
    ['no expiry', (q: Record<string, string>) => ({ sig: q.sig as string })],
    ['a non-numeric expiry', (q: Record<string, string>) => ({ ...q, expires: `${q.expires}.0` })],
    [
      'the token itself as the key',
      (q: Record<string, string>) => ({
        ...q,
        sig: createHmac('sha256', TOKEN).update(`GET /status?expires=${q.expires}`).digest('base64url'),
      }),
    ],
  ])('refuses %s', (_what, alter) => {
    const q = alter(linkQuery(createStatusLink(BASE, TOKEN, 3600, NOW)));
    expect(authorize(ANON, req(q), NOW)).toMatchObject({ ok: false, status: 401 });
  });

  it('a correctly signed link valid for more than 7 days is refused', () => {
    // Signed with the real secret, as only someone holding it could: the server caps the lifetime anyway.
    const later = new Date(NOW.getTime() + 60_000);
    const q = linkQuery(createStatusLink(BASE, TOKEN, MAX_LINK_TTL_SECONDS, later));
    expect(authorize(ANON, req(q), NOW)).toMatchObject({ ok: false, message: /longer than 7 days/ });
    expect(authorize(ANON, req(q), later)).toEqual({ ok: true, by: 'link' });
  });

  it('opens GET /status only', () => {
    const q = linkQuery(createStatusLink(BASE, TOKEN, 3600, NOW));
    expect(authorize(ANON, req(q, 'POST', '/status'), NOW)).toMatchObject({ ok: false, message: /GET \/status only/ });
    expect(authorize(ANON, req(q, 'GET', '/plan'), NOW)).toMatchObject({ ok: false });
  });

  it.each([
    ['a lifetime of 0', BASE, 0],
    ['a lifetime over 7 days', BASE, MAX_LINK_TTL_SECONDS + 1],
    ['a fractional lifetime', BASE, 1.5],
    ['a base URL with a path', `${BASE}/api`, 60],
    ['a base URL with a query', `${BASE}/?a=1`, 60],
    ['not a URL', 'op-abc.cn-hangzhou.fcapp.run', 60],
    ['a base URL with user:password', 'https://u:p@op.example', 60],
  ])('createStatusLink refuses %s', (_what, base, ttl) => {
    expect(() => createStatusLink(base, TOKEN, ttl, NOW)).toThrow(RangeError);
  });

  it('createStatusLink refuses a secret too short for an anonymous deployment', () => {
    expect(() => createStatusLink(BASE, 'short', 60, NOW)).toThrow(/at least 32 characters/);
  });
});

describe('sameSecret', () => {
  it('compares whole values of any length without throwing', () => {
    expect(sameSecret(TOKEN, TOKEN)).toBe(true);
    expect(sameSecret('', TOKEN)).toBe(false);
    expect(sameSecret(`${TOKEN}${TOKEN}`, TOKEN)).toBe(false);
    expect(sameSecret(TOKEN.toUpperCase(), TOKEN)).toBe(false);
  });
});

function flip(s: string): string {
  const c = s[5] === 'A' ? 'B' : 'A';
  return `${s.slice(0, 5)}${c}${s.slice(6)}`;
}
