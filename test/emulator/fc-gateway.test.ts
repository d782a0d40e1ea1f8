import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type BuildResult, buildAll } from '../../scripts/build.js';
import { signAcs3Request } from '../../shared/adapters/fc/acs3-signer.js';
import type { CloudCredentials } from '../../shared/runtime/credentials.js';
import { type Emulator, type HttpTrigger, startEmulator } from '../../sandbox/emulator/index.js';

/**
 * Computed with @alicloud/openapi-util 0.3.3 (`Client.getAuthorization(request, 'ACS3-HMAC-SHA256', hashedPayload,
 * accessKeyId, secret)`), the helper FC's "signature authentication for HTTP triggers" page names for Node: an
 * independent implementation of the same algorithm. The package is not a dependency; these are its outputs.
 */
const OPENAPI_UTIL_VECTORS = [
  {
    input: {
      method: 'POST',
      url: 'https://abc123.cn-hangzhou.fcapp.run/rotate/run?force=yes&note=a%20b*c&certificate=shop',
      headers: { 'content-type': 'application/json' },
      body: '{"certificates":["shop"],"force":true}',
      credentials: {
        accessKeyId: 'STS.ExampleAccessKeyIdForVector',
        accessKeySecret: 'ExampleSecretForTheTestVectorOnly',
        securityToken: 'CAISexampleSecurityTokenForTheVector',
      },
      now: new Date('2026-11-30T12:00:00Z'),
      nonce: '3f1c2a9e5b7d4e6f8a0b1c2d3e4f5a6b',
    },
    contentSha256: '21bef6d224f0b234493cac7b3cbd3a840524d007753dbb0fed826cbc24d2b892',
    authorization:
      'ACS3-HMAC-SHA256 Credential=STS.ExampleAccessKeyIdForVector,SignedHeaders=content-type;host;x-acs-content-sha256;x-acs-date;x-acs-security-token;x-acs-signature-nonce,Signature=29d9a589bf8a0d5afc86643a554dc308522d2d19804bfd1d22e777feba000b6f',
  },
  {
    input: {
      method: 'GET',
      url: 'http://127.0.0.1:9000/',
      credentials: { accessKeyId: 'LTAIExampleLongTermKey0000', accessKeySecret: 'AnotherExampleSecret' },
      now: new Date('2026-11-30T12:00:00Z'),
      nonce: 'n-1',
    },
    contentSha256: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    authorization:
      'ACS3-HMAC-SHA256 Credential=LTAIExampleLongTermKey0000,SignedHeaders=host;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce,Signature=eaad4f016506922c1157716e1cbc5acd2ce9528d03c067eb6d0595da18b27bf5',
  },
];

describe('signAcs3Request', () => {
  it.each(OPENAPI_UTIL_VECTORS)('agrees with @alicloud/openapi-util ($input.method $input.url)', (v) => {
    const headers = signAcs3Request(v.input);
    expect(headers.authorization).toBe(v.authorization);
    expect(headers['x-acs-content-sha256']).toBe(v.contentSha256);
    expect(headers['x-acs-date']).toBe('2026-11-30T12:00:00Z');
    expect(headers['x-acs-security-token']).toBe(v.input.credentials.securityToken);
  });

  it('never puts the secret into the headers it returns', () => {
    const v = OPENAPI_UTIL_VECTORS[0]?.input;
    if (!v) throw new Error('no vector');
    expect(JSON.stringify(signAcs3Request(v))).not.toContain(v.credentials.accessKeySecret);
  });
});

const FN = 'slb-cert-rotator';
let now = Date.now();
let emu: Emulator;
let signedTrigger: HttpTrigger;
let anonymousTrigger: HttpTrigger;
let events: Record<string, unknown>[] = [];

beforeAll(async () => {
  emu = await startEmulator({ tlsListeners: false, clock: () => now });
  emu.fc.registerFunction({
    name: FN,
    code: {
      handler: async (event) => {
        const e = JSON.parse(event.toString('utf8')) as Record<string, unknown>;
        events.push(e);
        return { statusCode: 201, headers: { 'x-answer': 'yes' }, body: JSON.stringify({ got: e.body }) };
      },
    },
  });
  signedTrigger = await emu.fc.startHttpTrigger(FN, { authType: 'function' });
  anonymousTrigger = await emu.fc.startHttpTrigger(FN, { authType: 'anonymous' });
});
afterAll(() => emu.close());
beforeEach(() => {
  now = Date.now();
  events = [];
});

interface SendOptions {
  credentials?: CloudCredentials;
  method?: string;
  path?: string;
  body?: string;
  /** Sign this body but send `body`. */
  signedBody?: string;
  signedAt?: Date;
  nonce?: string;
  dropHeader?: string;
}

async function send(trigger: HttpTrigger, o: SendOptions = {}): Promise<Response> {
  const url = `${trigger.url}${o.path ?? '/run?certificate=shop&certificate=api'}`;
  const method = o.method ?? 'POST';
  const body = method === 'GET' ? undefined : (o.body ?? '{"force":true}');
  const headers: Record<string, string> = { 'content-type': 'application/json', 'X-Caller': 'test' };
  if (o.credentials) {
    Object.assign(
      headers,
      signAcs3Request({
        method,
        url,
        headers,
        body: o.signedBody ?? body ?? '',
        credentials: o.credentials,
        now: o.signedAt ?? new Date(now),
        ...(o.nonce ? { nonce: o.nonce } : {}),
      }),
    );
  }
  if (o.dropHeader) delete headers[o.dropHeader];
  return fetch(url, { method, headers, ...(body === undefined ? {} : { body }) });
}

describe('HTTP trigger, authType function (ACS3-HMAC-SHA256 checked by the gateway)', () => {
  it('passes a correctly signed request to the function as an FC 3.0 HTTP event and maps the answer back', async () => {
    const res = await send(signedTrigger, { credentials: emu.credentials });
    expect(res.status).toBe(201);
    expect(res.headers.get('x-answer')).toBe('yes');
    expect(res.headers.get('x-fc-request-id')).toMatch(/^1-/);
    expect(await res.json()).toEqual({ got: '{"force":true}' });
    expect(events).toHaveLength(1);
    const e = events[0] as {
      version: string;
      rawPath: string;
      body: string;
      isBase64Encoded: boolean;
      headers: Record<string, string>;
      queryParameters: Record<string, string>;
      requestContext: {
        http: { method: string; path: string; sourceIp: string };
        requestId: string;
        time: string;
        timeEpoch: string;
        accountId: string;
      };
    };
    expect(e).toMatchObject({ version: 'v1', rawPath: '/run', body: '{"force":true}', isBase64Encoded: false });
    expect(e.queryParameters).toEqual({ certificate: 'shop,api' });
    expect(e.requestContext.http).toMatchObject({ method: 'POST', path: '/run', sourceIp: '127.0.0.1' });
    expect(e.requestContext.requestId).toBe(res.headers.get('x-fc-request-id'));
    expect(e.requestContext.timeEpoch).toBe(String(now));
    expect(e.requestContext.accountId).toBe(emu.fc.accountId);
    expect(e.headers['x-caller'] ?? e.headers['X-Caller']).toBe('test');
    // The caller's credentials never reach the function's event (which it may log).
    expect(Object.keys(e.headers).map((h) => h.toLowerCase())).not.toContain('authorization');
  });

  it('accepts STS credentials with their token; refuses them without it', async () => {
    const sts = emu.issueStsCredentials();
    expect((await send(signedTrigger, { credentials: sts })).status).toBe(201);
    const noToken = { accessKeyId: sts.accessKeyId, accessKeySecret: sts.accessKeySecret };
    expect((await send(signedTrigger, { credentials: noToken })).status).toBe(403);
    expect(events).toHaveLength(1);
    const last = events[0] as { headers: Record<string, string> };
    expect(Object.keys(last.headers).map((h) => h.toLowerCase())).not.toContain('x-acs-security-token');
  });

  it.each<[string, () => SendOptions]>([
    ['no signature at all', () => ({})],
    ['a wrong secret', () => ({ credentials: { ...emu.credentials, accessKeySecret: 'wrong-secret-000' } })],
    [
      'an unknown key',
      () => ({ credentials: { accessKeyId: 'LTAInobodyhasthiskey00', accessKeySecret: 'x'.repeat(30) } }),
    ],
    ['a body other than the signed one', () => ({ credentials: emu.credentials, signedBody: '{"force":false}' })],
    ['x-acs-content-sha256 removed', () => ({ credentials: emu.credentials, dropHeader: 'x-acs-content-sha256' })],
    ['x-acs-date 16 minutes old', () => ({ credentials: emu.credentials, signedAt: new Date(now - 16 * 60_000) })],
    ['x-acs-date 16 minutes ahead', () => ({ credentials: emu.credentials, signedAt: new Date(now + 16 * 60_000) })],
    ['another path than the signed one', () => ({ credentials: emu.credentials, path: '/other' })],
  ])('answers 403 to %s, and the function never runs', async (_, options) => {
    const o = options();
    const res = o.path === '/other' ? await sendToOtherPath(o) : await send(signedTrigger, o);
    expect(res.status).toBe(403);
    const body = (await res.json()) as { Code: string; Message: string };
    expect(body.Code).toEqual(expect.any(String));
    expect(body.Message).toEqual(expect.any(String));
    expect(events).toHaveLength(0);
  });

  it('refuses a replayed request (same nonce) with 403', async () => {
    const nonce = `nonce-${Math.random()}`;
    expect((await send(signedTrigger, { credentials: emu.credentials, nonce })).status).toBe(201);
    expect((await send(signedTrigger, { credentials: emu.credentials, nonce })).status).toBe(403);
    expect(events).toHaveLength(1);
  });

  it('answers anything to an anonymous trigger, signed or not', async () => {
    expect((await send(anonymousTrigger)).status).toBe(201);
    expect((await send(anonymousTrigger, { credentials: emu.credentials })).status).toBe(201);
    expect(events).toHaveLength(2);
  });
});

/** Signed for `/run`, sent to `/other`. */
async function sendToOtherPath(o: SendOptions): Promise<Response> {
  const signedUrl = `${signedTrigger.url}/run`;
  const body = '{"force":true}';
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  Object.assign(
    headers,
    signAcs3Request({
      method: 'POST',
      url: signedUrl,
      headers,
      body,
      credentials: o.credentials ?? emu.credentials,
      now: new Date(now),
    }),
  );
  return fetch(`${signedTrigger.url}/other`, { method: 'POST', headers, body });
}

describe('the bundled rotation function behind a signed HTTP trigger', () => {
  const outDir = mkdtempSync(join(tmpdir(), 'fc-gateway-build-'));
  let built: BuildResult;
  let trigger: HttpTrigger;

  beforeAll(async () => {
    // Built here, not taken from dist/: other work in the tree may rebuild dist/ at any moment.
    built = await buildAll(outDir);
    const bundle = built.functions.find((f) => f.name === 'rotate')?.file;
    if (!bundle) throw new Error('no rotate bundle was built');
    emu.fc.registerFunction({ name: 'rotate-bundle', code: { bundle }, timeout: 60 });
    trigger = await emu.fc.startHttpTrigger('rotate-bundle', { authType: 'function' });
  }, 120_000);
  afterAll(() => rmSync(outDir, { recursive: true, force: true }));

  it('runs the real handler for a signed request (GET is answered 405 by the function itself)', async () => {
    const before = emu.fc.invocations('rotate-bundle').length;
    const res = await send(trigger, { credentials: emu.credentials, method: 'GET', path: '/' });
    expect(res.status).toBe(405);
    const invs = emu.fc.invocations('rotate-bundle');
    expect(invs).toHaveLength(before + 1);
    expect(invs.at(-1)).toMatchObject({ type: 'HttpTrigger', status: 'succeeded' });
    expect(JSON.parse(invs.at(-1)?.event ?? '{}')).toMatchObject({
      version: 'v1',
      requestContext: { http: { method: 'GET' } },
    });
  }, 60_000);

  it('keeps an unsigned POST away from the function (403, no invocation)', async () => {
    const before = emu.fc.invocations('rotate-bundle').length;
    const res = await send(trigger, { method: 'POST', path: '/', body: '{"force":true}' });
    expect(res.status).toBe(403);
    expect(emu.fc.invocations('rotate-bundle')).toHaveLength(before);
  });
});
