/**
 * The Function Compute handler, bundled as it is deployed and invoked in its own process the way FC 3.0's nodejs20
 * runtime does (a Buffer event, STS credentials in the context), against the emulator and Pebble.
 */
import { readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sandboxConfigYaml, seedListener } from '../../sandbox/world.js';
import { type BuildResult, buildAll } from '../../scripts/build.js';
import { invokeBundle } from '../support/fc-invoke.js';
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
  [h, built] = await Promise.all([startRotationHarness(['handler.test']), buildAll(outDir)]);
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
      // A second certificate for the forced HTTP run: re-issuing one name within the same second gives the same
      // notAfter (Pebble has second precision), which the comparison rightly calls `regressed`.
      { name: 'api', domains: ['api.handler.test'], region: REGION },
    ]),
  );
  // NODE_EXTRA_CA_CERTS (trust in Pebble) comes from the test runner's environment, which the child inherits.
  env = { ...h.world.endpointEnv, ROTATOR_CONFIG_FILE: configFile };
}, 60_000);
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
});

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
  });
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
  });
});
