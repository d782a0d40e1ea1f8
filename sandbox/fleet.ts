/**
 * `npm run fleet`: a fleet of 60 certificates in 3 regions, fanned out. Starts the test CA and the emulator (SLB,
 * Alidns and Function Compute), seeds 10 load balancers per region with two HTTPS listeners each (one certificate
 * per listener, so each pair shares a load balancer), then invokes the built rotation function as the daily timer
 * does, with `ROTATOR_FANOUT=always`. The coordinator starts one asynchronous invocation per partition through
 * @alicloud/fc2; the emulator runs each worker as its own process. Prints the partitions, each worker as it
 * finishes, and a summary that checks every certificate was uploaded once and is served by its listener. Exits 0
 * when all of that holds, 1 otherwise; stops everything it started.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FanoutRecord } from '../shared/fleet/fanout-record.js';
import { type Emulator, type FcInvocation, startEmulator } from './emulator/index.js';
import { type FleetListener, fleetCertificates, invokeFunction, servesOwnUpload, uploadsOf } from './fleet-world.js';
import { ensurePebbleInstalled, type PebbleSandbox, startPebble } from './pebble.js';
import { makeExpiringCertificate } from './seed-certificate.js';
import { sandboxConfigYaml } from './world.js';

const root = new URL('..', import.meta.url).pathname;
const bundle = join(root, 'dist', 'rotate', 'index.js');
const FN = 'slb-cert-rotator';
const ZONE = 'fleet.example.net';
const REGIONS = ['cn-hangzhou', 'cn-shanghai', 'cn-beijing'];
const BALANCERS_PER_REGION = 10;
const PORTS = [443, 8443];
const MAX_PER_WORKER = 10;
const say = (line: string) => process.stderr.write(`fleet: ${line}\n`);

async function main(): Promise<number> {
  if (!existsSync(bundle)) {
    say(`${bundle} is missing: run \`npm run build\` first (npm run fleet does it for you)`);
    return 2;
  }
  await ensurePebbleInstalled();
  const work = await mkdtemp(join(tmpdir(), 'rotator-fleet-'));
  let pebble: PebbleSandbox | undefined;
  let emu: Emulator | undefined;
  const began = Date.now();
  try {
    pebble = await startPebble();
    emu = await startEmulator({ challtestsrvUrl: pebble.challtestsrvUrl });
    emu.alidns.addZone(ZONE);
    say(`test CA ${pebble.directoryUrl}; emulator ${emu.endpoint}, Function Compute ${emu.fc.endpoint}`);

    const seeded = await seed(emu);
    say(
      `seeded ${seeded.length} certificates on ${REGIONS.length * BALANCERS_PER_REGION} load balancers in ${REGIONS.join(', ')}`,
    );
    const configFile = join(work, 'rotator.yaml');
    await writeFile(configFile, sandboxConfigYaml(pebble, fleetCertificates(seeded, ZONE), { wireSettleSeconds: 2 }));
    emu.fc.registerFunction({
      name: FN,
      timeout: 900,
      code: {
        bundle,
        env: {
          ROTATOR_CONFIG_FILE: configFile,
          ROTATOR_SLB_ENDPOINT: emu.endpoint,
          ROTATOR_ALIDNS_ENDPOINT: emu.endpoint,
          ROTATOR_DNS_SERVERS: pebble.dnsServer,
          ROTATOR_FC_ENDPOINT: emu.fc.endpoint,
          ROTATOR_FANOUT: 'always',
          ROTATOR_FANOUT_MAX_PER_WORKER: String(MAX_PER_WORKER),
          ROTATOR_LOG_LEVEL: 'warn',
          NODE_EXTRA_CA_CERTS: pebble.tlsCaPath,
        },
      },
    });

    const triggerTime = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    say(
      `invoking ${FN} as the daily timer (triggerTime ${triggerTime}), ROTATOR_FANOUT=always, ${MAX_PER_WORKER} per worker`,
    );
    const record = await invokeTimer(emu, triggerTime);
    say(
      `coordinator: run ${record.runId}, ${record.certificates} certificate(s) in ${record.partitions.length} partition(s), ${record.notDue} not due`,
    );
    for (const p of record.partitions) {
      say(
        `  partition ${p.key} ${p.region}: ${p.certificates.length} certificate(s) on ${p.loadBalancers.length} load balancer(s), task ${p.taskId}${p.error ? `, NOT STARTED: ${p.error}` : ''}`,
      );
    }

    const finished = await Promise.all(
      emu.fc
        .invocations(FN)
        .filter((i) => i.type === 'Async')
        .map(async (w) => {
          const done = await (emu as Emulator).fc.waitForInvocation(w.requestId, 900_000);
          const counts = (done.result as { counts?: Record<string, number> } | null)?.counts ?? {};
          const shown = Object.entries(counts)
            .filter(([, n]) => n > 0)
            .map(([k, n]) => `${k} ${n}`)
            .join(', ');
          say(`  worker ${done.taskId}: ${done.status} after ${done.attempts} attempt(s)${shown ? `: ${shown}` : ''}`);
          return done;
        }),
    );
    return summarize(emu, seeded, record, finished, began);
  } finally {
    await emu?.close();
    await pebble?.stop();
    await rm(work, { recursive: true, force: true });
  }
}

/** Load balancers with two HTTPS listeners each, all serving the region's hand-uploaded certificate (3 days left). */
async function seed(emu: Emulator): Promise<FleetListener[]> {
  const seeded: FleetListener[] = [];
  for (const [r, region] of REGIONS.entries()) {
    const names = Array.from(
      { length: BALANCERS_PER_REGION * PORTS.length },
      (_, i) => `r${r + 1}-c${String(i + 1).padStart(2, '0')}`,
    );
    const pem = await makeExpiringCertificate(
      names.map((n) => `${n}.${ZONE}`),
      3,
    );
    const old = emu.slb.importCertificate(region, { ...pem, name: 'uploaded-by-hand' });
    for (let b = 0; b < BALANCERS_PER_REGION; b++) {
      const lb = emu.slb.addLoadBalancer(region, { name: `fleet-${b + 1}` });
      for (const [p, port] of PORTS.entries()) {
        await emu.slb.addHttpsListener(region, lb.loadBalancerId, port, old.ServerCertificateId);
        seeded.push({ name: names[b * PORTS.length + p] as string, region, loadBalancerId: lb.loadBalancerId, port });
      }
    }
  }
  return seeded;
}

async function invokeTimer(emu: Emulator, triggerTime: string): Promise<FanoutRecord> {
  const event = JSON.stringify({ triggerTime, triggerName: 'daily', payload: '{"force":false}' });
  const { data, error } = await invokeFunction(emu, FN, event, 900_000);
  if (error !== undefined) throw new Error(`the coordinator failed: ${error}`);
  return data as FanoutRecord;
}

function summarize(
  emu: Emulator,
  seeded: FleetListener[],
  record: FanoutRecord,
  workers: FcInvocation[],
  began: number,
) {
  const problems: string[] = [];
  let uploadedOnce = 0;
  for (const s of seeded) {
    const uploads = uploadsOf(emu, s.name).length;
    if (uploads === 1) uploadedOnce += 1;
    else problems.push(`${s.name}: ${uploads} uploads`);
    const { served, own } = servesOwnUpload(emu, s);
    if (!own) problems.push(`${s.name}: ${s.loadBalancerId}:${s.port} serves ${served}`);
  }
  const rotated = workers.reduce(
    (n, w) => n + ((w.result as { counts?: Record<string, number> } | null)?.counts?.rotated ?? 0),
    0,
  );
  const failedWorkers = workers.filter((w) => w.status !== 'succeeded').length;
  if (failedWorkers > 0) problems.push(`${failedWorkers} worker(s) failed`);
  if (workers.length !== record.partitions.length) {
    problems.push(`${workers.length} worker(s) for ${record.partitions.length} partition(s)`);
  }
  const seconds = ((Date.now() - began) / 1000).toFixed(0);
  say(
    `summary: ${seeded.length} certificates, ${record.partitions.length} partitions, ${workers.length} workers, ` +
      `${rotated} rotated, ${uploadedOnce} uploaded exactly once, ${seconds} s in all`,
  );
  for (const p of problems) say(`  PROBLEM ${p}`);
  // The workers' own records say why a certificate was not rotated (on a loaded machine: usually a DNS time-out).
  for (const w of workers) {
    for (const line of w.logs.split('\n').filter((l) => l.includes('"event":"rotation.outcome"'))) {
      const r = JSON.parse(line) as { certificate: string; outcome: string; stage?: string; reason: string };
      if (r.outcome !== 'rotated')
        say(`  ${r.certificate}: ${r.outcome}${r.stage ? ` at ${r.stage}` : ''}: ${r.reason}`);
    }
  }
  say(problems.length === 0 ? 'every certificate rotated exactly once' : `${problems.length} problem(s)`);
  return problems.length === 0 ? 0 : 1;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    say(`failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  },
);
