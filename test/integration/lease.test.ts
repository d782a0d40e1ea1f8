/**
 * A lease per certificate across processes: two `slb-cert-rotator run` processes (the built CLI) started at the same
 * moment against one emulator and the real Pebble order the certificate once; a lease left by a SIGKILLed run holds
 * until it expires and is then taken over.
 */
import { execFile, spawn } from 'node:child_process';
import { rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sandboxConfigYaml, seedListener } from '../../sandbox/world.js';
import { build } from 'esbuild';
import { LEASE_LABEL } from '../../shared/lease/lease-records.js';
import { type RotationHarness, startRotationHarness } from '../support/rotation-harness.js';

const execFileAsync = promisify(execFile);
const REGION = 'cn-hangzhou';
const ZONE = 'lease.test';
const outDir = join(tmpdir(), `rotator-lease-${process.pid}`);
let h: RotationHarness;
/** The CLI bundled as `npm run build` bundles it (scripts/build.ts), alone: the functions are not needed here. */
const cli = join(outDir, 'cli.cjs');
let env: Record<string, string>;

interface Outcome {
  event: string;
  certificate: string;
  outcome: string;
  code?: string;
  reason: string;
  warnings?: string[];
}

/** A configuration file for one certificate on a fresh listener that is due (2 days left). */
async function dueCertificate(name: string, leaseSeconds?: number): Promise<string> {
  const domain = `${name}.${ZONE}`;
  const seeded = await seedListener(h.world, { regionId: REGION, domains: [domain], days: 2 });
  const file = join(outDir, `${name}.yaml`);
  await writeFile(
    file,
    sandboxConfigYaml(
      h.ca,
      [{ name, domains: [domain], region: REGION, listeners: [{ loadBalancerId: seeded.loadBalancerId, port: 443 }] }],
      {},
      {},
      leaseSeconds ? { dns: { propagationTimeoutSeconds: 30, leaseSeconds } } : {},
    ),
  );
  return file;
}

async function run(config: string): Promise<{ code: number; outcome: Outcome; stderr: string }> {
  let r: { stdout: string; stderr: string; code: number };
  try {
    r = { ...(await execFileAsync(process.execPath, [cli, 'run', '--config', config], { env })), code: 0 };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    r = { stdout: e.stdout, stderr: e.stderr, code: e.code };
  }
  const outcome = JSON.parse(r.stdout.split('\n')[0] ?? 'null') as Outcome;
  return { code: r.code, outcome, stderr: r.stderr };
}

const writes = (action: string, rr: string) =>
  h.world.emulator.callsOf(action, 'alidns').filter((c) => c.status < 400 && c.params.RR?.startsWith(rr));
const uploads = (name: string) =>
  h.world.emulator
    .callsOf('UploadServerCertificate', 'slb')
    .filter((c) => c.status < 400 && c.params.ServerCertificateName?.startsWith(`${name}-`));
const leaseRecords = (name: string) =>
  h.world.emulator.alidns.records(ZONE).filter((r) => r.RR === `${LEASE_LABEL}.${name}`);

beforeAll(async () => {
  [h] = await Promise.all([
    startRotationHarness([ZONE]),
    build({
      entryPoints: [new URL('../../cli/index.ts', import.meta.url).pathname],
      outfile: cli,
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'cjs',
      external: ['proxy-agent'],
      logLevel: 'warning',
    }),
  ]);
  env = { ...(process.env as Record<string, string>), ...h.cliEnv() };
}, 60_000);
afterAll(async () => {
  await h?.close();
  await rm(outDir, { recursive: true, force: true });
});

describe('a lease per certificate', () => {
  it('two runs started at the same moment order the certificate once; the other is skipped, not failed', async () => {
    const config = await dueCertificate('twin');
    h.world.emulator.clearCalls();
    const both = await Promise.all([run(config), run(config)]);
    for (const r of both) expect(r.code, r.stderr).toBe(0);
    const outcomes = both.map((r) => r.outcome.outcome).sort();
    expect(outcomes).toEqual(['rotated', 'skipped']);
    const skipped = both.find((r) => r.outcome.outcome === 'skipped')?.outcome;
    expect(skipped?.code).toMatch(/^lease\.(held|rotated-meanwhile)$/);
    // Ordered once: one challenge record placed, one certificate uploaded.
    expect(writes('AddDomainRecord', '_acme-challenge.twin')).toHaveLength(1);
    expect(uploads('twin')).toHaveLength(1);
    // Only one lock was ever created; both leases' records are gone at the end.
    expect(writes('AddDomainRecord', `${LEASE_LABEL}.twin`)).toHaveLength(2);
    expect(leaseRecords('twin')).toEqual([]);
  }, 120_000);

  it('a lease left by a killed run holds until it expires, then the next run takes it over', async () => {
    const config = await dueCertificate('crash', 60);
    h.world.emulator.clearCalls();
    const child = spawn(process.execPath, [cli, 'run', '--config', config], { env, stdio: 'ignore' });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    try {
      // Killed as soon as it holds the lease: before it can order, upload or release anything.
      await until(() => leaseRecords('crash').length === 2);
    } finally {
      child.kill('SIGKILL');
      await exited;
    }
    const left = leaseRecords('crash');
    expect(left.map((r) => r.Value).sort()).toEqual([
      expect.stringMatching(/^slb-cert-rotator lease crash$/),
      expect.stringMatching(/^slb-cert-rotator lease crash holder run-[0-9a-f-]+ lock \d+$/),
    ]);
    expect(uploads('crash')).toEqual([]);

    const early = await run(config);
    expect(early.outcome).toMatchObject({ outcome: 'skipped', code: 'lease.held' });
    expect(early.outcome.reason).toMatch(/holder run-[0-9a-f-]+/);

    // The lock is dated by Alidns' CreateTimestamp: 61 s older is past the 60 s lease.
    const lock = left.find((r) => r.Value === 'slb-cert-rotator lease crash');
    h.world.emulator.alidns.backdateRecord(lock?.RecordId ?? '', 61_000);
    const late = await run(config);
    expect(late.code, late.stderr).toBe(0);
    expect(late.outcome.outcome).toBe('rotated');
    expect(late.outcome.warnings).toEqual(
      expect.arrayContaining([expect.stringMatching(/^took over the expired lease of run-[0-9a-f-]+ /)]),
    );
    expect(uploads('crash')).toHaveLength(1);
    expect(leaseRecords('crash')).toEqual([]);
  }, 120_000);
});

/** Polls a condition every 10 ms (never a fixed sleep), for at most 15 s. */
async function until(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not reached within 15 s');
    await new Promise((r) => setTimeout(r, 10));
  }
}
