/**
 * One run at a time: a manual call that reaches an instance during the daily run is refused with 409 and a message
 * that says a run is in progress, and nothing is ordered twice. (Function Compute itself refuses the call first
 * when s.yaml's reservedConcurrency 1 / instanceConcurrency 1 are in force; this is the function's own guard.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RotatorContext } from '../../shared/fc/context.js';
import { parseFcEvent } from '../../shared/fc/events.js';
import { toHttpError } from '../../shared/fc/middlewares.js';
import { handleRotateInvocation } from '../../shared/fc/rotate-invocation.js';
import { silentLogger } from '../../shared/log/logger.js';
import { sandboxConfigYaml, seedListener } from '../../sandbox/world.js';
import { type RotationHarness, startRotationHarness } from '../support/rotation-harness.js';

const REGION = 'cn-hangzhou';
let h: RotationHarness;
let env: Record<string, string>;

beforeAll(async () => {
  h = await startRotationHarness(['lock.test']);
  const seeded = await seedListener(h.world, { regionId: REGION, domains: ['lock.test'], days: 3 });
  env = {
    ...h.world.endpointEnv,
    ROTATOR_CONFIG: sandboxConfigYaml(h.ca, [
      {
        name: 'lock',
        domains: ['lock.test'],
        region: REGION,
        listeners: [{ loadBalancerId: seeded.loadBalancerId, port: 443 }],
      },
    ]),
  };
});
afterAll(async () => {
  await h?.close();
});

function context(): RotatorContext {
  return {
    requestId: 'r',
    credentials: h.world.emulator.issueStsCredentials(),
    logger: silentLogger,
    deadline: new AbortController().signal,
  };
}

const timer = Buffer.from(JSON.stringify({ triggerTime: '2026-11-22T03:17:00Z', triggerName: 'daily', payload: '{}' }));
const post = Buffer.from(
  JSON.stringify({
    version: 'v1',
    rawPath: '/',
    body: '{"force":true}',
    isBase64Encoded: false,
    headers: {},
    queryParameters: {},
    requestContext: { http: { method: 'POST', path: '/' }, requestId: 'm' },
  }),
);

describe('one run at a time', () => {
  it('a manual call during the daily run gets 409 "in progress"; the daily run orders once', async () => {
    // Hold the daily run in its gather stage long enough for the manual call to arrive.
    h.world.emulator.faults.latency(800, { action: 'DescribeServerCertificates', times: 1 });
    const daily = handleRotateInvocation(parseFcEvent(timer), context(), env);
    await new Promise((r) => setTimeout(r, 100));
    const manual = await handleRotateInvocation(parseFcEvent(post), context(), env).then(
      () => undefined,
      (err: unknown) => toHttpError(err),
    );
    expect(manual?.statusCode).toBe(409);
    expect(JSON.parse(manual?.body ?? '{}').error.message).toMatch(
      /a rotation run is in progress \(trigger timer, since /,
    );
    const summary = (await daily) as { counts: Record<string, number> };
    expect(summary.counts.rotated).toBe(1);
    expect(h.world.emulator.callsOf('UploadServerCertificate')).toHaveLength(1);

    // Once the daily run is over, the manual call goes through.
    const after = (await handleRotateInvocation(parseFcEvent(post), context(), env)) as {
      statusCode: number;
      body: string;
    };
    expect(after.statusCode).toBe(200);
  }, 120_000); // a full rotation in this process: a loaded CI machine needs more than the default 30 s
});
