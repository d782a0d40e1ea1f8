import { describe, expect, it } from 'vitest';
import type { ManagedCertificate } from '../../../shared/config/types.js';
import type { IssuedCertificate, ServerCertificate } from '../../../shared/domain/certificate.js';
import { silentLogger } from '../../../shared/log/logger.js';
import { planCertificate } from '../../../shared/plan/make-plan.js';
import type { CertificateAuthority } from '../../../shared/ports/certificate-authority.js';
import type { ProbeResult, WireProbe } from '../../../shared/ports/wire-probe.js';
import { buildOutcome } from '../../../shared/rotation/build-outcome.js';
import { executePlan } from '../../../shared/rotation/execute.js';
import { gather } from '../../../shared/rotation/gather.js';
import { referencedIds } from '../../../shared/rotation/inventory.js';
import type { OutcomeRecord } from '../../../shared/rotation/outcome.js';
import { RegionView } from '../../../shared/rotation/region-view.js';
import { slbTargetHandlers } from '../../../shared/rotation/targets.js';
import { Interrupted } from '../../../shared/runtime/interrupt.js';
import { aManagedCertificate, anIssuedCertificate, aServerCertificate, days, NOW } from '../../support/builders.js';
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

async function rotate(
  w: World,
  options: { force?: boolean; probe?: WireProbe; signal?: AbortSignal; ca?: CertificateAuthority } = {},
): Promise<OutcomeRecord> {
  const region = new RegionView(w.lb);
  const gathered = await gather(region, w.cert, undefined);
  const plan = planCertificate(
    { ...gathered, referenced: gathered.inventory ? referencedIds(gathered.inventory) : undefined },
    { force: options.force ?? false, now: NOW, certificateQuota: settings.certificateQuota },
  );
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
      clock: () => NOW,
      sleep: async () => {},
      logger: silentLogger,
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
