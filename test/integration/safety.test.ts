/**
 * Issue 3's safety properties, with the real clients against Pebble and the emulator (its TLS listeners and fault
 * injection): every target, proof on the wire, rollback, resume without a second order, no duplicates, no sprawl,
 * quota pre-flight, other people's certificates left alone.
 */
import { LEASE_LABEL } from '../../shared/lease/lease-records.js';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { TAG_NAME } from '../../shared/domain/tags.js';
import { makeExpiringCertificate } from '../../sandbox/seed-certificate.js';
import { seedListener } from '../../sandbox/world.js';
import { type RotationHarness, startRotationHarness } from '../support/rotation-harness.js';

const REGION = 'cn-hangzhou';
let h: RotationHarness;
// Several real ACME orders and wire checks per test: on a loaded shared machine 30 s turned a slow run into a
// time-out that hid which assertion, if any, was wrong.
vi.setConfig({ testTimeout: 240_000 });

beforeAll(async () => {
  h = await startRotationHarness([
    'sni.test',
    'ref.test',
    'refuse.test',
    'stale.test',
    'dark.test',
    'quota.test',
    'sprawl.test',
    'overlap.test',
    'takeover.test',
    'verifyfail.test',
    'tampered.test',
    'leak.test',
  ]);
});
afterEach(async () => {
  await h.world.emulator.faults.reset();
});
afterAll(async () => {
  await h?.close();
});

const emu = () => h.world.emulator;
// AddDomainRecord counts challenge records (one per order here); the lease's own records are not orders.
const calls = (action: string) =>
  emu()
    .callsOf(action)
    .filter((c) => !c.params.RR?.startsWith(LEASE_LABEL)).length;
const ownCertificates = (name: string, region = REGION) =>
  emu()
    .slb.certificates(region)
    .filter((c) =>
      (c.Tags?.Tag ?? []).some(
        (t: { TagKey: string; TagValue: string }) => t.TagKey === TAG_NAME && t.TagValue === name,
      ),
    );

describe('targets and proof on the wire', () => {
  it('moves a listener and an SNI domain extension, and proves each with its own SNI name', async () => {
    const seeded = await seedListener(h.world, { regionId: REGION, domains: ['www.sni.test'], days: 3 });
    const extCert = emu().slb.importCertificate(REGION, {
      ...(await makeExpiringCertificate(['api.sni.test'], 3)),
      name: 'api-by-hand',
    });
    const extId = emu().slb.addDomainExtension(
      REGION,
      seeded.loadBalancerId,
      443,
      'api.sni.test',
      extCert.ServerCertificateId,
    );
    const { records } = await h.run([
      {
        name: 'sni',
        domains: ['www.sni.test', 'api.sni.test'],
        region: REGION,
        listeners: [{ loadBalancerId: seeded.loadBalancerId, port: 443 }],
        domainExtensions: [{ loadBalancerId: seeded.loadBalancerId, port: 443, domain: 'api.sni.test' }],
      },
    ]);
    const r = records[0];
    expect(r?.outcome, r?.reason).toBe('rotated');
    expect(r?.targets.map((t) => [t.status, t.wire])).toEqual([
      ['moved', 'verified'],
      ['moved', 'verified'],
    ]);
    expect(r?.targets[1]?.wireDetail).toMatch(/SNI api\.sni\.test/);
    const binding = emu().slb.binding(REGION, seeded.loadBalancerId, 443);
    expect(binding.serverCertificateId).toBe(r?.current?.serverCertificateId);
    expect(binding.domainExtensions.find((d) => d.domainExtensionId === extId)?.serverCertificateId).toBe(
      r?.current?.serverCertificateId,
    );
  });

  it('by reference: every listener and domain extension serving the old certificate, across load balancers, and nothing else', async () => {
    const old = emu().slb.importCertificate(REGION, {
      ...(await makeExpiringCertificate(['ref.test', '*.ref.test'], 3)),
      name: 'ref-by-hand',
    });
    const other = emu().slb.importCertificate(REGION, {
      ...(await makeExpiringCertificate(['other.ref.test'], 300)),
      name: 'other',
    });
    const lb1 = emu().slb.addLoadBalancer(REGION).loadBalancerId;
    const lb2 = emu().slb.addLoadBalancer(REGION).loadBalancerId;
    await emu().slb.addHttpsListener(REGION, lb1, 443, old.ServerCertificateId);
    await emu().slb.addHttpsListener(REGION, lb2, 8443, other.ServerCertificateId);
    emu().slb.addDomainExtension(REGION, lb2, 8443, 'shop.ref.test', old.ServerCertificateId);
    const { records } = await h.run([
      { name: 'ref', domains: ['ref.test', '*.ref.test'], region: REGION, byReference: true },
    ]);
    const r = records[0];
    expect(r?.outcome, r?.reason).toBe('rotated');
    expect(r?.previous?.serverCertificateId).toBe(old.ServerCertificateId);
    const targets = r?.targets.map((t) => t.target) ?? [];
    expect(targets).toHaveLength(2);
    expect(targets).toContain(`${lb1}:443`);
    expect(targets.filter((t) => t.startsWith(`${lb2}:8443/shop.ref.test(`))).toHaveLength(1);
    expect(r?.targets.every((t) => t.wire === 'verified')).toBe(true);
    expect(emu().slb.binding(REGION, lb2, 8443).serverCertificateId).toBe(other.ServerCertificateId);
    // The replaced certificate was uploaded by hand: it is not the rotator's to delete.
    expect(
      emu()
        .slb.certificates(REGION)
        .some((c) => c.ServerCertificateId === old.ServerCertificateId),
    ).toBe(true);
  });
});

describe('rollback and resume', () => {
  it('a listener that refuses the change: every moved target goes back; the next run finishes without a second order', async () => {
    const a = await seedListener(h.world, { regionId: REGION, domains: ['refuse.test'], days: 3 });
    const b = emu().slb.addLoadBalancer(REGION).loadBalancerId;
    await emu().slb.addHttpsListener(REGION, b, 443, a.serverCertificateId);
    const cert = {
      name: 'refuse',
      domains: ['refuse.test'],
      region: REGION,
      listeners: [
        { loadBalancerId: a.loadBalancerId, port: 443 },
        { loadBalancerId: b, port: 443 },
      ],
    };
    const refusal = emu().faults.refuseListenerUpdate(REGION, b, 443);
    const first = (await h.run([cert])).records[0];
    expect(first?.outcome, first?.reason).toBe('rolled-back');
    expect(first?.stage).toBe('deploy');
    expect(first?.retryable).toBe(true);
    expect(first?.reason).toMatch(/Forbidden\.RAM/);
    expect(first?.targets.map((t) => t.status)).toEqual(['rolled-back', 'failed']);
    expect(emu().slb.binding(REGION, a.loadBalancerId, 443).serverCertificateId).toBe(a.serverCertificateId);
    expect(emu().slb.binding(REGION, b, 443).serverCertificateId).toBe(a.serverCertificateId);

    refusal.cancel();
    const orders = calls('AddDomainRecord');
    const uploads = calls('UploadServerCertificate');
    const second = (await h.run([cert])).records[0];
    expect(second?.outcome, second?.reason).toBe('rotated');
    expect(second?.resumed).toBe(true);
    expect(second?.current?.serverCertificateId).toBe(first?.current?.serverCertificateId);
    expect(calls('AddDomainRecord')).toBe(orders);
    expect(calls('UploadServerCertificate')).toBe(uploads);
  });

  it('a TLS listener still serving the old certificate: rolled back at the verify stage; resumed once it serves', async () => {
    const seeded = await seedListener(h.world, { regionId: REGION, domains: ['stale.test'], days: 3 });
    const cert = {
      name: 'stale',
      domains: ['stale.test'],
      region: REGION,
      listeners: [{ loadBalancerId: seeded.loadBalancerId, port: 443 }],
    };
    const frozen = emu().faults.keepServingOldCertificate(REGION, seeded.loadBalancerId, 443);
    const first = (await h.run([cert], { slb: { wireSettleSeconds: 1 } })).records[0];
    expect(first?.outcome, first?.reason).toBe('rolled-back');
    expect(first?.stage).toBe('verify');
    expect(first?.reason).toMatch(/still presents/);
    expect(emu().slb.binding(REGION, seeded.loadBalancerId, 443).serverCertificateId).toBe(seeded.serverCertificateId);
    frozen.cancel();
    const second = (await h.run([cert])).records[0];
    expect(second?.outcome, second?.reason).toBe('rotated');
    expect(second?.resumed).toBe(true);
    expect(second?.targets[0]?.wire).toBe('verified');
  });

  it('an address that cannot be reached is reported as such, not as verified', async () => {
    const seeded = await seedListener(h.world, { regionId: REGION, domains: ['dark.test'], days: 3 });
    await emu().faults.unreachable(REGION, seeded.loadBalancerId);
    const { records } = await h.run(
      [
        {
          name: 'dark',
          domains: ['dark.test'],
          region: REGION,
          listeners: [{ loadBalancerId: seeded.loadBalancerId, port: 443 }],
        },
      ],
      { slb: { wireSettleSeconds: 1 } },
    );
    const r = records[0];
    expect(r?.outcome, r?.reason).toBe('rotated');
    expect(r?.targets[0]?.wire).toBe('unreachable');
    expect(r?.warnings?.join('\n')).toMatch(/not verified on the wire/);
    expect(r?.reason).toMatch(/0 verified on the wire/);
  });
});

describe('quota, duplicates and sprawl', () => {
  it('a region at its quota fails before ordering, saying so', async () => {
    const region = 'cn-qingdao';
    const seeded = await seedListener(h.world, { regionId: region, domains: ['quota.test'], days: 3 });
    const orders = calls('AddDomainRecord');
    const { records } = await h.run(
      [
        {
          name: 'quota',
          domains: ['quota.test'],
          region,
          listeners: [{ loadBalancerId: seeded.loadBalancerId, port: 443 }],
        },
      ],
      { slb: { certificateQuota: 1 } },
    );
    const r = records[0];
    expect(r?.outcome).toBe('failed');
    expect(r?.stage).toBe('preflight');
    expect(r?.errorCode).toBe('QuotaWouldBeExceeded');
    expect(r?.reason).toMatch(/cn-qingdao holds 1 server certificates and its quota is 1/);
    expect(calls('AddDomainRecord')).toBe(orders);
  });

  it('re-running never uploads twice; forced runs keep the region at the configured number per name; foreign certificates stay', async () => {
    const region = 'cn-beijing';
    const seeded = await seedListener(h.world, { regionId: region, domains: ['sprawl.test'], days: 3 });
    const foreign = emu().slb.importCertificate(region, {
      ...(await makeExpiringCertificate(['sprawl.test'], 1)),
      name: 'someone-elses',
    });
    const cert = {
      name: 'sprawl',
      domains: ['sprawl.test'],
      region,
      retain: 1,
      listeners: [{ loadBalancerId: seeded.loadBalancerId, port: 443 }],
    };
    const uploads = () =>
      emu()
        .callsOf('UploadServerCertificate')
        .filter((c) => c.params.RegionId === region).length;

    expect((await h.run([cert])).records[0]?.outcome).toBe('rotated');
    for (let i = 0; i < 3; i++) expect((await h.run([cert])).records[0]?.outcome).toBe('not-due');
    expect(uploads()).toBe(1);

    const deleted: string[] = [];
    for (let i = 0; i < 3; i++) {
      await new Promise((r) => setTimeout(r, 1100)); // a new notAfter second, so each forced renewal expires later
      const r = (await h.run([cert], { request: { force: true } })).records[0];
      expect(r?.outcome, r?.reason).toBe('rotated');
      deleted.push(...(r?.deleted ?? []));
    }
    expect(uploads()).toBe(4);
    expect(deleted).toHaveLength(2);
    // The current certificate and one older for rollback.
    expect(ownCertificates('sprawl', region)).toHaveLength(2);
    const ids = emu()
      .slb.certificates(region)
      .map((c) => c.ServerCertificateId);
    expect(ids).toContain(foreign.ServerCertificateId);
    expect(ids).toContain(seeded.serverCertificateId);
  });

  it('a run that starts while another is deploying leaves the certificate to it (lease held): one order, one upload', async () => {
    const seeded = await seedListener(h.world, { regionId: REGION, domains: ['overlap.test'], days: 3 });
    const cert = {
      name: 'overlap',
      domains: ['overlap.test'],
      region: REGION,
      listeners: [{ loadBalancerId: seeded.loadBalancerId, port: 443 }],
    };
    const orders = calls('AddDomainRecord');
    const uploads = calls('UploadServerCertificate');
    // Hold the first run's listener update, and start the second run once the first has uploaded.
    emu().faults.latency(1500, { action: 'SetLoadBalancerHTTPSListenerAttribute', times: 1 });
    const first = h.run([cert]);
    while (calls('UploadServerCertificate') === uploads) await new Promise((r) => setTimeout(r, 20));
    const second = await h.run([cert]);
    const a = (await first).records[0];
    const b = second.records[0];
    expect(a?.outcome, a?.reason).toBe('rotated');
    expect(b?.outcome, b?.reason).toBe('skipped');
    expect(b?.code).toBe('lease.held');
    expect(calls('AddDomainRecord') - orders).toBe(1);
    expect(calls('UploadServerCertificate') - uploads).toBe(1);
    expect(emu().slb.binding(REGION, seeded.loadBalancerId, 443).serverCertificateId).toBe(
      a?.current?.serverCertificateId,
    );
  });
});

describe('review fixes', () => {
  it('by reference: a target still on the replaced certificate after an interrupted takeover is finished next run', async () => {
    const hand = emu().slb.importCertificate(REGION, {
      ...(await makeExpiringCertificate(['takeover.test'], 3)),
      name: 'hand',
    });
    const lb1 = emu().slb.addLoadBalancer(REGION).loadBalancerId;
    await emu().slb.addHttpsListener(REGION, lb1, 443, hand.ServerCertificateId);
    const cert = { name: 'takeover', domains: ['takeover.test'], region: REGION, byReference: true };
    const first = (await h.run([cert])).records[0];
    expect(first?.outcome, first?.reason).toBe('rotated');
    // A listener the first run did not reach still serves the hand-uploaded certificate.
    const lb2 = emu().slb.addLoadBalancer(REGION).loadBalancerId;
    await emu().slb.addHttpsListener(REGION, lb2, 443, hand.ServerCertificateId);
    const orders = calls('AddDomainRecord');
    const second = (await h.run([cert])).records[0];
    expect(second?.outcome, second?.reason).toBe('rotated');
    expect(second?.resumed).toBe(true);
    expect(calls('AddDomainRecord')).toBe(orders);
    expect(emu().slb.binding(REGION, lb2, 443).serverCertificateId).toBe(first?.current?.serverCertificateId);
  });

  it('an error while checking the wire puts the moved targets back', async () => {
    const seeded = await seedListener(h.world, { regionId: REGION, domains: ['verifyfail.test'], days: 3 });
    // DescribeLoadBalancers is first called by the wire check (no byReference here).
    emu().faults.failNext('DescribeLoadBalancers', { code: 'Forbidden.RAM' });
    const r = (
      await h.run([
        {
          name: 'verifyfail',
          domains: ['verifyfail.test'],
          region: REGION,
          listeners: [{ loadBalancerId: seeded.loadBalancerId, port: 443 }],
        },
      ])
    ).records[0];
    expect(r?.outcome, r?.reason).toBe('rolled-back');
    expect(r?.stage).toBe('verify');
    expect(r?.reason).toMatch(/the wire check could not be completed: .*Forbidden\.RAM/);
    expect(emu().slb.binding(REGION, seeded.loadBalancerId, 443).serverCertificateId).toBe(seeded.serverCertificateId);
  });

  it('a certificate SLB reports with another fingerprint is never resumed later', async () => {
    const seeded = await seedListener(h.world, { regionId: REGION, domains: ['tampered.test'], days: 3 });
    const cert = {
      name: 'tampered',
      domains: ['tampered.test'],
      region: REGION,
      listeners: [{ loadBalancerId: seeded.loadBalancerId, port: 443 }],
    };
    const bogus = '00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff:00:11:22:33';
    let uploadedId = '';
    emu().faults.tamperResponse('UploadServerCertificate', (body) => {
      uploadedId = String(body.ServerCertificateId);
      return { ...body, Fingerprint: bogus };
    });
    // SLB keeps reporting that certificate with the wrong fingerprint.
    emu().faults.tamperResponse(
      'DescribeServerCertificates',
      (body) => {
        const wrapper = body.ServerCertificates as {
          ServerCertificate: { ServerCertificateId: string; Fingerprint: string }[];
        };
        for (const c of wrapper.ServerCertificate) if (c.ServerCertificateId === uploadedId) c.Fingerprint = bogus;
        return body;
      },
      { times: Number.POSITIVE_INFINITY },
    );
    const first = (await h.run([cert])).records[0];
    expect(first?.outcome).toBe('mismatch');
    await new Promise((r) => setTimeout(r, 1100));
    const second = (await h.run([cert])).records[0];
    expect(second?.resumed).toBeUndefined();
    expect(second?.current?.serverCertificateId).not.toBe(uploadedId);
    expect(second?.outcome, second?.reason).toBe('rotated');
  });

  it("a signature error's string to sign (token, key) never reaches the outcome or the logs", async () => {
    const seeded = await seedListener(h.world, { regionId: REGION, domains: ['leak.test'], days: 3 });
    const token = 'CAISzQJ1q6Ft5B2yfSjIr5bSLtzBlLeakCanary';
    emu().faults.failNext('DescribeServerCertificates', {
      code: 'SignatureDoesNotMatch',
      message: `Specified signature is not matched with our calculation. server string to sign is:POST&%2F&AccessKeyId%3DSTS.NUgYrLnoC37mZZ%26PrivateKey%3D-----BEGIN%2520RSA%2520PRIVATE%2520KEY-----%26SecurityToken%3D${token}`,
    });
    const { records, logs } = await h.run([
      {
        name: 'leak',
        domains: ['leak.test'],
        region: REGION,
        listeners: [{ loadBalancerId: seeded.loadBalancerId, port: 443 }],
      },
    ]);
    expect(records[0]?.outcome).toBe('failed');
    expect(records[0]?.errorCode).toBe('SignatureDoesNotMatch');
    const text = JSON.stringify(records) + logs;
    expect(text).not.toContain(token);
    expect(text).not.toContain('NUgYrLnoC37mZZ');
    expect(text).not.toMatch(/PRIVATE/);
  });
});
