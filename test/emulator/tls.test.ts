import { X509Certificate } from 'node:crypto';
import { type AddressInfo, connect, createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Emulator, startEmulator } from '../../sandbox/emulator/index.js';
import { call, popClient, rsaKey, selfSigned, servedFingerprint, type TestKey } from './helpers.js';

const REGION = 'cn-hangzhou';

function fingerprintOf(pem: string): string {
  return new X509Certificate(pem).fingerprint.toLowerCase();
}

describe('HTTPS listeners are real TLS servers', () => {
  let emu: Emulator;
  let slb: ReturnType<typeof popClient>;
  const certs: Record<'old' | 'next' | 'shop' | 'shop2' | 'api', { pem: string; key: TestKey; id: string }> =
    {} as never;
  let lbId: string;
  let address: string;

  beforeAll(async () => {
    emu = await startEmulator();
    slb = popClient(emu, 'slb');
    const key = rsaKey();
    const specs = {
      old: 'www.example.com',
      next: 'www.example.com',
      shop: 'shop.example.com',
      shop2: 'shop.example.com',
      api: '*.api.example.com',
    } as const;
    for (const [name, cn] of Object.entries(specs) as Array<[keyof typeof specs, string]>) {
      const pem = selfSigned(key, { cn });
      const id = emu.slb.importCertificate(REGION, {
        certificatePem: pem,
        privateKeyPem: key.pkcs1,
        name,
      }).ServerCertificateId;
      certs[name] = { pem, key, id };
    }
    ({ loadBalancerId: lbId, address } = emu.slb.addLoadBalancer(REGION));
    await emu.slb.addHttpsListener(REGION, lbId, 443, certs.old.id);
  });
  afterAll(async () => {
    await emu.close();
  });

  it('listens on the load balancer loopback address; port 443 is mapped to a free port', () => {
    const ep = emu.slb.tlsEndpoint(REGION, lbId, 443);
    expect(ep.host).toBe(address);
    expect(ep.port).not.toBe(443);
    expect(ep.port).toBeGreaterThan(1024);
  });

  it('keeps a listener port above 1024 when it is free', async () => {
    const lb = emu.slb.addLoadBalancer(REGION);
    await emu.slb.addHttpsListener(REGION, lb.loadBalancerId, 18443, certs.old.id);
    expect(emu.slb.tlsEndpoint(REGION, lb.loadBalancerId, 18443)).toEqual({ host: lb.address, port: 18443 });
  });

  it('falls back to a free port when the listener port is taken on that address', async () => {
    const lb = emu.slb.addLoadBalancer(REGION);
    const squatter = createServer();
    await new Promise<void>((resolve) => squatter.listen(0, lb.address, resolve));
    const taken = (squatter.address() as AddressInfo).port;
    try {
      await emu.slb.addHttpsListener(REGION, lb.loadBalancerId, taken, certs.old.id);
      const ep = emu.slb.tlsEndpoint(REGION, lb.loadBalancerId, taken);
      expect(ep.host).toBe(lb.address);
      expect(ep.port).not.toBe(taken);
      expect(await servedFingerprint(ep, 'www.example.com')).toBe(fingerprintOf(certs.old.pem));
    } finally {
      await new Promise<void>((resolve) => squatter.close(() => resolve()));
    }
  });

  it('serves the new leaf right after SetLoadBalancerHTTPSListenerAttribute (with and without SNI)', async () => {
    const ep = emu.slb.tlsEndpoint(REGION, lbId, 443);
    expect(await servedFingerprint(ep, 'www.example.com')).toBe(fingerprintOf(certs.old.pem));
    await call(slb, 'SetLoadBalancerHTTPSListenerAttribute', {
      RegionId: REGION,
      LoadBalancerId: lbId,
      ListenerPort: 443,
      ServerCertificateId: certs.next.id,
    });
    expect(await servedFingerprint(ep, 'www.example.com')).toBe(fingerprintOf(certs.next.pem));
    // No SNI at all (connect by IP): the default certificate.
    expect(await servedFingerprint(ep, '')).toBe(fingerprintOf(certs.next.pem));
  });

  it('serves a domain extension certificate by SNI (exact and wildcard) and follows its rebinding', async () => {
    const ep = emu.slb.tlsEndpoint(REGION, lbId, 443);
    const shopDe = emu.slb.addDomainExtension(REGION, lbId, 443, 'shop.example.com', certs.shop.id);
    emu.slb.addDomainExtension(REGION, lbId, 443, '*.api.example.com', certs.api.id);
    expect(await servedFingerprint(ep, 'shop.example.com')).toBe(fingerprintOf(certs.shop.pem));
    expect(await servedFingerprint(ep, 'SHOP.example.com')).toBe(fingerprintOf(certs.shop.pem));
    expect(await servedFingerprint(ep, 'v1.api.example.com')).toBe(fingerprintOf(certs.api.pem));
    // A wildcard covers one label only; anything else falls back to the default certificate.
    expect(await servedFingerprint(ep, 'a.v1.api.example.com')).toBe(fingerprintOf(certs.next.pem));
    expect(await servedFingerprint(ep, 'other.example.com')).toBe(fingerprintOf(certs.next.pem));

    await call(slb, 'SetDomainExtensionAttribute', {
      RegionId: REGION,
      DomainExtensionId: shopDe,
      ServerCertificateId: certs.shop2.id,
    });
    expect(await servedFingerprint(ep, 'shop.example.com')).toBe(fingerprintOf(certs.shop2.pem));
  });

  it('keeps serving the old certificate under keepServingOldCertificate, and catches up when cancelled', async () => {
    const ep = emu.slb.tlsEndpoint(REGION, lbId, 443);
    const before = await servedFingerprint(ep, 'www.example.com');
    expect(before).toBe(fingerprintOf(certs.next.pem));
    const fault = emu.faults.keepServingOldCertificate(REGION, lbId, 443);
    await call(slb, 'SetLoadBalancerHTTPSListenerAttribute', {
      RegionId: REGION,
      LoadBalancerId: lbId,
      ListenerPort: 443,
      ServerCertificateId: certs.old.id,
    });
    // The API says "old", the data plane still serves "next".
    expect(emu.slb.binding(REGION, lbId, 443).serverCertificateId).toBe(certs.old.id);
    expect(emu.slb.servedBinding(REGION, lbId, 443)?.serverCertificateId).toBe(certs.next.id);
    expect(await servedFingerprint(ep, 'www.example.com')).toBe(before);
    fault.cancel();
    expect(await servedFingerprint(ep, 'www.example.com')).toBe(fingerprintOf(certs.old.pem));
  });

  it('close() shuts every TLS listener', async () => {
    const other = await startEmulator();
    const key = rsaKey();
    const id = other.slb.importCertificate(REGION, {
      certificatePem: selfSigned(key, { cn: 'x.example.com' }),
      privateKeyPem: key.pkcs1,
      name: 'x',
    }).ServerCertificateId;
    const lb = other.slb.addLoadBalancer(REGION);
    await other.slb.addHttpsListener(REGION, lb.loadBalancerId, 443, id);
    const ep = other.slb.tlsEndpoint(REGION, lb.loadBalancerId, 443);
    await servedFingerprint(ep, 'x.example.com');
    await other.close();
    const refused = await new Promise<string>((resolve) => {
      const s = connect(ep.port, ep.host);
      s.on('connect', () => {
        s.destroy();
        resolve('connected');
      });
      s.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'));
    });
    expect(refused).toBe('ECONNREFUSED');
  });
});
