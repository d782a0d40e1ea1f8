/**
 * The Function Compute handler, bundled as it is deployed and invoked in its own process the way FC 3.0's nodejs20
 * runtime does (a Buffer event, STS credentials in the context), against the emulator and Pebble.
 */
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sandboxConfigYaml, seedListener } from '../../sandbox/world.js';
import type { BuildResult } from '../../scripts/build.js';
import { type Invocation, invokeBundle } from '../support/fc-invoke.js';
import { builtBundles } from '../support/bundles.js';
import { type RotationHarness, startRotationHarness } from '../support/rotation-harness.js';

const REGION = 'cn-hangzhou';
let h: RotationHarness;
let built: BuildResult;
let env: Record<string, string>;
const outDir = join(tmpdir(), `rotator-bundle-${process.pid}`);
function httpEvent(method: string, body: string) {
  return JSON.stringify({
    version: 'v1',
    rawPath: '/',
    body,
    isBase64Encoded: false,
    headers: { 'Content-Type': 'application/json' },
    queryParameters: {},
    requestContext: {
      accountId: '1234567890123456',
      domainName: 'x.cn-hangzhou.fcapp.run',
      domainPrefix: 'x',
      http: { method, path: '/', protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'test' },
      requestId: '1-test',
      time: '2026-11-22T06:41:11Z',
      timeEpoch: '1795000000000',
      triggerId: 'http',
    },
  });
}

function context() {
  return {
    requestId: 'req-1',
    region: REGION,
    accountId: '1234567890123456',
    credentials: h.world.emulator.issueStsCredentials(),
    function: { name: 'slb-cert-rotator', handler: 'index.handler', memory: 512, timeout: 900 },
  };
}

beforeAll(async () => {
  built = builtBundles();
  [h] = await Promise.all([startRotationHarness(['handler.test']), mkdir(outDir, { recursive: true })]);
  const seeded = await seedListener(h.world, { regionId: REGION, domains: ['handler.test'], days: 3 });
  const configFile = join(outDir, 'rotator.test.yaml');
  await writeFile(
    configFile,
    sandboxConfigYaml(h.ca, [
      {
        name: 'shop',
        domains: ['handler.test'],
        region: REGION,
        listeners: [{ loadBalancerId: seeded.loadBalancerId, port: 443 }],
      },
      // A second certificate for the forced HTTP run, so that it does not depend on the timer run before it.
      { name: 'api', domains: ['api.handler.test'], region: REGION },
    ]),
  );
  // NODE_EXTRA_CA_CERTS (trust in Pebble) comes from the test runner's environment, which the child inherits.
  env = { ...h.world.endpointEnv, ROTATOR_CONFIG_FILE: configFile };
}, 180_000);
afterAll(async () => {
  await h?.close();
  await rm(outDir, { recursive: true, force: true });
});

const bundle = () => built.functions.find((f) => f.name === 'rotate')?.file as string;
type HttpResult = { statusCode: number; headers: Record<string, string>; body: string };

describe('the bundle', () => {
  it('contains no emulator, sandbox or test code', async () => {
    const fn = built.functions.find((f) => f.name === 'rotate');
    expect(fn).toBeDefined();
    expect(fn?.inputs.filter((i) => /(^|\/)(sandbox|test|bench)\//.test(i))).toEqual([]);
    expect(await readFile(bundle(), 'utf8')).not.toMatch(/startEmulator|challtestsrv/);
  });

  it('leaves acme-client and fc2 to files of their own, loaded only when a run needs them', async () => {
    const fn = built.functions.find((f) => f.name === 'rotate');
    expect(fn?.inputs.filter((i) => /node_modules\/(acme-client|@alicloud\/fc2|node-forge|ali-oss)\//.test(i))).toEqual(
      [],
    );
    const code = await readFile(bundle(), 'utf8');
    expect(code).toContain('import("./vendor/acme-client.cjs")');
    expect(code).toContain('import("./vendor/fc2.cjs")');
    for (const file of ['acme-client.cjs', 'fc2.cjs']) {
      expect((await stat(join(dirname(bundle()), 'vendor', file))).size).toBeGreaterThan(100_000);
    }
  });
});

// Full rotations (an order at Pebble, DNS-01, upload, wire check) get 120 s: a loaded CI machine needs it.
describe('FC handler', () => {
  it('GET is refused with 405 and an Allow header', async () => {
    const res = (await invokeBundle(bundle(), httpEvent('GET', ''), context(), env)).result as HttpResult;
    expect(res.statusCode).toBe(405);
    expect(res.headers.allow).toBe('POST');
    expect(JSON.parse(res.body).error.message).toMatch(/POST runs a rotation/);
  });

  it('malformed JSON gets a 400 that says why', async () => {
    const res = (await invokeBundle(bundle(), httpEvent('POST', '{"force":'), context(), env)).result as HttpResult;
    expect(res.statusCode).toBe(400);
    expect(JSON.parse(res.body).error.message).toMatch(/request body is not valid JSON/);
  });

  it('an unknown certificate name gets a 400 naming it and the configured ones', async () => {
    const res = (await invokeBundle(bundle(), httpEvent('POST', '{"certificates":["nope"]}'), context(), env))
      .result as HttpResult;
    expect(res.statusCode).toBe(400);
    expect(JSON.parse(res.body).error.message).toMatch(/unknown name\(s\) "nope"; configured: shop, api/);
  });

  it('an unknown certificate name gets its 400 even when there are no credentials at all', async () => {
    const { credentials: _none, ...bare } = context();
    const res = (
      await invokeBundle(bundle(), httpEvent('POST', '{"certificates":["nope"]}'), bare, {
        ...env,
        ALIBABA_CLOUD_ACCESS_KEY_ID: '',
        ALIBABA_CLOUD_ACCESS_KEY_SECRET: '',
      })
    ).result as HttpResult;
    expect(res.statusCode).toBe(400);
    expect(JSON.parse(res.body).error.message).toMatch(/unknown name\(s\) "nope"/);
  });

  it('an explicit empty certificate list is a 400, not "all"', async () => {
    const run = await invokeBundle(bundle(), httpEvent('POST', '{"certificates":[]}'), context(), env);
    const res = run.result as HttpResult;
    expect(res.statusCode).toBe(400);
    expect(JSON.parse(res.body).error.message).toMatch(/certificates: an empty list selects nothing/);
    expect(run.stdout).not.toMatch(/rotation\.outcome/);
  });

  it('a body that is not a string is a 400, logged as one JSON line by our logger (no stack), nothing by FC`s', async () => {
    const event = JSON.parse(httpEvent('POST', '')) as Record<string, unknown>;
    const run = await invokeBundle(bundle(), JSON.stringify({ ...event, body: { force: true } }), context(), env);
    const res = run.result as HttpResult;
    expect(res.statusCode).toBe(400);
    expect(JSON.parse(res.body).error.message).toBe("the HTTP event's body must be a string, not an object");
    const lines = run.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 'warn', msg: 'invocation refused', err: { name: 'EventParseError' } });
    expect(Object.keys(lines[0].err).sort()).toEqual(['message', 'name']);
    // The local runtime hands the handler `console` as context.logger, as FC hands its own: nothing may use it.
    expect(run.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^fc-local-runtime: handler returned /)]);
  });

  it('a null event is rejected: the invocation fails, with one log line from our logger', async () => {
    const run = await invokeFailing('null', context(), env);
    expect(run.stderr).toMatch(/the handler threw EventParseError: the event must be a JSON object, not null/);
    const lines = run.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).toMatchObject([{ level: 'warn', err: { name: 'EventParseError' } }]);
  });

  it('the function loads with any ROTATOR_LOG_LEVEL: empty is the default, a typo one warning', async () => {
    const empty = await invokeBundle(bundle(), httpEvent('GET', ''), context(), { ...env, ROTATOR_LOG_LEVEL: '' });
    expect((empty.result as HttpResult).statusCode).toBe(405);
    expect(empty.stdout).not.toMatch(/ROTATOR_LOG_LEVEL/);
    const typo = await invokeBundle(bundle(), httpEvent('GET', ''), context(), { ...env, ROTATOR_LOG_LEVEL: 'verbos' });
    expect((typo.result as HttpResult).statusCode).toBe(405);
    const warnings = typo.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
      .filter((l) => l.variable === 'ROTATOR_LOG_LEVEL');
    expect(warnings).toMatchObject([
      { level: 'warn', msg: 'ROTATOR_LOG_LEVEL "verbos" is not one of debug, info, warn, error: using "info"' },
    ]);
  });

  it('a bad endpoint variable fails the run with a 500 naming it; the function still loads and answers', async () => {
    const run = await invokeBundle(bundle(), httpEvent('POST', '{"certificates":["api"]}'), context(), {
      ...env,
      ROTATOR_SLB_ENDPOINT: 'ftp://user:pw-in-url@slb.example',
      ROTATOR_DNS_SERVERS: 'ns1.example.com',
    });
    const res = run.result as HttpResult;
    expect(res.statusCode).toBe(500);
    const issues = JSON.parse(res.body).error.issues as string[];
    expect(issues.map((i) => i.split(':')[0])).toEqual(['ROTATOR_SLB_ENDPOINT', 'ROTATOR_DNS_SERVERS']);
    expect(run.stdout + run.stderr + res.body).not.toContain('pw-in-url');
    expect(run.stdout).not.toMatch(/rotation\.outcome/);
  });

  it('POST {"force":true} answers with the outcome records as JSON', async () => {
    const res = (
      await invokeBundle(bundle(), httpEvent('POST', '{"certificates":["api"],"force":true}'), context(), env)
    ).result as HttpResult;
    expect(res.statusCode).toBe(200);
    const body = JSON.parse(res.body);
    expect(body.summary.trigger).toBe('http');
    expect(body.outcomes).toHaveLength(1);
    expect(body.outcomes[0]).toMatchObject({ certificate: 'api', outcome: 'rotated' });
    expect(body.outcomes[0].reason).toMatch(/forced/);
    expect(res.body).not.toMatch(/PRIVATE KEY/);
  }, 120_000);
  it('the timer event rotates and returns the summary; the records reach stdout as JSON lines', async () => {
    const timer = { triggerTime: '2026-11-22T03:17:00Z', triggerName: 'daily', payload: '{"force":false}' };
    const run = await invokeBundle(bundle(), timer, context(), env);
    const summary = run.result as { event: string; counts: Record<string, number>; trigger: string };
    expect(summary).toMatchObject({ event: 'rotation.summary', trigger: 'timer' });
    expect(summary.counts.rotated).toBe(1);
    // `api` was issued by the forced HTTP run just before, so it is not due yet.
    expect(summary.counts['not-due']).toBe(1);
    // Every stdout line is JSON: FC's Log Service indexes them.
    const lines = run.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const outcome = lines.find((l) => l.event === 'rotation.outcome' && l.certificate === 'shop');
    expect(outcome).toMatchObject({ certificate: 'shop', region: REGION, outcome: 'rotated' });
    expect(Object.keys(outcome)).toEqual(
      expect.arrayContaining([
        'event',
        'certificate',
        'region',
        'outcome',
        'reason',
        'previous',
        'current',
        'daysGained',
        'durationMs',
      ]),
    );
    const text = run.stdout + run.stderr;
    for (const secret of h.secrets()) expect(text).not.toContain(secret);
    expect(text).not.toMatch(/PRIVATE KEY/);
  }, 120_000);

  it('a direct invocation without a payload (the console`s invoke button) runs every certificate', async () => {
    const run = await invokeBundle(bundle(), '', context(), env);
    const summary = run.result as { trigger: string; certificates: number; counts: Record<string, number> };
    expect(summary).toMatchObject({ trigger: 'invoke', certificates: 2 });
    expect(summary.counts['not-due']).toBe(2);
  }, 120_000);
});

/** An invocation the handler fails: the local runtime exits 1, which execFile reports as an error. */
async function invokeFailing(event: string, ctx: Record<string, unknown>, e: Record<string, string>) {
  try {
    await invokeBundle(bundle(), event, ctx, e);
  } catch (err) {
    return err as Invocation & { code: number };
  }
  throw new Error('the invocation was expected to fail');
}
