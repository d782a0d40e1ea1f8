/**
 * The operator function, bundled as it is deployed, served by the emulator's Function Compute: real HTTP requests
 * through the emulated HTTP trigger (ACS3-HMAC-SHA256 checked by the gateway in `function` mode, nothing checked by
 * the gateway in `anonymous` mode), the handler in its own Node process, `POST /rotate` reaching the bundled rotation
 * function through @alicloud/fc2's asynchronous InvokeFunction, and the rotation itself against the emulator and
 * Pebble.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { HttpTrigger } from '../../sandbox/emulator/index.js';
import { sandboxConfigYaml, seedListener } from '../../sandbox/world.js';
import type { BuildResult } from '../../scripts/build.js';
import { signAcs3Request } from '../../shared/adapters/fc/acs3-signer.js';
import { createStatusLink } from '../../shared/operator/auth.js';
import type { CloudCredentials } from '../../shared/runtime/credentials.js';
import { builtBundles } from '../support/bundles.js';
import { type RotationHarness, startRotationHarness } from '../support/rotation-harness.js';

const REGION = 'cn-hangzhou';
const ROTATE = 'slb-cert-rotator';
const OPERATOR = 'slb-cert-rotator-operator';
const OPERATOR_ANONYMOUS = 'slb-cert-rotator-operator-anonymous';
const TOKEN = 'operator-test-token-0123456789abcdefghij';

let h: RotationHarness;
let built: BuildResult;
let signed: HttpTrigger;
let anonymous: HttpTrigger;
const outDir = join(tmpdir(), `rotator-operator-${process.pid}`);

beforeAll(async () => {
  built = builtBundles();
  [h] = await Promise.all([startRotationHarness(['operator.test']), mkdir(outDir, { recursive: true })]);
  const seeded = await seedListener(h.world, { regionId: REGION, domains: ['operator.test'], days: 3 });
  const configFile = join(outDir, 'rotator.test.yaml');
  await writeFile(
    configFile,
    sandboxConfigYaml(h.ca, [
      {
        name: 'shop',
        domains: ['operator.test'],
        region: REGION,
        listeners: [{ loadBalancerId: seeded.loadBalancerId, port: 443 }],
      },
      { name: 'api', domains: ['api.operator.test'], region: REGION },
    ]),
  );
  const bundle = (name: string) => built.functions.find((f) => f.name === name)?.file as string;
  const fc = h.world.emulator.fc;
  // NODE_EXTRA_CA_CERTS (trust in Pebble) comes from the test runner's environment, which each function inherits.
  const common = { ...h.world.endpointEnv, ROTATOR_CONFIG_FILE: configFile };
  fc.registerFunction({ name: ROTATE, code: { bundle: bundle('rotate'), env: common }, timeout: 900 });
  const operatorEnv = { ...common, ROTATOR_FC_ENDPOINT: fc.endpoint, ROTATOR_ROTATE_FUNCTION: ROTATE };
  fc.registerFunction({ name: OPERATOR, code: { bundle: bundle('operator'), env: operatorEnv }, timeout: 120 });
  fc.registerFunction({
    name: OPERATOR_ANONYMOUS,
    code: {
      bundle: bundle('operator'),
      env: { ...operatorEnv, ROTATOR_OPERATOR_AUTH: 'anonymous', ROTATOR_OPERATOR_TOKEN: TOKEN },
    },
    timeout: 120,
  });
  [signed, anonymous] = await Promise.all([
    fc.startHttpTrigger(OPERATOR, { authType: 'function' }),
    fc.startHttpTrigger(OPERATOR_ANONYMOUS, { authType: 'anonymous' }),
  ]);
}, 120_000);

afterAll(async () => {
  await h?.close();
  await rm(outDir, { recursive: true, force: true });
});

beforeEach(async () => {
  await h.world.emulator.faults.reset();
});

// A run a test started (and maybe gave up on) must not make calls during the next test's "nothing changed" checks.
afterEach(async () => {
  const unfinished = invocations(ROTATE).filter((i) => i.status === 'queued' || i.status === 'running');
  await Promise.all(unfinished.map((i) => h.world.emulator.fc.waitForInvocation(i.requestId, 90_000)));
}, 100_000);

interface Answer {
  status: number;
  headers: Headers;
  text: string;
  json: () => { error?: { message: string }; [k: string]: unknown };
}

async function send(
  url: string,
  init: { method?: string; body?: string; headers?: Record<string, string>; sign?: CloudCredentials } = {},
): Promise<Answer> {
  const method = init.method ?? 'GET';
  const headers: Record<string, string> = {
    ...(init.body ? { 'content-type': 'application/json' } : {}),
    ...init.headers,
  };
  if (init.sign) {
    Object.assign(
      headers,
      signAcs3Request({ method, url, headers, body: init.body ?? '', credentials: init.sign, now: new Date() }),
    );
  }
  const res = await fetch(url, { method, headers, ...(init.body !== undefined ? { body: init.body } : {}) });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, json: () => JSON.parse(text) };
}

const key = () => h.world.emulator.credentials;
/** Every SLB/Alidns call that changes something (the emulator's call log keeps every wire call). */
const writes = () => h.world.emulator.calls.filter((c) => !/^Describe/.test(c.action));
const invocations = (name: string) => h.world.emulator.fc.invocations(name);

/** Runs `act` and shows that it changed nothing: no write, no rotation started, and no request reached `reached`. */
async function expectNothingChanged(act: () => Promise<void>, notReached: string[] = []) {
  const before = {
    writes: writes().length,
    rotations: invocations(ROTATE).length,
    reached: notReached.map((n) => invocations(n).length),
  };
  await act();
  expect(writes().length).toBe(before.writes);
  expect(invocations(ROTATE).length).toBe(before.rotations);
  expect(notReached.map((n) => invocations(n).length)).toEqual(before.reached);
}

describe('authType function: the gateway checks the ACS3 signature', () => {
  it.each([
    ['unsigned', {}],
    [
      'signed with an unknown key',
      { sign: { accessKeyId: 'LTAIunknown0000', accessKeySecret: 'not-the-secret-0000' } },
    ],
  ])('%s POST /rotate → 403 from the gateway; the function never runs, nothing changes', async (_what, init) => {
    await expectNothingChanged(async () => {
      const res = await send(`${signed.url}/rotate`, { method: 'POST', body: '{"force":true}', ...init });
      expect(res.status).toBe(403);
    }, [OPERATOR]);
  });

  it('a signed request whose body was swapped after signing → 403', async () => {
    await expectNothingChanged(async () => {
      const url = `${signed.url}/rotate`;
      const headers = {
        'content-type': 'application/json',
        ...signAcs3Request({
          method: 'POST',
          url,
          headers: { 'content-type': 'application/json' },
          body: '{"dryRun":true}',
          credentials: key(),
          now: new Date(),
        }),
      };
      const res = await fetch(url, { method: 'POST', headers, body: '{"force":true}' });
      expect(res.status).toBe(403);
    }, [OPERATOR]);
  });

  it('signed: wrong method 405 with Allow, unknown path 404, unknown names 400, oversized body 413', async () => {
    await expectNothingChanged(async () => {
      const get = await send(`${signed.url}/rotate`, { sign: key() });
      expect(get.status).toBe(405);
      expect(get.headers.get('allow')).toBe('POST');
      const missing = await send(`${signed.url}/rotations`, { sign: key() });
      expect(missing.status).toBe(404);
      expect(missing.json().error?.message).toMatch(/GET \/plan, GET \/status, POST \/rotate/);
      const unknown = await send(`${signed.url}/rotate`, {
        method: 'POST',
        body: '{"certificates":["shop","nope"]}',
        sign: key(),
      });
      expect(unknown.status).toBe(400);
      expect(unknown.json().error?.message).toMatch(/unknown name\(s\) "nope"; configured: shop, api/);
      const big = await send(`${signed.url}/rotate`, {
        method: 'POST',
        body: `{"force":true${' '.repeat(17_000)}}`,
        sign: key(),
      });
      expect(big.status).toBe(413);
      expect(big.json().error?.message).toMatch(/limit is 16384 bytes/);
    });
  });

  it('signed POST /rotate starts the rotation function asynchronously: 202 with the invocation id', async () => {
    const res = await send(`${signed.url}/rotate`, {
      method: 'POST',
      body: '{"certificates":["api"],"force":true}',
      sign: key(),
    });
    expect(res.status).toBe(202);
    const { invocationId, request } = res.json() as { invocationId: string; request: unknown };
    expect(request).toEqual({ certificates: ['api'], force: true });
    const started = invocations(ROTATE).find((i) => i.requestId === invocationId);
    expect(started).toMatchObject({ type: 'Async', functionName: ROTATE });
    expect(JSON.parse(started?.event ?? '{}')).toEqual({ certificates: ['api'], force: true });
    const done = await h.world.emulator.fc.waitForInvocation(invocationId, 90_000);
    expect(done.status).toBe('succeeded');
    expect(done.result).toMatchObject({ event: 'rotation.summary', counts: { rotated: 1 } });
  }, 120_000);

  it('signed POST /rotate with an Idempotency-Key starts one run however often it is sent', async () => {
    const post = () =>
      send(`${signed.url}/rotate`, {
        method: 'POST',
        body: '{"certificates":["api"],"force":true}',
        headers: { 'Idempotency-Key': 'retry-after-a-lost-answer-1' },
        sign: key(),
      });
    const before = invocations(ROTATE).length;
    const first = await post();
    expect(first.status, first.text).toBe(202);
    const { invocationId } = first.json() as { invocationId: string };
    // The client lost the answer and sends the same request again, while the run is queued or running.
    const again = await post();
    expect(again.status, again.text).toBe(200);
    expect(again.json()).toEqual({ alreadyStarted: true, request: { certificates: ['api'], force: true } });
    expect(
      invocations(ROTATE)
        .slice(before)
        .map((i) => i.requestId),
    ).toEqual([invocationId]);
    const started = invocations(ROTATE).find((i) => i.requestId === invocationId);
    expect(started?.taskId).toMatch(/^rotate-key-[0-9a-f]{48}$/);
    const done = await h.world.emulator.fc.waitForInvocation(invocationId, 90_000);
    expect(done.status).toBe('succeeded');
    // And after it finished: still the one run.
    const later = await post();
    expect(later.status, later.text).toBe(200);
    expect(invocations(ROTATE).length).toBe(before + 1);
  }, 120_000);

  it('GET /status answers while a rotation run is in progress', async () => {
    // The run stalls on its DNS-01 record; the status only reads SLB.
    h.world.emulator.faults.latency(10_000, { action: 'AddDomainRecord', times: 1 });
    const start = await send(`${signed.url}/rotate`, {
      method: 'POST',
      body: '{"certificates":["api"],"force":true}',
      sign: key(),
    });
    expect(start.status).toBe(202);
    const { invocationId } = start.json() as { invocationId: string };
    const runState = () => invocations(ROTATE).find((i) => i.requestId === invocationId)?.status;
    // Wait until the run has reached its stalled call, so the status request really overlaps it.
    for (let i = 0; i < 200 && !h.world.emulator.calls.some((c) => c.action === 'AddDomainRecord'); i++) {
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(runState()).toBe('running');
    const status = await send(`${signed.url}/status`, { sign: key() });
    expect(runState()).toBe('running');
    expect(status.status).toBe(200);
    expect(status.json().event).toBe('rotation.status');
    const done = await h.world.emulator.fc.waitForInvocation(invocationId, 90_000);
    expect(done.status).toBe('succeeded');
  }, 120_000);

  it('signed POST /rotate with dryRun answers with the plan and starts nothing', async () => {
    await expectNothingChanged(async () => {
      const res = await send(`${signed.url}/rotate`, {
        method: 'POST',
        body: '{"certificates":["shop"],"dryRun":true}',
        sign: key(),
      });
      expect(res.status).toBe(200);
      expect(res.json().event).toBe('rotation.plan');
    });
  });
});

describe('authType anonymous: the function requires the bearer token, or a signed link for GET /status', () => {
  it.each([
    ['no credentials', {}],
    ['a wrong token', { authorization: `Bearer ${TOKEN}-wrong` }],
    ['an ACS3 signature (not what an anonymous deployment accepts)', { sign: true }],
  ])('%s: POST /rotate → 401, nothing read or changed', async (_what, options) => {
    await expectNothingChanged(async () => {
      const before = h.world.emulator.calls.length;
      const { sign, ...headers } = options as { sign?: boolean; authorization?: string };
      const res = await send(`${anonymous.url}/rotate`, {
        method: 'POST',
        body: '{"force":true}',
        headers,
        ...(sign ? { sign: key() } : {}),
      });
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer /);
      expect(res.text).not.toContain(TOKEN);
      // Not even a read: configuration and credentials are only touched after authorization.
      expect(h.world.emulator.calls.length).toBe(before);
    });
  });

  it('the bearer token is accepted: GET /status JSON', async () => {
    const res = await send(`${anonymous.url}/status`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.status).toBe(200);
    expect(res.json().event).toBe('rotation.status');
  });

  it('a signed link opens the status page, and only the status page', async () => {
    const link = createStatusLink(anonymous.url, TOKEN, 600, new Date());
    const page = await send(link, { headers: { accept: 'text/html,*/*;q=0.8' } });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('content-security-policy')).toMatch(/default-src 'none'/);
    expect(page.text).toMatch(/shop/);
    expect(page.text).not.toContain(TOKEN);
    await expectNothingChanged(async () => {
      const query = new URL(link).search;
      const rotate = await send(`${anonymous.url}/rotate${query}`, { method: 'POST', body: '{"force":true}' });
      expect(rotate.status).toBe(401);
      const plan = await send(`${anonymous.url}/plan${query}`);
      expect(plan.status).toBe(401);
    });
  });

  it('an expired or altered link → 401', async () => {
    const expired = createStatusLink(anonymous.url, TOKEN, 60, new Date(Date.now() - 120_000));
    expect((await send(expired)).status).toBe(401);
    const fresh = new URL(createStatusLink(anonymous.url, TOKEN, 600, new Date()));
    fresh.searchParams.set('expires', String(Number(fresh.searchParams.get('expires')) + 3600));
    expect((await send(fresh.toString())).status).toBe(401);
  });
});
