import { X509Certificate } from 'node:crypto';
import { type AddressInfo, connect, createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Emulator, startEmulator } from '../../sandbox/emulator/index.js';
import { TlsWireProbe } from '../../shared/adapters/tls/tls-wire-probe.js';
import {
  call,
  importedCertificateId,
  popClient,
  rsaKey,
  selfSigned,
  servedFingerprint,
  type TestKey,
} from './helpers.js';

const REGION = 'cn-hangzhou';
/** Root may bind ports below 1024; everyone else sees the emulator's fallback to a free port. */
const PRIVILEGED = process.getuid?.() === 0;

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
      const id = importedCertificateId(emu.slb, REGION, name, key, pem);
      certs[name] = { pem, key, id };
    }
    ({ loadBalancerId: lbId, address } = emu.slb.addLoadBalancer(REGION));
    await emu.slb.addHttpsListener(REGION, lbId, 443, certs.old.id);
  });
  afterAll(async () => {
    await emu.close();
  });

  it('listens on the load balancer address and its own listener port, which DescribeLoadBalancers reports', async () => {
    const ep = emu.slb.tlsEndpoint(REGION, lbId, 443);
    expect(ep.host).toBe(address);
    if (PRIVILEGED) expect(ep.port).toBe(443);
    else expect(ep.port === 443 || ep.port > 1024).toBe(true);
    const body = await call(slb, 'DescribeLoadBalancers', { RegionId: REGION, LoadBalancerId: lbId });
    expect(body.LoadBalancers.LoadBalancer[0]).toMatchObject({ Address: ep.host, AddressType: 'internet' });
    // The probe the rotator uses, at <Address>:<ListenerPort> exactly as it would in the cloud.
    const probed = await new TlsWireProbe().presentedLeaf({
      host: address,
      port: ep.port,
      servername: 'www.example.com',
    });
    expect(probed).toMatchObject({ kind: 'presented', sha1: fingerprintOf(certs.old.pem).replaceAll(':', '') });
  });

  it('gives every load balancer its own address, so each can have port 443', async () => {
    const a = emu.slb.addLoadBalancer(REGION);
    const b = emu.slb.addLoadBalancer(REGION);
    expect(a.address).not.toBe(b.address);
    await emu.slb.addHttpsListener(REGION, a.loadBalancerId, 443, certs.shop.id);
    await emu.slb.addHttpsListener(REGION, b.loadBalancerId, 443, certs.api.id);
    const epA = emu.slb.tlsEndpoint(REGION, a.loadBalancerId, 443);
    const epB = emu.slb.tlsEndpoint(REGION, b.loadBalancerId, 443);
    if (PRIVILEGED) {
      expect(epA).toEqual({ host: a.address, port: 443 });
      expect(epB).toEqual({ host: b.address, port: 443 });
    }
    expect(await servedFingerprint(epA, 'shop.example.com')).toBe(fingerprintOf(certs.shop.pem));
    expect(await servedFingerprint(epB, 'x.api.example.com')).toBe(fingerprintOf(certs.api.pem));
  });

  it('keeps a listener port above 1024 when it is free', async () => {
    const lb = emu.slb.addLoadBalancer(REGION);
    await emu.slb.addHttpsListener(REGION, lb.loadBalancerId, 18443, certs.old.id);
    expect(emu.slb.tlsEndpoint(REGION, lb.loadBalancerId, 18443)).toEqual({ host: lb.address, port: 18443 });
  });

  it('falls back to a free port on the same address when the listener port is taken there', async () => {
    const lb = emu.slb.addLoadBalancer(REGION);
    const squatter = createServer();
    // As root, squat 443 itself: the case that matters; otherwise any port shows the same fallback.
    await new Promise<void>((resolve) => squatter.listen(PRIVILEGED ? 443 : 0, lb.address, resolve));
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
    const id = importedCertificateId(other.slb, REGION, 'x', key, selfSigned(key, { cn: 'x.example.com' }));
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

describe('faults.unreachable takes a load balancer off the wire', () => {
  let emu: Emulator;
  let slb: ReturnType<typeof popClient>;
  let pem: string;
  let certId: string;
  let otherPem: string;
  let otherId: string;
  const probe = new TlsWireProbe({ timeoutMs: 2000 });

  const probeAt = (lbId: string, port: number, timeoutMs?: number) => {
    const ep = emu.slb.tlsEndpoint(REGION, lbId, port);
    return probe.presentedLeaf({ ...ep, servername: 'www.example.com' }, timeoutMs ? { timeoutMs } : {});
  };
  const sha1 = (certPem: string) => fingerprintOf(certPem).replaceAll(':', '');

  beforeAll(async () => {
    emu = await startEmulator();
    slb = popClient(emu, 'slb');
    const key = rsaKey();
    pem = selfSigned(key, { cn: 'www.example.com' });
    otherPem = selfSigned(key, { cn: 'www.example.com', days: 30 });
    certId = importedCertificateId(emu.slb, REGION, 'a', key, pem);
    otherId = importedCertificateId(emu.slb, REGION, 'b', key, otherPem);
  });
  afterAll(async () => {
    await emu.close();
  });

  it('refuses connections on every listener of that load balancer only, and comes back on the same endpoint', async () => {
    const down = emu.slb.addLoadBalancer(REGION).loadBalancerId;
    const up = emu.slb.addLoadBalancer(REGION).loadBalancerId;
    await emu.slb.addHttpsListener(REGION, down, 443, certId);
    await emu.slb.addHttpsListener(REGION, down, 8443, certId);
    await emu.slb.addHttpsListener(REGION, up, 443, certId);
    const before = emu.slb.tlsEndpoint(REGION, down, 443);

    const fault = await emu.faults.unreachable(REGION, down);
    for (const port of [443, 8443]) {
      const started = Date.now();
      const result = await probeAt(down, port);
      expect(result).toEqual({ kind: 'unreachable', reason: expect.stringMatching(/ECONNREFUSED/) });
      expect(Date.now() - started).toBeLessThan(1000);
    }
    expect(await probeAt(up, 443)).toMatchObject({ kind: 'presented', sha1: sha1(pem) });
    // The control plane does not notice: the address and listener are reported as before.
    const lbBody = await call(slb, 'DescribeLoadBalancers', { RegionId: REGION, LoadBalancerId: down });
    expect(lbBody.LoadBalancers.LoadBalancer[0].Address).toBe(before.host);
    const listener = await call(slb, 'DescribeLoadBalancerHTTPSListenerAttribute', {
      RegionId: REGION,
      LoadBalancerId: down,
      ListenerPort: 443,
    });
    expect(listener).toMatchObject({ Status: 'running', ServerCertificateId: certId });

    // A change made during the outage is what the listener serves once it is back.
    await call(slb, 'SetLoadBalancerHTTPSListenerAttribute', {
      RegionId: REGION,
      LoadBalancerId: down,
      ListenerPort: 443,
      ServerCertificateId: otherId,
    });
    await fault.cancel();
    expect(emu.slb.tlsEndpoint(REGION, down, 443)).toEqual(before);
    expect(await probeAt(down, 443)).toMatchObject({ kind: 'presented', sha1: sha1(otherPem) });
    expect(await probeAt(down, 8443)).toMatchObject({ kind: 'presented', sha1: sha1(pem) });
    await fault.cancel();
  });

  it('drop mode accepts TCP and never answers TLS, so a probe times out', async () => {
    const lb = emu.slb.addLoadBalancer(REGION).loadBalancerId;
    await emu.slb.addHttpsListener(REGION, lb, 443, certId);
    // Switching from one outage mode to the other must not trip over the port the first one holds.
    await emu.faults.unreachable(REGION, lb);
    expect(await probeAt(lb, 443)).toMatchObject({ kind: 'unreachable', reason: expect.stringMatching(/REFUSED/) });
    const fault = await emu.faults.unreachable(REGION, lb, { mode: 'drop' });
    const started = Date.now();
    const result = await probeAt(lb, 443, 300);
    expect(result).toEqual({ kind: 'unreachable', reason: expect.stringMatching(/timed out after 300 ms/) });
    expect(Date.now() - started).toBeGreaterThanOrEqual(280);
    await fault.cancel();
    expect(await probeAt(lb, 443)).toMatchObject({ kind: 'presented', sha1: sha1(pem) });
  });

  it('covers listeners added during the outage, and reset() brings everything back', async () => {
    const lb = emu.slb.addLoadBalancer(REGION).loadBalancerId;
    await emu.slb.addHttpsListener(REGION, lb, 443, certId);
    await emu.faults.unreachable(REGION, lb);
    await emu.slb.addHttpsListener(REGION, lb, 9443, certId);
    expect((await probeAt(lb, 9443)).kind).toBe('unreachable');
    expect((await probeAt(lb, 443)).kind).toBe('unreachable');
    await emu.faults.reset();
    expect(await probeAt(lb, 9443)).toMatchObject({ kind: 'presented' });
    expect(await probeAt(lb, 443)).toMatchObject({ kind: 'presented' });
    await expect(emu.faults.unreachable(REGION, 'lb-nosuch')).rejects.toThrow(/does not exist/);
  });

  it('close() also shuts a dropping load balancer', async () => {
    const other = await startEmulator();
    const key = rsaKey();
    const id = importedCertificateId(other.slb, REGION, 'x', key, selfSigned(key, { cn: 'x.example.com' }));
    const lb = other.slb.addLoadBalancer(REGION).loadBalancerId;
    await other.slb.addHttpsListener(REGION, lb, 443, id);
    const ep = other.slb.tlsEndpoint(REGION, lb, 443);
    await other.faults.unreachable(REGION, lb, { mode: 'drop' });
    await other.close();
    const result = await probe.presentedLeaf({ ...ep, servername: 'x.example.com' });
    expect(result).toEqual({ kind: 'unreachable', reason: expect.stringMatching(/ECONNREFUSED/) });
  });
});
