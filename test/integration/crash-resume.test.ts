/**
 * Crash and resume with real crashes: the built command line runs as a child process, the emulator holds it at a
 * stage boundary, and the child is killed with SIGKILL (no clean-up, no `finally`). The next run must finish the job
 * without a second order when the uploaded certificate can be found, never upload the same certificate twice and
 * never leave DNS-01 TXT records behind.
 *
 * How a boundary is held: the emulator's `latency` fault delays a call before it takes effect, and the call log only
 * records a call once it is answered, so "the call has arrived" is the fault's `hits`, not `emulator.calls`. When the
 * delay ends after the kill, the held call would still take effect (a server finishes a request whose client died);
 * a `failNext` matched on that one call's SignatureNonce makes it fail instead, so the state stays exactly the one the
 * boundary names: the crash happened before the call was sent.
 */
import { LEASE_LABEL } from '../../shared/lease/lease-records.js';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ParamPredicate } from '../../sandbox/emulator/index.js';
import { type SandboxCertificate, sandboxConfigYaml, seedListener, servedBy } from '../../sandbox/world.js';
import type { BuildResult } from '../../scripts/build.js';
import type { OutcomeRecord } from '../../shared/rotation/outcome.js';
import { TAG_NAME } from '../../shared/domain/tags.js';
import { builtBundles } from '../support/bundles.js';
import { type RotationHarness, startRotationHarness } from '../support/rotation-harness.js';

const REGION = 'cn-hangzhou';
/** How long a held call waits before the emulator answers it (with an error): far longer than detect-and-kill. */
const HOLD_MS = 4_000;
/**
 * How long a CLI may take to reach a boundary. A bound against a hang, not a speed target: on a busy 2-core CI machine
 * the run's RSA key generation and the CA's validation alone have taken over 20 s. A CLI that exits early fails at once.
 */
const WAIT_MS = 90_000;
/** Per test: a killed run and a whole run after it, each within WAIT_MS. */
const TEST_MS = 2 * WAIT_MS + 30_000;
const ZONES = ['crash-txt.test', 'crash-cleanup.test', 'crash-issued.test', 'crash-uploaded.test', 'crash-split.test'];

let h: RotationHarness;
let built: BuildResult;
let outDir: string;
let env: Record<string, string>;
/** Every certificate the boundary tests left rotated, for the re-run test. */
const finished: SandboxCertificate[] = [];

beforeAll(async () => {
  outDir = await mkdtemp(join(tmpdir(), 'rotator-crash-'));
  built = builtBundles();
  h = await startRotationHarness(ZONES);
  env = h.cliEnv();
}, 60_000);
/** CLIs still running: a test that failed or timed out must not leave one writing into the next test's world. */
const running = new Set<ChildProcess>();
afterEach(async () => {
  await Promise.all(
    [...running].map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once('close', () => resolve());
          child.kill('SIGKILL');
        }),
    ),
  );
  running.clear();
});
afterAll(async () => {
  await h?.close();
  if (outDir) await rm(outDir, { recursive: true, force: true });
});

const emu = () => h.world.emulator;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Successful UploadServerCertificate calls for one managed name (names are `<name>-YYYYMMDD-<sha1>`). */
const uploads = (name: string) =>
  emu()
    .callsOf('UploadServerCertificate')
    .filter((c) => c.status === 200 && c.params.ServerCertificateName?.startsWith(`${name}-`)).length;
/** AddDomainRecord calls for challenge records that reached a zone: one per name per order (leases are not orders). */
const orders = (zone: string) =>
  emu()
    .callsOf('AddDomainRecord')
    .filter((c) => c.params.DomainName === zone && !c.params.RR?.startsWith(LEASE_LABEL)).length;
/** The zone's challenge TXT records (the lease's own records are the lease tests' business). */
const txtRecords = (zone: string) =>
  emu()
    .alidns.records(zone)
    .filter((r) => r.Type === 'TXT' && !r.RR.startsWith(LEASE_LABEL));
const ownCertificates = (name: string) =>
  emu()
    .slb.certificates(REGION)
    .filter((c) => (c.Tags?.Tag ?? []).some((t) => t.TagKey === TAG_NAME && t.TagValue === name));
const served = (loadBalancerId: string, port: number) =>
  emu().slb.binding(REGION, loadBalancerId, port).serverCertificateId;

async function writeConfig(file: string, certificates: SandboxCertificate[]): Promise<string> {
  const path = join(outDir, `${file}.yaml`);
  await writeFile(path, sandboxConfigYaml(h.ca, certificates));
  return path;
}

/** A certificate of `domains` served by one fresh listener (443, three days left), and its configuration file. */
async function oneListener(name: string, domains: string[]) {
  const seeded = await seedListener(h.world, { regionId: REGION, domains, days: 3 });
  const cert = servedBy(name, domains, seeded);
  return { seeded, cert, config: await writeConfig(name, [cert]) };
}

/** After the run that finished the job: one upload and one own certificate, and the listener serves it. */
function expectUploadedOnceAndServed(cert: SandboxCertificate, loadBalancerId: string, r: OutcomeRecord | undefined) {
  expect(uploads(cert.name)).toBe(1);
  expect(ownCertificates(cert.name)).toHaveLength(1);
  expect(served(loadBalancerId, 443)).toBe(r?.current?.serverCertificateId);
}

interface Cli {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** The built CLI as a child process; it inherits NODE_EXTRA_CA_CERTS (Pebble's HTTPS) from the test runner. */
function startCli(config: string): Cli {
  const child = spawn(process.execPath, [built.cli, 'run', '--config', config, '--log-level', 'info'], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  let out = '';
  let err = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    // 'close', not 'exit': every byte the child wrote has been read by then.
    child.on('close', (code, signal) => {
      running.delete(child);
      resolve({ code, signal });
    }),
  );
  return { child, stdout: () => out, stderr: () => err, exited };
}

function outcomes(stdout: string): OutcomeRecord[] {
  return stdout
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as OutcomeRecord & { event: string })
    .filter((r) => r.event === 'rotation.outcome');
}

/** A whole CLI run; its outcome records. */
async function cliRun(config: string): Promise<OutcomeRecord[]> {
  const cli = startCli(config);
  const { code } = await cli.exited;
  const records = outcomes(cli.stdout());
  expect(records.length, cli.stderr()).toBeGreaterThan(0);
  expect([0, 1], cli.stderr()).toContain(code);
  return records;
}

/** Polls `done` (bounded); fails early, with the child's stderr, when the child exits first. */
async function until(what: string, done: () => boolean, cli?: Cli): Promise<void> {
  let exited = false;
  void cli?.exited.then(() => (exited = true));
  const deadline = Date.now() + WAIT_MS;
  while (!done()) {
    if (exited) throw new Error(`the CLI exited before ${what}:\n${cli?.stdout()}\n${cli?.stderr()}`);
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}:\n${cli?.stderr() ?? ''}`);
    await sleep(10);
  }
}

interface Hold {
  /** True once the call has reached the emulator and is being held. */
  arrived: () => boolean;
  /** Resolves when the emulator has answered the held call (with the injected error), after HOLD_MS. */
  released: () => Promise<void>;
}

/** Hold the next call of `action` that matches `when`; once answered it fails without effect. */
function hold(action: string, when: ParamPredicate = () => true): Hold {
  let nonce: string | undefined;
  const latency = emu().faults.latency(HOLD_MS, {
    action,
    times: 1,
    when: (p) => {
      if (!when(p)) return false;
      nonce = p.SignatureNonce;
      return true;
    },
  });
  emu().faults.failNext(action, {
    code: 'ServiceUnavailable',
    message: 'held call of a crashed client',
    status: 503,
    when: (p) => nonce !== undefined && p.SignatureNonce === nonce,
  });
  const answered = () => emu().calls.find((c) => nonce !== undefined && c.params.SignatureNonce === nonce);
  return {
    arrived: () => latency.hits > 0,
    released: async () => {
      await until(`the held ${action} to be answered`, () => answered() !== undefined);
      expect(answered()).toMatchObject({ injected: true, errorCode: 'ServiceUnavailable' });
    },
  };
}

/**
 * Start the CLI, wait until `reached` says it is at the boundary, SIGKILL it, and check it died there. Returns what
 * it logged (level info) before it died.
 */
async function crashAt(config: string, what: string, reached: () => boolean): Promise<string> {
  const cli = startCli(config);
  await until(what, reached, cli);
  expect(cli.child.kill('SIGKILL')).toBe(true);
  const exit = await cli.exited;
  expect(exit, cli.stderr()).toEqual({ code: null, signal: 'SIGKILL' });
  // It never got as far as writing an outcome.
  expect(outcomes(cli.stdout())).toEqual([]);
  // The next run comes once the killed run's lease has expired (the lease tests show the takeover itself; here the
  // point is what the next run finds in SLB and Alidns). Its challenge records are then 21 minutes old.
  h.expireLeases();
  return cli.stderr();
}

describe('a run killed at a stage boundary is finished by the next run', () => {
  it(
    'after the TXT records (the CA has not validated): the next run removes the stale records and rotates',
    async () => {
      const zone = 'crash-txt.test';
      const { seeded, cert, config } = await oneListener('crash-txt', [zone, `*.${zone}`]);

      // The records reach the test DNS only after HOLD_MS: the run waits for propagation before asking the CA to
      // validate. Both records (apex and wildcard share one name) answered: that is the boundary.
      emu().faults.delayDnsPropagation(HOLD_MS);
      const log = await crashAt(config, 'both TXT records to be placed', () => orders(zone) === 2);
      emu().faults.delayDnsPropagation(0);
      expect(log).toMatch(/ACME order created/);
      expect(log).not.toMatch(/certificate issued/);

      const left = txtRecords(zone);
      expect(left).toHaveLength(2);
      expect(
        emu()
          .callsOf('DeleteDomainRecord')
          .filter((c) => left.some((r) => r.RecordId === c.params.RecordId)),
      ).toEqual([]);
      expect(uploads(cert.name)).toBe(0);
      expect(served(seeded.loadBalancerId, 443)).toBe(seeded.serverCertificateId);

      // Younger than the hour after which any run removes them, but placed under a lease the next run takes over.
      const { records } = await h.run([cert]);
      const r = records[0];
      expect(r?.outcome, r?.reason).toBe('rotated');
      expect(r?.resumed).toBeUndefined();
      expect(txtRecords(zone)).toEqual([]);
      const removed = emu()
        .callsOf('DeleteDomainRecord')
        .filter((c) => c.status === 200)
        .map((c) => c.params.RecordId);
      for (const stale of left) expect(removed).toContain(stale.RecordId);
      expect(orders(zone)).toBe(4);
      expectUploadedOnceAndServed(cert, seeded.loadBalancerId, r);
      finished.push(cert);
    },
    TEST_MS,
  );

  it(
    'after issuance, before its TXT record was removed: the next run removes the stale record and rotates',
    async () => {
      const zone = 'crash-cleanup.test';
      const { seeded, cert, config } = await oneListener('crash-cleanup', [zone]);

      const inZone = (p: Record<string, string>) => txtRecords(zone).some((r) => r.RecordId === p.RecordId);
      const removal = hold('DeleteDomainRecord', inZone);
      expect(await crashAt(config, 'DeleteDomainRecord', removal.arrived)).toMatch(/certificate issued/);

      const left = txtRecords(zone);
      expect(left).toHaveLength(1);
      expect(orders(zone)).toBe(1);
      expect(uploads(cert.name)).toBe(0);
      expect(served(seeded.loadBalancerId, 443)).toBe(seeded.serverCertificateId);

      const [r] = await cliRun(config);
      expect(r?.outcome, r?.reason).toBe('rotated');
      expect(txtRecords(zone)).toEqual([]);
      expect(orders(zone)).toBe(2);
      expectUploadedOnceAndServed(cert, seeded.loadBalancerId, r);
      await removal.released();
      finished.push(cert);
    },
    TEST_MS,
  );

  it(
    'after issuance, before upload: nothing to find, so the next run orders again and uploads once',
    async () => {
      const zone = 'crash-issued.test';
      const { seeded, cert, config } = await oneListener('crash-issued', [zone]);

      const upload = hold(
        'UploadServerCertificate',
        (p) => p.ServerCertificateName?.startsWith('crash-issued-') ?? false,
      );
      expect(await crashAt(config, 'UploadServerCertificate', upload.arrived)).toMatch(/certificate issued/);

      expect(orders(zone)).toBe(1);
      // The order's records went once the certificate was issued, before the upload.
      expect(txtRecords(zone)).toEqual([]);
      expect(uploads(cert.name)).toBe(0);
      expect(ownCertificates(cert.name)).toEqual([]);
      expect(served(seeded.loadBalancerId, 443)).toBe(seeded.serverCertificateId);

      const { records } = await h.run([cert]);
      const r = records[0];
      expect(r?.outcome, r?.reason).toBe('rotated');
      expect(r?.resumed).toBeUndefined();
      expect(orders(zone)).toBe(2);
      expect(uploads(cert.name)).toBe(1);
      expect(ownCertificates(cert.name)).toHaveLength(1);
      expect(txtRecords(zone)).toEqual([]);
      expect(served(seeded.loadBalancerId, 443)).toBe(r?.current?.serverCertificateId);
      await upload.released();
      expect(ownCertificates(cert.name)).toHaveLength(1);
      finished.push(cert);
    },
    TEST_MS,
  );

  it(
    'after upload, before any listener moved: the next run deploys the uploaded certificate without an order',
    async () => {
      const zone = 'crash-uploaded.test';
      const { seeded, cert, config } = await oneListener('crash-uploaded', [zone]);

      const set = hold('SetLoadBalancerHTTPSListenerAttribute', (p) => p.LoadBalancerId === seeded.loadBalancerId);
      await crashAt(config, 'SetLoadBalancerHTTPSListenerAttribute', set.arrived);

      const uploaded = ownCertificates(cert.name);
      expect(uploaded).toHaveLength(1);
      expect(uploads(cert.name)).toBe(1);
      expect(served(seeded.loadBalancerId, 443)).toBe(seeded.serverCertificateId);
      expect(txtRecords(zone)).toEqual([]);
      const ordered = orders(zone);
      expect(ordered).toBe(1);

      const [r] = await cliRun(config);
      expect(r?.outcome, r?.reason).toBe('rotated');
      expect(r?.resumed).toBe(true);
      expect(r?.current?.serverCertificateId).toBe(uploaded[0]?.ServerCertificateId);
      expect(orders(zone)).toBe(ordered);
      expect(uploads(cert.name)).toBe(1);
      expect(ownCertificates(cert.name)).toHaveLength(1);
      expect(served(seeded.loadBalancerId, 443)).toBe(uploaded[0]?.ServerCertificateId);
      expect(txtRecords(zone)).toEqual([]);
      await set.released();
      expect(served(seeded.loadBalancerId, 443)).toBe(uploaded[0]?.ServerCertificateId);
      finished.push(cert);
    },
    TEST_MS,
  );

  it(
    'between two listeners: the next run moves the second one to the same certificate without an order',
    async () => {
      const zone = 'crash-split.test';
      const first = await seedListener(h.world, { regionId: REGION, domains: [zone], days: 3 });
      const second = emu().slb.addLoadBalancer(REGION).loadBalancerId;
      await emu().slb.addHttpsListener(REGION, second, 8443, first.serverCertificateId);
      const cert: SandboxCertificate = {
        name: 'crash-split',
        domains: [zone],
        region: REGION,
        listeners: [
          { loadBalancerId: first.loadBalancerId, port: 443 },
          { loadBalancerId: second, port: 8443 },
        ],
      };
      const config = await writeConfig('split', [cert]);

      const set = hold(
        'SetLoadBalancerHTTPSListenerAttribute',
        (p) => p.LoadBalancerId === second && Number(p.ListenerPort) === 8443,
      );
      await crashAt(config, 'the second listener update', set.arrived);

      const uploaded = ownCertificates(cert.name);
      expect(uploaded).toHaveLength(1);
      const fresh = uploaded[0]?.ServerCertificateId;
      expect(served(first.loadBalancerId, 443)).toBe(fresh);
      expect(served(second, 8443)).toBe(first.serverCertificateId);
      expect(txtRecords(zone)).toEqual([]);
      const ordered = orders(zone);
      expect(ordered).toBe(1);

      const [r] = await cliRun(config);
      expect(r?.outcome, r?.reason).toBe('rotated');
      expect(r?.resumed).toBe(true);
      expect(r?.current?.serverCertificateId).toBe(fresh);
      expect(r?.targets.map((t) => [t.target, t.status])).toEqual([
        [`${first.loadBalancerId}:443`, 'unchanged'],
        [`${second}:8443`, 'moved'],
      ]);
      expect(orders(zone)).toBe(ordered);
      expect(uploads(cert.name)).toBe(1);
      expect(ownCertificates(cert.name)).toHaveLength(1);
      expect(served(first.loadBalancerId, 443)).toBe(fresh);
      expect(served(second, 8443)).toBe(fresh);
      await set.released();
      expect(served(second, 8443)).toBe(fresh);
      finished.push(cert);
    },
    TEST_MS,
  );

  it(
    're-running after all of the above: not due, nothing ordered or uploaded, no TXT records',
    async () => {
      const config = await writeConfig('all', finished);
      const addsBefore = emu().callsOf('AddDomainRecord').length;
      const uploadsBefore = emu().callsOf('UploadServerCertificate').length;
      for (let i = 0; i < 3; i++) {
        const records = await cliRun(config);
        // Records are written as certificates finish (concurrently), not in the file's order.
        expect(records.map((r) => [r.certificate, r.outcome]).sort()).toEqual(
          finished.map((c) => [c.name, 'not-due']).sort(),
        );
      }
      const { records } = await h.run(finished);
      expect(records.map((r) => r.outcome)).toEqual(finished.map(() => 'not-due'));
      // Nothing due: no lease taken, no challenge placed, no DNS record added at all.
      expect(emu().callsOf('AddDomainRecord')).toHaveLength(addsBefore);
      expect(emu().callsOf('UploadServerCertificate')).toHaveLength(uploadsBefore);
      for (const c of finished) {
        expect(uploads(c.name), c.name).toBe(1);
        expect(ownCertificates(c.name), c.name).toHaveLength(1);
      }
      for (const zone of ZONES) expect(txtRecords(zone), zone).toEqual([]);
      // And no lease is left: each killed run's lease was taken over and released by the run that finished its work.
      for (const zone of ZONES) {
        expect(
          emu()
            .alidns.records(zone)
            .filter((r) => r.RR.startsWith(LEASE_LABEL)),
          zone,
        ).toEqual([]);
      }
      // Every boundary test finished its certificate (a failed one is reported there, and missing here).
      expect(finished.map((c) => c.name)).toEqual([
        'crash-txt',
        'crash-cleanup',
        'crash-issued',
        'crash-uploaded',
        'crash-split',
      ]);
    },
    TEST_MS,
  );
});
