import { X509Certificate } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Emulator, startEmulator } from '../../sandbox/emulator/index.js';
import { LISTENER_PORT, seedInventory } from '../../sandbox/emulator/seed-inventory.js';
import { seedCertificateFactory } from '../../sandbox/emulator/seed-certificates.js';

const DAY_MS = 86_400_000;

describe('seeded fleets', () => {
  let emu: Emulator;
  beforeAll(async () => {
    emu = await startEmulator({ tlsListeners: false });
  });
  afterAll(() => emu.close());

  it('a seed certificate is a valid self-signed leaf for its names, expiring when asked, with a PKCS#1 key', async () => {
    const now = Date.parse('2026-11-30T12:00:00Z');
    const seed = (await seedCertificateFactory()).make(['a.fleet.test', 'www.a.fleet.test'], 5, now);
    const x = new X509Certificate(seed.certificatePem);
    expect(x.subject).toBe('CN=a.fleet.test');
    expect(x.subjectAltName).toBe('DNS:a.fleet.test, DNS:www.a.fleet.test');
    expect(Date.parse(x.validTo)).toBe(now + 5 * DAY_MS);
    expect(Date.parse(x.validFrom)).toBe(now - DAY_MS);
    expect(x.verify(x.publicKey)).toBe(true);
    expect(x.ca).toBe(false);
    expect(seed.privateKeyPem).toMatch(/^-----BEGIN RSA PRIVATE KEY-----\n/);
  });

  it('every certificate parses, whatever its random serial (DER integers must be minimal)', async () => {
    const factory = await seedCertificateFactory();
    emu.slb.setCertificateQuota('cn-shenzhen', 1000);
    // A leading zero byte came up once in 128 serials before the fix; 200 makes that likely to show.
    for (let i = 0; i < 200; i++) {
      const seed = factory.make([`s${i}.fleet.test`], 5);
      expect(
        () => emu.slb.importCertificate('cn-shenzhen', { ...seed, name: `serial-${i}` }),
        `serial ${i}`,
      ).not.toThrow();
    }
  });

  it('spreads certificates over regions and load balancers: one listener default, the rest on SNI extensions', async () => {
    const regions = ['cn-shanghai', 'cn-beijing'];
    const fleet = await seedInventory(emu, { certificates: 7, regions, daysLeft: 80, zone: 'fleet.test' });
    expect(fleet.certificates.map((c) => c.name)).toEqual(['c0', 'c1', 'c2', 'c3', 'c4', 'c5', 'c6']);
    expect(fleet.certificates.map((c) => c.region)).toEqual([0, 1, 2, 3, 4, 5, 6].map((i) => regions[i % 2]));
    // Shanghai holds c0, c2, c4, c6 (one load balancer), Beijing c1, c3, c5 (one).
    expect(fleet.loadBalancers.map((lb) => lb.regionId)).toEqual(regions);
    for (const cert of fleet.certificates) {
      const lbId = (cert.listeners?.[0] ?? cert.domainExtensions?.[0])?.loadBalancerId as string;
      const binding = emu.slb.binding(cert.region, lbId, LISTENER_PORT);
      const served = cert.listeners
        ? binding.serverCertificateId
        : binding.domainExtensions.find((e) => e.domain === cert.domains[0])?.serverCertificateId;
      const item = emu.slb.certificates(cert.region).find((c) => c.ServerCertificateId === served);
      expect(item?.CommonName, cert.name).toBe(cert.domains[0]);
      expect(cert.domains).toEqual([`${cert.name}.fleet.test`]);
      const daysLeft = ((item?.ExpireTimeStamp ?? 0) - Date.now()) / DAY_MS;
      expect(daysLeft).toBeGreaterThan(79.9);
      expect(daysLeft).toBeLessThanOrEqual(80);
    }
    expect(fleet.certificates.filter((c) => c.listeners).map((c) => c.name)).toEqual(['c0', 'c1']);
  });

  it('refuses sizes it cannot lay out, naming the option', async () => {
    const base = { regions: ['cn-hangzhou'], daysLeft: 5, zone: 'fleet.test' };
    await expect(seedInventory(emu, { ...base, certificates: 0 })).rejects.toThrow(/certificates must be a positive/);
    await expect(seedInventory(emu, { ...base, certificates: 1, perLoadBalancer: 5 })).rejects.toThrow(
      /perLoadBalancer must be 1 to 4/,
    );
    await expect(seedInventory(emu, { ...base, certificates: 1, regions: [] })).rejects.toThrow(/at least one region/);
  });
});
