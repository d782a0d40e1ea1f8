/**
 * The whole rotation with the real clients: pop-core signing requests to the SLB/Alidns emulator, acme-client
 * ordering from Pebble, DNS-01 validated by Pebble against challtestsrv (which the emulator feeds from Alidns).
 */
import { X509Certificate } from 'node:crypto';
import { connect } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PebbleSandbox, startPebble } from '../../sandbox/pebble.js';
import { seedListener } from '../../sandbox/world.js';
import { matchesFingerprint } from '../../shared/certs/fingerprint.js';
import { TAG_NAME, TAG_NOT_BEFORE } from '../../shared/domain/tags.js';
import { pebbleTlsFiles } from '../support/env.js';
import { type RotationHarness, startRotationHarness } from '../support/rotation-harness.js';

const REGION = 'cn-hangzhou';
let h: RotationHarness;

beforeAll(async () => {
  h = await startRotationHarness([
    'first.test',
    'notdue.test',
    'wild.test',
    'cafail.test',
    'quota.test',
    'mismatch.test',
  ]);
});
afterAll(async () => {
  await h?.close();
});

function txtRecords(zone: string) {
  return h.world.emulator.alidns.records(zone).filter((r) => r.Type === 'TXT');
}

function servedLeaf(lb: string, port: number, servername: string): Promise<X509Certificate> {
  const ep = h.world.emulator.slb.tlsEndpoint(REGION, lb, port);
  return new Promise((resolve, reject) => {
    const s = connect({ host: ep.host, port: ep.port, servername, rejectUnauthorized: false }, () => {
      const raw = s.getPeerCertificate().raw;
      s.end();
      resolve(new X509Certificate(raw));
    });
    s.on('error', reject);
  });
}

describe('rotation against Pebble and the emulator', () => {
  it("first issuance: no previous certificate, uploaded and tagged as the rotator's own", async () => {
    const { records, summary, logs } = await h.run([{ name: 'first', domains: ['www.first.test'], region: REGION }]);
    const r = records[0];
    expect(r?.outcome).toBe('rotated');
    expect(r?.previous).toBeNull();
    expect(r?.current?.serverCertificateId).toBeTruthy();
    expect(summary.counts.rotated).toBe(1);
    const uploaded = h.world.emulator.slb
      .certificates(REGION)
      .find((c) => c.ServerCertificateId === r?.current?.serverCertificateId);
    const tags = Object.fromEntries(
      (uploaded?.Tags?.Tag ?? []).map((t: { TagKey: string; TagValue: string }) => [t.TagKey, t.TagValue]),
    );
    expect(tags[TAG_NAME]).toBe('first');
    expect(new Date(tags[TAG_NOT_BEFORE] ?? '').getTime()).toBeLessThan(Date.now());
    expect(uploaded?.ServerCertificateName).toMatch(/^first-\d{8}-[0-9a-f]{8}$/);
    expect(txtRecords('first.test')).toEqual([]);
    // The upload went by POST with the key in the body, never in a URL.
    const upload = h.world.emulator.callsOf('UploadServerCertificate').at(-1);
    expect(upload?.method).toBe('POST');
    for (const secret of h.secrets()) expect(logs).not.toContain(secret);

    // A second run finds the certificate it uploaded (newest own) and is not due.
    const again = await h.run([{ name: 'first', domains: ['www.first.test'], region: REGION }]);
    expect(again.records[0]?.outcome).toBe('not-due');
    expect(again.records[0]?.previous?.serverCertificateId).toBe(r?.current?.serverCertificateId);
  });

  it('not due: nothing is ordered, uploaded or moved', async () => {
    const seeded = await seedListener(h.world, { regionId: REGION, domains: ['notdue.test'], days: 80 });
    h.world.emulator.clearCalls();
    const { records } = await h.run([
      {
        name: 'notdue',
        domains: ['notdue.test'],
        region: REGION,
        listeners: [{ loadBalancerId: seeded.loadBalancerId, port: 443 }],
      },
    ]);
    expect(records[0]?.outcome).toBe('not-due');
    expect(records[0]?.reason).toMatch(/renews from/);
    expect(records[0]?.renewAt).toBeTruthy();
    expect(h.world.emulator.callsOf('UploadServerCertificate')).toHaveLength(0);
    expect(h.world.emulator.callsOf('AddDomainRecord')).toHaveLength(0);
    expect(h.world.emulator.callsOf('SetLoadBalancerHTTPSListenerAttribute')).toHaveLength(0);
    expect(h.world.emulator.slb.binding(REGION, seeded.loadBalancerId, 443).serverCertificateId).toBe(
      seeded.serverCertificateId,
    );
  });

  it('wildcard and apex in one certificate: rotated, listener moved, served on the wire, records removed', async () => {
    const domains = ['wild.test', '*.wild.test'];
    const seeded = await seedListener(h.world, { regionId: REGION, domains, days: 3 });
    const before = await servedLeaf(seeded.loadBalancerId, 443, 'a.wild.test');
    const { records } = await h.run([
      { name: 'wild', domains, region: REGION, listeners: [{ loadBalancerId: seeded.loadBalancerId, port: 443 }] },
    ]);
    const r = records[0];
    expect(r?.outcome, r?.reason).toBe('rotated');
    expect(r?.previous?.serverCertificateId).toBe(seeded.serverCertificateId);
    expect(r?.current?.fingerprint).not.toBe(r?.previous?.fingerprint);
    expect(r?.current?.expireTimeStamp).toBeGreaterThan(r?.previous?.expireTimeStamp ?? Infinity);
    expect(r?.daysGained).toBeGreaterThan(80);
    expect(r?.current?.expireTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(r?.targets).toEqual([
      {
        target: `${seeded.loadBalancerId}:443`,
        serverCertificateId: r?.current?.serverCertificateId,
        status: 'moved',
        wire: 'verified',
        wireDetail: expect.stringMatching(/:443 \(SNI wild\.test\)$/),
      },
    ]);
    expect(h.world.emulator.slb.binding(REGION, seeded.loadBalancerId, 443).serverCertificateId).toBe(
      r?.current?.serverCertificateId,
    );

    const after = await servedLeaf(seeded.loadBalancerId, 443, 'a.wild.test');
    expect(after.fingerprint).not.toBe(before.fingerprint);
    expect(matchesFingerprint(r?.current?.fingerprint, { sha1: after.fingerprint, sha256: after.fingerprint256 })).toBe(
      true,
    );
    expect(after.subjectAltName).toContain('DNS:*.wild.test');
    expect(after.subjectAltName).toContain('DNS:wild.test');
    // Both authorizations shared one TXT name; both records were placed and both removed.
    expect(
      h.world.emulator
        .callsOf('AddDomainRecord')
        .filter((c) => c.params.DomainName === 'wild.test' && c.params.RR?.startsWith('_acme-challenge')),
    ).toHaveLength(2);
    expect(txtRecords('wild.test')).toEqual([]);
  });

  describe('a CA that fails validation', () => {
    let other: PebbleSandbox;
    beforeAll(async () => {
      // A second Pebble that resolves through its own, empty challtestsrv: the records the rotator placed (and saw
      // propagated) are invisible to it, so it marks the authorization invalid — a real CA-side failure.
      other = await startPebble({ tls: pebbleTlsFiles() });
    });
    afterAll(async () => {
      await other?.stop();
    });

    it('fails at the issue stage, removes every TXT record, uploads nothing', async () => {
      const seeded = await seedListener(h.world, { regionId: REGION, domains: ['cafail.test'], days: 3 });
      h.world.emulator.clearCalls();
      const { records } = await h.run(
        [
          {
            name: 'cafail',
            domains: ['cafail.test'],
            region: REGION,
            listeners: [{ loadBalancerId: seeded.loadBalancerId, port: 443 }],
          },
        ],
        { ca: { ...h.ca, directoryUrl: other.directoryUrl } },
      );
      const r = records[0];
      expect(r?.outcome).toBe('failed');
      expect(r?.stage).toBe('issue');
      expect(r?.reason).toMatch(/cafail\.test/);
      // One challenge record placed (the lease's own records are the lease tests' business), and every record the
      // run placed, challenge and lease alike, removed again.
      const added = h.world.emulator.callsOf('AddDomainRecord');
      expect(added.filter((c) => c.params.RR?.startsWith('_acme-challenge'))).toHaveLength(1);
      expect(h.world.emulator.callsOf('DeleteDomainRecord')).toHaveLength(added.length);
      expect(txtRecords('cafail.test')).toEqual([]);
      expect(h.world.emulator.callsOf('UploadServerCertificate')).toHaveLength(0);
      expect(h.world.emulator.slb.binding(REGION, seeded.loadBalancerId, 443).serverCertificateId).toBe(
        seeded.serverCertificateId,
      );
    });
  });

  it('a rejected upload (region at its certificate quota) fails at upload and leaves the listener alone', async () => {
    const seeded = await seedListener(h.world, { regionId: 'cn-shanghai', domains: ['quota.test'], days: 3 });
    h.world.emulator.slb.setCertificateQuota('cn-shanghai', h.world.emulator.slb.certificates('cn-shanghai').length);
    const { records } = await h.run([
      {
        name: 'quota',
        domains: ['quota.test'],
        region: 'cn-shanghai',
        listeners: [{ loadBalancerId: seeded.loadBalancerId, port: 443 }],
      },
    ]);
    const r = records[0];
    expect(r?.outcome).toBe('failed');
    expect(r?.stage).toBe('upload');
    expect(r?.errorCode).toBe('OverQuota');
    expect(r?.retryable).toBe(false);
    expect(r?.current).toBeNull();
    expect(txtRecords('quota.test')).toEqual([]);
    expect(h.world.emulator.slb.binding('cn-shanghai', seeded.loadBalancerId, 443).serverCertificateId).toBe(
      seeded.serverCertificateId,
    );
  });

  it('a cloud that reports a different fingerprint: mismatch, listener not moved', async () => {
    const seeded = await seedListener(h.world, { regionId: REGION, domains: ['mismatch.test'], days: 3 });
    h.world.emulator.clearCalls();
    h.world.emulator.faults.tamperResponse('UploadServerCertificate', (body) => ({
      ...body,
      Fingerprint: '00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff:00:11:22:33',
    }));
    const { records } = await h.run([
      {
        name: 'mismatch',
        domains: ['mismatch.test'],
        region: REGION,
        listeners: [{ loadBalancerId: seeded.loadBalancerId, port: 443 }],
      },
    ]);
    const r = records[0];
    expect(r?.outcome).toBe('mismatch');
    expect(r?.reason).toMatch(/SLB reports fingerprint 00:11:22/);
    expect(r?.current?.fingerprint).toBe('00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff:00:11:22:33');
    expect(h.world.emulator.callsOf('SetLoadBalancerHTTPSListenerAttribute')).toHaveLength(0);
    expect(h.world.emulator.slb.binding(REGION, seeded.loadBalancerId, 443).serverCertificateId).toBe(
      seeded.serverCertificateId,
    );
  });
});
