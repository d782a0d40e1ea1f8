import { describe, expect, it } from 'vitest';
import type { ManagedCertificate } from '../../../shared/config/types.js';
import type { IssuedCertificate, ServerCertificate } from '../../../shared/domain/certificate.js';
import { CloudApiError } from '../../../shared/errors.js';
import { holderValue, leaseName, lockValue } from '../../../shared/lease/lease-records.js';
import { RecordLeaseStore } from '../../../shared/lease/record-lease-store.js';
import { silentLogger } from '../../../shared/log/logger.js';
import { planCertificate } from '../../../shared/plan/make-plan.js';
import type { CertificateAuthority, IssueRequest } from '../../../shared/ports/certificate-authority.js';
import type { LeaseStore } from '../../../shared/ports/lease.js';
import type { ProbeResult, WireProbe } from '../../../shared/ports/wire-probe.js';
import { buildOutcome } from '../../../shared/rotation/build-outcome.js';
import { executePlan } from '../../../shared/rotation/execute.js';
import { gather } from '../../../shared/rotation/gather.js';
import { referencedIds } from '../../../shared/rotation/inventory.js';
import { type OutcomeRecord, summarize } from '../../../shared/rotation/outcome.js';
import { RegionView } from '../../../shared/rotation/region-view.js';
import { slbTargetHandlers } from '../../../shared/rotation/targets.js';
import { Interrupted } from '../../../shared/runtime/interrupt.js';
import { aManagedCertificate, anIssuedCertificate, aServerCertificate, days, NOW } from '../../support/builders.js';
import { type MemoryLeaseRecords, memoryLeaseRecords } from '../../support/memory-lease-records.js';
import { type MemoryLoadBalancer, memoryLoadBalancer } from '../../support/memory-load-balancer.js';

const settings = { certificateQuota: 100, verifyOnWire: true, wireSettleSeconds: 1 };

interface World {
  lb: MemoryLoadBalancer;
  cert: ManagedCertificate;
  issued: IssuedCertificate;
  caCalls: number;
}

/** One listener lb-1:443 serving `old` (an own certificate with `daysLeft`), and a CA that issues `issued`. */
function world(daysLeft: number, options: { extra?: ServerCertificate[]; issued?: IssuedCertificate } = {}): World {
  const old = aServerCertificate({ id: 'old', own: 'shop', notBefore: days(daysLeft - 90), notAfter: days(daysLeft) });
  return {
    lb: memoryLoadBalancer({
      certificates: [old, ...(options.extra ?? [])],
      listeners: [{ loadBalancerId: 'lb-1', port: 443, serverCertificateId: 'old' }],
    }),
    cert: aManagedCertificate(),
    issued: options.issued ?? anIssuedCertificate(),
    caCalls: 0,
  };
}

/** A wire probe that presents what the listener serves, or a fixed answer. */
function probeOf(w: World, answer?: (servedSha1: string) => ProbeResult): WireProbe {
  return {
    async presentedLeaf() {
      const id = w.lb.serving('lb-1:443') ?? '';
      const sha1 = w.lb.certificates.find((c) => c.serverCertificateId === id)?.fingerprint ?? '';
      return answer ? answer(sha1) : { kind: 'presented', sha1, sha256: 'x' };
    },
  };
}

interface RotateOptions {
  force?: boolean;
  probe?: WireProbe;
  signal?: AbortSignal;
  ca?: CertificateAuthority;
  /** Take leases in this store (as run-b); the plan then knows that leasing is on. */
  leases?: LeaseStore;
  /** Acts between the plan and its execution: another run. */
  meanwhile?: () => void | Promise<void>;
  challengeNamesShared?: boolean;
  /** The executor's clock; default NOW, still. */
  clock?: () => Date;
}

async function rotate(w: World, options: RotateOptions = {}): Promise<OutcomeRecord> {
  const region = new RegionView(w.lb);
  const gathered = await gather(region, w.cert, undefined);
  const plan = planCertificate(
    { ...gathered, referenced: gathered.inventory ? referencedIds(gathered.inventory) : undefined },
    {
      force: options.force ?? false,
      now: NOW,
      certificateQuota: settings.certificateQuota,
      ...(options.leases ? { leases: true } : {}),
    },
  );
  await options.meanwhile?.();
  const ca: CertificateAuthority = options.ca ?? {
    issue: async () => {
      w.caCalls++;
      return w.issued;
    },
  };
  const run = await executePlan(
    plan,
    w.cert,
    {
      region,
      targets: slbTargetHandlers(region),
      certificateAuthority: async () => ca,
      wireProbe: options.probe ?? probeOf(w),
      clock: options.clock ?? (() => NOW),
      sleep: async () => {},
      logger: silentLogger,
      ...(options.leases ? { leases: options.leases, leaseHolder: 'run-b' } : {}),
      ...(options.challengeNamesShared ? { challengeNamesShared: true } : {}),
    },
    settings,
    options.signal,
  );
  return buildOutcome(plan, run, 0);
}

describe('executor steps over an in-memory load balancer', () => {
  const cases: {
    name: string;
    daysLeft: number;
    setup?: (w: World) => void;
    probe?: (w: World) => WireProbe;
    force?: boolean;
    expect: Partial<OutcomeRecord>;
    orders: number;
    writes: RegExp[];
    serves: string | RegExp;
  }[] = [
    {
      name: 'not due: the CA is never created and nothing is written',
      daysLeft: 60,
      expect: { outcome: 'not-due' },
      orders: 0,
      writes: [],
      serves: 'old',
    },
    {
      name: 'due: issue, upload, move, verify on the wire',
      daysLeft: 5,
      expect: { outcome: 'rotated' },
      orders: 1,
      writes: [/^UploadServerCertificate shop-/, /^Set lb-1:443 uploaded-1$/],
      serves: 'uploaded-1',
    },
    {
      name: 'the issued certificate already in the region is reused, not uploaded again',
      daysLeft: 5,
      setup: (w) =>
        w.lb.certificates.push(aServerCertificate({ id: 'same', fingerprint: w.issued.sha1, notAfter: days(90) })),
      expect: { outcome: 'rotated' },
      orders: 1,
      writes: [/^Set lb-1:443 same$/],
      serves: 'same',
    },
    {
      name: 'a change SLB refuses is put back: rolled-back',
      daysLeft: 5,
      setup: (w) => w.lb.refuse.add('lb-1:443'),
      expect: { outcome: 'rolled-back', stage: 'deploy', retryable: true },
      orders: 1,
      writes: [/^UploadServerCertificate/, /^Set lb-1:443 uploaded-1$/],
      serves: 'old',
    },
    {
      name: 'an accepted change that reads back wrong: rolled-back, target on the old certificate',
      daysLeft: 5,
      setup: (w) => w.lb.ignore.add('lb-1:443'),
      expect: { outcome: 'rolled-back', stage: 'deploy' },
      orders: 1,
      writes: [/^UploadServerCertificate/, /^Set lb-1:443 uploaded-1$/, /^Set lb-1:443 old$/],
      serves: 'old',
    },
    {
      name: 'the wire still presents the old leaf: rolled-back',
      daysLeft: 5,
      probe: () => ({ presentedLeaf: async () => ({ kind: 'presented', sha1: 'ff'.repeat(20), sha256: 'x' }) }),
      expect: { outcome: 'rolled-back', stage: 'verify' },
      orders: 1,
      writes: [/^UploadServerCertificate/, /^Set lb-1:443 uploaded-1$/, /^Set lb-1:443 old$/],
      serves: 'old',
    },
    {
      name: 'an unreachable target is not claimed as verified, and nothing is pruned',
      daysLeft: 5,
      probe: () => ({ presentedLeaf: async () => ({ kind: 'unreachable', reason: 'refused' }) }),
      expect: { outcome: 'rotated' },
      orders: 1,
      writes: [/^UploadServerCertificate/, /^Set lb-1:443 uploaded-1$/],
      serves: 'uploaded-1',
    },
    {
      name: 'the issued certificate does not expire later: regressed, nothing uploaded',
      daysLeft: 5,
      setup: (w) => (w.issued = anIssuedCertificate({ notAfter: days(4) })),
      expect: { outcome: 'regressed' },
      orders: 1,
      writes: [],
      serves: 'old',
    },
    {
      name: 'the issued certificate is the one in use: unchanged',
      daysLeft: 5,
      setup: (w) => (w.issued = anIssuedCertificate({ sha1: w.lb.certificates[0]?.fingerprint as string })),
      expect: { outcome: 'unchanged' },
      orders: 1,
      writes: [],
      serves: 'old',
    },
    {
      name: 'a resumable upload of an earlier run is deployed without an order',
      daysLeft: 5,
      setup: (w) =>
        w.lb.certificates.push(
          aServerCertificate({ id: 'earlier', own: 'shop', notBefore: days(0), notAfter: days(90) }),
        ),
      expect: { outcome: 'rotated', resumed: true },
      orders: 0,
      writes: [/^Set lb-1:443 earlier$/],
      serves: 'earlier',
    },
    {
      name: 'force orders anew even when an upload could be resumed',
      daysLeft: 60,
      force: true,
      setup: (w) =>
        w.lb.certificates.push(
          aServerCertificate({ id: 'earlier', own: 'shop', notBefore: days(0), notAfter: days(85) }),
        ),
      expect: { outcome: 'rotated' },
      orders: 1,
      // retain 1 keeps the newer earlier upload for rollback; the replaced one goes.
      writes: [/^UploadServerCertificate/, /^Set lb-1:443 uploaded-1$/, /^DeleteServerCertificate old$/],
      serves: 'uploaded-1',
    },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const w = world(c.daysLeft);
      c.setup?.(w);
      const r = await rotate(w, { force: c.force ?? false, ...(c.probe ? { probe: c.probe(w) } : {}) });
      expect(r).toMatchObject(c.expect);
      expect(w.caCalls).toBe(c.orders);
      const writes = w.lb.writes();
      expect(writes).toHaveLength(c.writes.length);
      c.writes.forEach((re, i) => expect(writes[i]).toMatch(re));
      expect(w.lb.serving('lb-1:443')).toMatch(c.serves);
    });
  }

  it('prunes only own, unreferenced, older certificates beyond retain, after a verified rotation', async () => {
    const older = [1, 2, 3].map((i) =>
      aServerCertificate({ id: `own-${i}`, own: 'shop', notBefore: days(-200 - i), notAfter: days(-110 - i) }),
    );
    const foreign = aServerCertificate({ id: 'foreign', notAfter: days(-100) });
    const w = world(5, { extra: [...older, foreign] });
    const r = await rotate(w);
    expect(r.outcome).toBe('rotated');
    // retain 1: `old` (just replaced) stays for rollback; the three older own ones go; the foreign one stays.
    expect(r.deleted?.sort()).toEqual(['own-1', 'own-2', 'own-3']);
    expect(w.lb.certificates.map((c) => c.serverCertificateId).sort()).toEqual(['foreign', 'old', 'uploaded-1']);
  });

  it('never asks to delete a referenced certificate, even when SLB would allow it', async () => {
    const referenced = aServerCertificate({ id: 'own-old', own: 'shop', notBefore: days(-300), notAfter: days(-210) });
    const w = world(5, { extra: [referenced] });
    w.lb.permissiveDeletes = true;
    w.lb.listeners.set('lb-2:443', 'own-old');
    w.cert = aManagedCertificate({ retain: 0 });
    await rotate(w);
    expect(w.lb.writes().filter((c) => c.startsWith('Delete'))).toEqual(['DeleteServerCertificate old']);
  });

  it('interrupted during the wire check: failed, says what was moved and not verified, nothing pruned', async () => {
    const controller = new AbortController();
    const w = world(5, {
      extra: [aServerCertificate({ id: 'own-x', own: 'shop', notBefore: days(-300), notAfter: days(-210) })],
    });
    w.cert = aManagedCertificate({ retain: 0 });
    const probe: WireProbe = {
      presentedLeaf: async () => {
        controller.abort(new Interrupted('SIGTERM'));
        return { kind: 'unreachable', reason: 'aborted' };
      },
    };
    const r = await rotate(w, { probe, signal: controller.signal });
    expect(r).toMatchObject({ outcome: 'failed', stage: 'verify', retryable: true });
    expect(r.reason).toMatch(
      /^interrupted by SIGTERM during verify: 1 target\(s\) moved and read back, 1 not verified/,
    );
    expect(r.targets).toEqual([expect.objectContaining({ target: 'lb-1:443', status: 'moved', wire: 'unverified' })]);
    expect(w.lb.writes().some((c) => c.startsWith('Delete'))).toBe(false);
  });

  it('running out of time while issuing: failed, retryable, says so, nothing written', async () => {
    const controller = new AbortController();
    const w = world(5);
    const ca: CertificateAuthority = {
      issue: async () => {
        controller.abort();
        throw new DOMException('This operation was aborted', 'AbortError');
      },
    };
    const r = await rotate(w, { ca, signal: controller.signal });
    expect(r).toMatchObject({ outcome: 'failed', stage: 'issue', retryable: true });
    expect(r.reason).toMatch(/ran out of time during issue; the next run continues/);
    expect(w.lb.writes()).toEqual([]);
  });

  it('a full region: room is made from own unreferenced certificates before ordering, else preflight fails', async () => {
    const w = world(5, {
      extra: [aServerCertificate({ id: 'own-x', own: 'shop', notBefore: days(-300), notAfter: days(-210) })],
    });
    const region = new RegionView(w.lb);
    const gathered = await gather(region, w.cert, undefined);
    const full = planCertificate(
      { ...gathered, referenced: undefined },
      { force: false, now: NOW, certificateQuota: 2 },
    );
    expect(full.quota).toEqual({ count: 2, quota: 2, makeRoom: ['own-x'], wouldExceed: false });
    const tooFull = planCertificate(
      { ...gathered, referenced: undefined },
      { force: false, now: NOW, certificateQuota: 1 },
    );
    expect(tooFull.quota?.wouldExceed).toBe(true);
  });
});

describe('the lease: one run per certificate across processes', () => {
  const NAME = leaseName(['example.com']);
  const DURATION = 20 * 60_000;

  /** Plans first, then lets `meanwhile` act (another run), then executes with a lease store over `records`. */
  const rotateLeased = (
    w: World,
    records: MemoryLeaseRecords,
    options: Omit<RotateOptions, 'leases'> = {},
  ): Promise<OutcomeRecord> => rotate(w, { ...options, leases: new RecordLeaseStore(records, DURATION) });

  /** A certificate a run uploaded for `shop` today (90 days). */
  const ownUpload = (id: string) => aServerCertificate({ id, own: 'shop', notBefore: NOW, notAfter: days(90) });
  /** `shop` on lb-1:443 and lb-2:443, both serving `old`. */
  const onTwoListeners = (w: World) => {
    w.lb.listeners.set('lb-2:443', 'old');
    w.cert = aManagedCertificate({
      listeners: [
        { loadBalancerId: 'lb-1', port: 443 },
        { loadBalancerId: 'lb-2', port: 443 },
      ],
    });
  };
  /** The lease as `holder` took it and never released it: a retried worker's own, or a run that died. */
  const leaseHeldBy = async (records: MemoryLeaseRecords, holder: string) => {
    const lock = await records.create(NAME, lockValue('shop'));
    if (lock === 'duplicate') throw new Error('unexpected');
    await records.create(NAME, holderValue('shop', holder, lock.id));
  };
  /** SLB stores a stopped holder's upload after this run has read the region. */
  const lateUpload = (w: World) => () => {
    w.lb.certificates.push(ownUpload('late'));
  };

  const leaseValues = (records: MemoryLeaseRecords) => (records.records.get(NAME) ?? []).map((r) => r.value);

  it('held by another run: skipped with lease.held, nothing ordered or written, its lease untouched', async () => {
    const w = world(5);
    const records = memoryLeaseRecords(new Date(NOW.getTime() - 60_000));
    await leaseHeldBy(records, 'run-a');
    const r = await rotateLeased(w, records);
    expect(r).toMatchObject({ outcome: 'skipped', code: 'lease.held' });
    expect(r.reason).toMatch(/another run holds the lease on this certificate \(holder run-a, since .*, until .*\)/);
    expect(r.stage).toBeUndefined();
    expect(w.caCalls).toBe(0);
    expect(w.lb.writes()).toEqual([]);
    expect(leaseValues(records)).toHaveLength(2);
    expect(records.calls.filter((c) => c.startsWith('remove'))).toEqual([]);
    // Not a failure: the run stays ok, and nothing alerts.
    expect(summarize([r], 'timer', 0).ok).toBe(true);
  });

  it('taken, but another run moved the target after the plan: skipped, nothing ordered, lease released', async () => {
    const w = world(5);
    const records = memoryLeaseRecords(NOW);
    const r = await rotateLeased(w, records, {
      meanwhile: () => {
        w.lb.certificates.push(ownUpload('theirs'));
        w.lb.listeners.set('lb-1:443', 'theirs');
      },
    });
    expect(r).toMatchObject({ outcome: 'skipped', code: 'lease.rotated-meanwhile' });
    expect(r.reason).toMatch(/lb-1:443 now serves theirs .* moved there by another run/);
    expect(w.caCalls).toBe(0);
    expect(w.lb.writes()).toEqual([]);
    expect(leaseValues(records)).toEqual([]);
  });

  it('without targets: a certificate of this name uploaded after the plan means another run did it', async () => {
    const w = world(5);
    w.cert = aManagedCertificate({ listeners: [] });
    const records = memoryLeaseRecords(NOW);
    const r = await rotateLeased(w, records, {
      meanwhile: () => {
        w.lb.certificates.push(ownUpload('theirs'));
      },
    });
    expect(r).toMatchObject({ outcome: 'skipped', code: 'lease.rotated-meanwhile' });
    expect(w.caCalls).toBe(0);
  });

  it('taken again by the same holder (a retried worker): its upload stored after the plan is deployed, not ordered again', async () => {
    const w = world(5);
    const records = memoryLeaseRecords(NOW);
    // The killed attempt took the lease as run-b, the holder the retry comes back as.
    await leaseHeldBy(records, 'run-b');
    const r = await rotateLeased(w, records, {
      // SLB stores the killed attempt's upload after this run has read the region.
      meanwhile: lateUpload(w),
    });
    expect(r).toMatchObject({ outcome: 'rotated', resumed: true, current: { serverCertificateId: 'late' } });
    expect(w.caCalls).toBe(0);
    expect(w.lb.writes()).toEqual(['Set lb-1:443 late']);
  });

  it('a run that stopped between two targets after the plan: the rest move to its certificate, no order', async () => {
    const w = world(5);
    onTwoListeners(w);
    const records = memoryLeaseRecords(NOW);
    const r = await rotateLeased(w, records, {
      meanwhile: () => {
        w.lb.certificates.push(ownUpload('theirs'));
        w.lb.listeners.set('lb-1:443', 'theirs');
      },
    });
    expect(r).toMatchObject({ outcome: 'rotated', resumed: true, current: { serverCertificateId: 'theirs' } });
    expect(r.targets.map((t) => [t.target, t.status])).toEqual([
      ['lb-1:443', 'unchanged'],
      ['lb-2:443', 'moved'],
    ]);
    expect(w.caCalls).toBe(0);
    expect(w.lb.writes()).toEqual(['Set lb-2:443 theirs']);
  });

  it('taken over from an expired holder: its upload stored after the plan is deployed, not ordered again', async () => {
    const w = world(5);
    // run-a took the lease longer ago than its duration, and died.
    const records = memoryLeaseRecords(new Date(NOW.getTime() - DURATION - 60_000));
    await leaseHeldBy(records, 'run-a');
    const r = await rotateLeased(w, records, {
      meanwhile: lateUpload(w),
    });
    expect(r).toMatchObject({ outcome: 'rotated', resumed: true, current: { serverCertificateId: 'late' } });
    expect(r.warnings).toEqual([expect.stringMatching(/^took over the expired lease of run-a/)]);
    expect(w.caCalls).toBe(0);
  });

  it('forced, with the lease taken again by the same holder: orders anew despite an upload stored since the plan', async () => {
    const w = world(5);
    const records = memoryLeaseRecords(NOW);
    await leaseHeldBy(records, 'run-b');
    const r = await rotateLeased(w, records, {
      force: true,
      meanwhile: lateUpload(w),
    });
    expect(r).toMatchObject({ outcome: 'rotated', current: { serverCertificateId: 'uploaded-1' } });
    expect(r.resumed).toBeUndefined();
    expect(w.caCalls).toBe(1);
  });

  it('every target on one newer certificate after the plan, only some of them moved since: skipped', async () => {
    const w = world(5);
    // An earlier run stopped between the targets: lb-1 serves its upload, lb-2 still the old one. The plan resumes.
    w.lb.certificates.push(ownUpload('earlier'));
    w.lb.listeners.set('lb-1:443', 'earlier');
    onTwoListeners(w);
    const records = memoryLeaseRecords(NOW);
    // Another run finishes it before this run takes the lease.
    const r = await rotateLeased(w, records, { meanwhile: () => void w.lb.listeners.set('lb-2:443', 'earlier') });
    expect(r).toMatchObject({ outcome: 'skipped', code: 'lease.rotated-meanwhile' });
    expect(w.lb.writes()).toEqual([]);
  });

  it('a target someone moved after the plan is put back where it was then, not where the plan saw it', async () => {
    const w = world(5);
    const records = memoryLeaseRecords(NOW);
    // The new certificate is accepted but never applied: the move reads back wrong and is rolled back.
    w.lb.ignore.add('lb-1:443');
    const r = await rotateLeased(w, records, {
      force: true,
      meanwhile: () => {
        // By hand, between the plan and the lease: a certificate that does not outlast the old one.
        w.lb.certificates.push(aServerCertificate({ id: 'manual', notBefore: days(-80), notAfter: days(4) }));
        w.lb.listeners.set('lb-1:443', 'manual');
      },
    });
    expect(r.outcome).toBe('rolled-back');
    expect(w.lb.serving('lb-1:443')).toBe('manual');
  });

  it.each([
    [true, 'rotated'],
    [false, 'regressed'],
  ])('issued in the same second as the one in use (forced %s): %s', async (force, outcome) => {
    const w = world(5);
    const old = w.lb.certificates.find((c) => c.serverCertificateId === 'old');
    w.issued = anIssuedCertificate({ notAfter: new Date(old?.expireTimeStamp ?? 0) });
    const r = await rotateLeased(w, memoryLeaseRecords(NOW), { force });
    expect(r.outcome).toBe(outcome);
  });

  it('a new lease and nothing moved since the plan: the certificates are not read again', async () => {
    const w = world(5);
    const records = memoryLeaseRecords(NOW);
    const r = await rotateLeased(w, records);
    expect(r.outcome).toBe('rotated');
    expect(w.lb.calls.filter((c) => c === 'DescribeServerCertificates')).toHaveLength(1);
  });

  it('taken: rotates, then releases the lease by its ids', async () => {
    const w = world(5);
    const records = memoryLeaseRecords(NOW);
    const r = await rotateLeased(w, records);
    expect(r.outcome).toBe('rotated');
    expect(w.caCalls).toBe(1);
    expect(records.calls).toEqual([
      `create ${NAME} ${lockValue('shop')}`,
      `create ${NAME} ${holderValue('shop', 'run-b', 'r1')}`,
      'remove r1',
      'remove r2',
    ]);
    expect(leaseValues(records)).toEqual([]);
  });

  it('a lease that ran out while the certificate was issued: failed before the upload, retryable, nothing written', async () => {
    const w = world(5);
    const records = memoryLeaseRecords(NOW);
    let now = NOW;
    const ca: CertificateAuthority = {
      issue: async () => {
        w.caCalls++;
        // The order took longer than the lease, less the margin for clocks that disagree.
        now = new Date(NOW.getTime() + DURATION * 0.9);
        return w.issued;
      },
    };
    const r = await rotateLeased(w, records, { ca, clock: () => now });
    expect(r).toMatchObject({ outcome: 'failed', stage: 'upload', errorCode: 'LeaseExpired', retryable: true });
    expect(r.reason).toMatch(/this run's lease _slb-cert-rotator-lease\.example\.com ran out at .* before upload/);
    expect(w.caCalls).toBe(1);
    expect(w.lb.writes()).toEqual([]);
  });

  it('a lease that ran out before the targets move: failed at deploy, nothing moved', async () => {
    const w = world(5);
    // An earlier run's upload, resumed: nothing is ordered, the next write is the move.
    w.lb.certificates.push(aServerCertificate({ id: 'earlier', own: 'shop', notBefore: days(0), notAfter: days(90) }));
    const records = memoryLeaseRecords(NOW);
    const times = [NOW];
    const r = await rotateLeased(w, records, { clock: () => times.shift() ?? new Date(NOW.getTime() + DURATION) });
    expect(r).toMatchObject({ outcome: 'failed', stage: 'deploy', errorCode: 'LeaseExpired', retryable: true });
    expect(w.lb.writes()).toEqual([]);
    expect(w.lb.serving('lb-1:443')).toBe('old');
  });

  it('a lease with more than its margin left: the upload and the move go ahead', async () => {
    const w = world(5);
    const records = memoryLeaseRecords(NOW);
    const later = new Date(NOW.getTime() + DURATION * 0.89);
    const times = [NOW];
    const r = await rotateLeased(w, records, { clock: () => times.shift() ?? later });
    expect(r.outcome).toBe('rotated');
  });

  it('a failed rotation still releases the lease', async () => {
    const w = world(5);
    const records = memoryLeaseRecords(NOW);
    const ca: CertificateAuthority = {
      issue: async () => {
        throw new Error('CA down');
      },
    };
    const r = await rotateLeased(w, records, { ca });
    expect(r).toMatchObject({ outcome: 'failed', stage: 'issue' });
    expect(leaseValues(records)).toEqual([]);
  });

  it('a lease that cannot be released is a warning; the outcome stands', async () => {
    const w = world(5);
    const records = memoryLeaseRecords(NOW);
    records.failRemoval('r1');
    const r = await rotateLeased(w, records);
    expect(r.outcome).toBe('rotated');
    expect(r.warnings).toEqual([
      expect.stringMatching(
        /^the lease _slb-cert-rotator-lease\.example\.com \(record r1\) could not be released, it expires 2026-11-22T00:20:00\.000Z: /,
      ),
    ]);
  });

  it('a lease store that fails: failed at stage lease, nothing ordered', async () => {
    const w = world(5);
    const records = memoryLeaseRecords(NOW);
    records.create = async () => {
      throw new CloudApiError('lease', 'AddDomainRecord', 'AddDomainRecord to alidns failed: Throttling', {
        code: 'Throttling',
        retryable: true,
      });
    };
    const r = await rotateLeased(w, records);
    expect(r).toMatchObject({ outcome: 'failed', stage: 'lease', retryable: true, errorCode: 'Throttling' });
    expect(w.caCalls).toBe(0);
  });

  it('a crashed run’s expired lease is taken over, said in a warning, and the certificate rotated', async () => {
    const w = world(5);
    const records = memoryLeaseRecords(new Date(NOW.getTime() - DURATION - 1));
    await leaseHeldBy(records, 'run-a');
    records.now = NOW;
    const r = await rotateLeased(w, records);
    expect(r.outcome).toBe('rotated');
    expect(w.caCalls).toBe(1);
    expect(r.warnings).toEqual([expect.stringMatching(/^took over the expired lease of run-a /)]);
    expect(leaseValues(records)).toEqual([]);
  });

  it.each([
    [false, 'records placed before the dead lease expired are abandoned', NOW.getTime() - 1],
    [true, 'another certificate shares a challenge name: only their age counts', undefined],
  ])(
    'a takeover tells the CA which challenge records are abandoned (shared names %s)',
    async (shared, _what, before) => {
      const w = world(5);
      const records = memoryLeaseRecords(new Date(NOW.getTime() - DURATION - 1));
      const lock = await records.create(NAME, lockValue('shop'));
      if (lock === 'duplicate') throw new Error('unexpected');
      records.now = NOW;
      const requests: IssueRequest[] = [];
      const ca: CertificateAuthority = {
        issue: async (request) => {
          requests.push(request);
          return w.issued;
        },
      };
      const r = await rotateLeased(w, records, { ca, challengeNamesShared: shared });
      expect(r.outcome).toBe('rotated');
      expect(requests.map((q) => q.abandonedRecordsBefore?.getTime())).toEqual([before]);
    },
  );

  it('a lease taken without a takeover abandons no records', async () => {
    const w = world(5);
    const requests: IssueRequest[] = [];
    const ca: CertificateAuthority = {
      issue: async (request) => {
        requests.push(request);
        return w.issued;
      },
    };
    const r = await rotateLeased(w, memoryLeaseRecords(NOW), { ca });
    expect(r.outcome).toBe('rotated');
    expect(requests.map((q) => q.abandonedRecordsBefore)).toEqual([undefined]);
  });

  it('not due: no lease is taken', async () => {
    const w = world(60);
    const records = memoryLeaseRecords(NOW);
    const r = await rotateLeased(w, records);
    expect(r.outcome).toBe('not-due');
    expect(records.calls).toEqual([]);
  });
});
