/**
 * Fan-out through Function Compute, end to end: the bundled rotation function, run by the emulator's FC as a timer
 * invocation, becomes the coordinator and starts one asynchronous invocation per partition through the real
 * @alicloud/fc2 (signature checked by the emulator); each worker, the same bundle in its own process, rotates its
 * partition against the emulated SLB/Alidns and Pebble. One worker is SIGKILLed mid-run and retried by the emulated
 * async system, and the coordinator is invoked a second time with the same timer event.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Emulator, type FcInvocation, type FaultHandle, startEmulator } from '../../sandbox/emulator/index.js';
import {
  type FleetListener,
  fleetCertificates,
  invokeFunction,
  servesOwnUpload,
  uploadsOf,
} from '../../sandbox/fleet-world.js';
import { makeExpiringCertificate } from '../../sandbox/seed-certificate.js';
import { sandboxConfigYaml } from '../../sandbox/world.js';
import type { FanoutRecord } from '../../shared/fleet/fanout-record.js';
import { builtBundles } from '../support/bundles.js';
import { pebbleEnv } from '../support/env.js';
import { startWebhookSink, type WebhookSink } from '../support/webhook-sink.js';

const FN = 'slb-cert-rotator';
const ZONE = 'fanout.test';
const TIMER_EVENT = JSON.stringify({
  triggerTime: '2026-11-30T03:17:00Z',
  triggerName: 'daily',
  payload: '{"force":false}',
});

let emu: Emulator;
let dir: string;
/** Receives the heartbeat: the coordinator's ping, and a worker's only when it fails. */
let sink: WebhookSink;
const seeded: FleetListener[] = [];
/** Holds the victim worker inside its first listener move, so the kill lands mid-run (after its upload). */
let hold: FaultHandle | undefined;
/** The victim partition's uploads that reached SLB, and how many SLB has answered. */
const victimUpload = /^f[12]-/;
let victimUploadsArrived = 0;
const victimUploadsAnswered = () =>
  emu.callsOf('UploadServerCertificate').filter((c) => victimUpload.test(c.params.ServerCertificateName ?? '')).length;

beforeAll(async () => {
  const ca = pebbleEnv();
  dir = await mkdtemp(join(tmpdir(), 'rotator-fanout-'));
  // Two regions. f1 and f2 share a load balancer (two listeners): they must land in one partition.
  const layout: [string, string, string, number][] = [
    ['f1', 'cn-hangzhou', 'A', 443],
    ['f2', 'cn-hangzhou', 'A', 8443],
    ['f3', 'cn-hangzhou', 'B', 443],
    ['f4', 'cn-shanghai', 'C', 443],
    ['f5', 'cn-shanghai', 'D', 443],
  ];
  const built = builtBundles();
  await (async () => {
    emu = await startEmulator({
      challtestsrvUrl: ca.challtestsrvUrl,
      // Kill the first attempt of the partition holding `f1` once it is blocked in that move, and only while none of
      // its uploads is on its way: SLB would still store one after its caller died, possibly after the retry has
      // looked, and the retry would then rightly order again (a second certificate, where this test counts uploads).
      fcKillAsyncAttempt: (a) =>
        a.attempt === 1 && (JSON.parse(a.event) as { certificates?: string[] }).certificates?.includes('f1')
          ? until(() => (hold?.hits ?? 0) >= 1 && victimUploadsAnswered() === victimUploadsArrived, 170_000)
          : undefined,
    });
    emu.alidns.addZone(ZONE);
    // One hand-uploaded certificate per region, served by all its listeners (one openssl run per region).
    const regions = [...new Set(layout.map(([, region]) => region))];
    const pems = await Promise.all(
      regions.map((r) =>
        makeExpiringCertificate(
          layout.filter((l) => l[1] === r).map(([n]) => `${n}.${ZONE}`),
          3,
        ),
      ),
    );
    const lbs = new Map<string, string>();
    for (const [name, region, lb, port] of layout) {
      const pem = pems[regions.indexOf(region)] as { certificatePem: string; privateKeyPem: string };
      let lbId = lbs.get(lb);
      if (!lbId) {
        lbId = emu.slb.addLoadBalancer(region, { name: `lb-${lb}` }).loadBalancerId;
        lbs.set(lb, lbId);
      }
      const old =
        emu.slb.certificates(region).find((c) => c.ServerCertificateName === 'uploaded-by-hand') ??
        emu.slb.importCertificate(region, { ...pem, name: 'uploaded-by-hand' });
      await emu.slb.addHttpsListener(region, lbId, port, old.ServerCertificateId);
      seeded.push({ name, region, loadBalancerId: lbId, port });
    }
  })();
  sink = await startWebhookSink({ heartbeat: { token: 'fleet-heartbeat' } });
  const configFile = join(dir, 'rotator.yaml');
  await writeFile(
    configFile,
    `${sandboxConfigYaml({ ...ca }, fleetCertificates(seeded, ZONE), { wireSettleSeconds: 2 }).replace(
      'propagationTimeoutSeconds: 30',
      'propagationTimeoutSeconds: 20',
    )}\nheartbeat:\n  url: { env: ROTATOR_HEARTBEAT_URL }\n`,
  );
  const bundle = built.functions.find((f) => f.name === 'rotate')?.file as string;
  emu.fc.registerFunction({
    name: FN,
    timeout: 120,
    code: {
      bundle,
      env: {
        ROTATOR_CONFIG_FILE: configFile,
        ROTATOR_SLB_ENDPOINT: emu.endpoint,
        ROTATOR_ALIDNS_ENDPOINT: emu.endpoint,
        ROTATOR_DNS_SERVERS: ca.dnsServer,
        ROTATOR_FC_ENDPOINT: emu.fc.endpoint,
        ROTATOR_FANOUT: 'always',
        ROTATOR_FANOUT_MAX_PER_WORKER: '2',
        ROTATOR_LOG_LEVEL: 'warn',
        ROTATOR_HEARTBEAT_URL: sink.urls.heartbeat,
      },
    },
  });
}, 240_000);

afterAll(async () => {
  await emu?.close();
  await sink?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function until(done: () => boolean, timeoutMs = 60_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

const invokeSync = (event: string) => invokeFunction(emu, FN, event, 120_000);
const workers = (): FcInvocation[] => emu.fc.invocations(FN).filter((i) => i.type === 'Async');

describe('fan-out through Function Compute', () => {
  it('rotates every certificate exactly once, survives a killed worker, and a retried coordinator starts nothing twice', async () => {
    const victim = seeded.find((s) => s.name === 'f1') as FleetListener;
    hold = emu.faults.latency(1500, {
      action: 'SetLoadBalancerHTTPSListenerAttribute',
      times: 1,
      when: (p) => p.LoadBalancerId === victim.loadBalancerId && p.ListenerPort === String(victim.port),
    });
    // Uploads take a while, so the second coordinator plans while the partitions are still due.
    emu.faults.latency(500, {
      action: 'UploadServerCertificate',
      when: (p) => {
        if (victimUpload.test(p.ServerCertificateName ?? '')) victimUploadsArrived++;
        return true;
      },
    });

    const first = await invokeSync(TIMER_EVENT);
    expect(first.error).toBeUndefined();
    const record = first.data as FanoutRecord;
    expect(record).toMatchObject({ event: 'rotation.fanout', runId: 'daily-20261130T031700Z', ok: true, notDue: 0 });
    expect(record.certificates).toBe(5);
    const groups = record.partitions.map((p) => p.certificates.join(',')).sort();
    expect(groups).toEqual(['f1,f2', 'f3', 'f4,f5']);
    expect(record.partitions.every((p) => p.invocationId && p.taskId === `${record.runId}-${p.key}`)).toBe(true);
    expect(new Set(record.partitions.map((p) => p.region))).toEqual(new Set(['cn-hangzhou', 'cn-shanghai']));

    // FC retries the timer's invocation with the same event: the coordinator plans again and starts nothing new.
    const second = await invokeSync(TIMER_EVENT);
    expect(second.error).toBeUndefined();
    const retry = second.data as FanoutRecord;
    expect(retry.partitions.length).toBeGreaterThan(0);
    expect(retry.partitions.every((p) => p.alreadyStarted === true && p.invocationId === undefined)).toBe(true);
    expect(retry.ok).toBe(true);

    const done = await Promise.all(workers().map((w) => emu.fc.waitForInvocation(w.requestId, 90_000)));
    expect(done).toHaveLength(3);
    expect(new Set(done.map((w) => w.taskId))).toEqual(new Set(record.partitions.map((p) => p.taskId)));
    for (const w of done)
      expect({ taskId: w.taskId, status: w.status, error: w.error }).toMatchObject({ status: 'succeeded' });
    const killed = done.find((w) => w.event.includes('"f1"'));
    expect(killed?.attempts).toBe(2);
    expect(killed?.attemptErrors.map((e) => e.type)).toEqual(['ProcessKilled']);
    expect(done.filter((w) => w !== killed).every((w) => w.attempts === 1)).toBe(true);
    // The retry got the same event (and task id) as the killed attempt.
    const started = record.partitions.find((p) => p.certificates.includes('f1'));
    expect(JSON.parse(killed?.event ?? '{}')).toEqual({
      mode: 'worker',
      certificates: ['f1', 'f2'],
      fanout: { runId: record.runId, partition: started?.key, taskId: started?.taskId },
    });

    for (const s of seeded) {
      // Exactly one upload per certificate, the killed partition included (its retry resumed, it did not reorder).
      expect({ name: s.name, uploads: uploadsOf(emu, s.name).length }).toEqual({ name: s.name, uploads: 1 });
      expect({ name: s.name, serves: servesOwnUpload(emu, s).own }).toEqual({ name: s.name, serves: true });
    }
    // Each worker's records say they belong to a fanned-out run.
    for (const w of done) expect(w.result).toMatchObject({ event: 'rotation.summary', trigger: 'fanout', ok: true });
    const rotated = done.flatMap((w) =>
      w.logs
        .split('\n')
        .filter((l) => l.includes('"event":"rotation.outcome"'))
        .map((l) => JSON.parse(l) as { certificate: string; outcome: string; code?: string }),
    );
    // Only each invocation's last attempt's records are kept. The killed attempt died inside f1's move; f2 (same load
    // balancer, so one writer at a time) may have finished before it, in which case its retry finds f2 not due. f1's
    // retry resumes its upload (rotated), finds the move done (not-due), or finds that the held move, which SLB still
    // applied after its caller died, landed between its plan and its lease (skipped, lease.rotated-meanwhile).
    const outcome = new Map(
      rotated.map((r) => [r.certificate, r.outcome === 'skipped' ? `skipped ${r.code}` : r.outcome]),
    );
    expect(['f3', 'f4', 'f5'].map((n) => outcome.get(n))).toEqual(['rotated', 'rotated', 'rotated']);
    for (const n of ['f1', 'f2'])
      expect(['rotated', 'not-due', 'skipped lease.rotated-meanwhile']).toContain(outcome.get(n));
    expect(rotated.filter((r) => r.outcome === 'failed')).toEqual([]);
    // The heartbeat: one success ping per coordinator invocation (both started every partition), none from the
    // workers, which all ended ok (the killed attempt died before it could ping anything).
    expect(sink.calls.filter((c) => c.platform === 'heartbeat').map((c) => c.path)).toEqual([
      '/ping/fleet-heartbeat',
      '/ping/fleet-heartbeat',
    ]);
  }, 150_000);

  it('a malformed worker event fails the invocation with a message naming the field, and runs nothing', async () => {
    const before = emu.calls.length;
    const { error } = await invokeSync(JSON.stringify({ mode: 'worker', certificates: [], fanout: {} }));
    expect(error).toMatch(/worker event: certificates: a worker needs at least one certificate/);
    expect(emu.calls.slice(before).filter((c) => !c.action.startsWith('Describe'))).toEqual([]);
  }, 60_000);
});
