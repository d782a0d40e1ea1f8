import { createPrivateKey, X509Certificate } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Emulator, startEmulator } from '../../sandbox/emulator/index.js';
import { AliyunRpcClient } from '../../shared/adapters/aliyun/rpc-client.js';
import {
  type Body,
  call,
  callError,
  ecKey,
  expectCode,
  importedCertificateId,
  popClient,
  rsaKey,
  selfSigned,
  type TestKey,
} from './helpers.js';

const REGION = 'cn-hangzhou';

describe('SLB server certificates and listeners (real pop-core)', () => {
  let emu: Emulator;
  let slb: ReturnType<typeof popClient>;
  let keyA: TestKey;
  let keyB: TestKey;
  let certA: string;
  let certB: string;

  const upload = (params: Record<string, unknown>) =>
    call(slb, 'UploadServerCertificate', { RegionId: REGION, ...params });
  const uploadError = (params: Record<string, unknown>) =>
    callError(slb, 'UploadServerCertificate', { RegionId: REGION, ...params });

  beforeAll(async () => {
    emu = await startEmulator({ tlsListeners: false });
    slb = popClient(emu, 'slb');
    keyA = rsaKey();
    keyB = rsaKey();
    certA = selfSigned(keyA, { cn: 'www.example.com', sans: ['www.example.com', 'example.com'], days: 30 });
    certB = selfSigned(keyB, { cn: '*.example.com', sans: ['*.example.com'], days: 60 });
  });
  afterAll(async () => {
    await emu.close();
  });

  describe('UploadServerCertificate', () => {
    it('computes Fingerprint, expiry, names and ids from the uploaded leaf', async () => {
      const body = await upload({
        ServerCertificate: certA,
        PrivateKey: keyA.pkcs1,
        ServerCertificateName: 'www-example-com.2026',
      });
      const x509 = new X509Certificate(certA);
      expect(body.Fingerprint).toBe(x509.fingerprint.toLowerCase());
      expect(body.Fingerprint).toMatch(/^([0-9a-f]{2}:){19}[0-9a-f]{2}$/);
      expect(body.ExpireTimeStamp).toBe(new Date(x509.validTo).getTime());
      expect(body.ExpireTime).toBe(new Date(x509.validTo).toISOString().replace(/\.000Z$/, 'Z'));
      expect(body.CreateTime).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
      expect(typeof body.CreateTimeStamp).toBe('number');
      expect(body.CommonName).toBe('www.example.com');
      expect(body.SubjectAlternativeNames.SubjectAlternativeName).toEqual(['www.example.com', 'example.com']);
      expect(body.ServerCertificateId).toMatch(/^\d{16}_[0-9a-f]+_\d+_\d+$/);
      expect(body.IsAliCloudCertificate).toBe(0);
      expect(body.AliCloudCertificateId).toBe('0');
      expect(body.RegionId).toBe(REGION);
      expect(body.ServerCertificateName).toBe('www-example-com.2026');
      expect(body).not.toHaveProperty('PrivateKey');
    });

    it('does not deduplicate: the same certificate twice gets two ids with one fingerprint', async () => {
      const one = await upload({ ServerCertificate: certB, PrivateKey: keyB.pkcs1, ServerCertificateName: 'dup' });
      const two = await upload({ ServerCertificate: certB, PrivateKey: keyB.pkcs1, ServerCertificateName: 'dup' });
      expect(two.ServerCertificateId).not.toBe(one.ServerCertificateId);
      expect(two.Fingerprint).toBe(one.Fingerprint);
      const listed = await call(slb, 'DescribeServerCertificates', { RegionId: REGION });
      const ids = listed.ServerCertificates.ServerCertificate.map((c: Body) => c.ServerCertificateId);
      expect(ids).toEqual(expect.arrayContaining([one.ServerCertificateId, two.ServerCertificateId]));
    });

    it('accepts a chain (leaf first, then another certificate) without blank lines', async () => {
      const body = await upload({ ServerCertificate: certA + certB, PrivateKey: keyA.pkcs1 });
      expect(body.Fingerprint).toBe(new X509Certificate(certA).fingerprint.toLowerCase());
    });

    it('rejects a PKCS#8 RSA key', async () => {
      const before = emu.slb.certificates(REGION).length;
      const e = await expectCode(uploadError({ ServerCertificate: certA, PrivateKey: keyA.pkcs8 }), 'InvalidParameter');
      expect(e.data.Message).toMatch(/PrivateKey format/);
      expect(emu.slb.certificates(REGION)).toHaveLength(before);
    });

    it('rejects blank lines in the certificate chain and in the key', async () => {
      await expectCode(
        uploadError({ ServerCertificate: `${certA}\n${certB}`, PrivateKey: keyA.pkcs1 }),
        'InvalidParameter',
      );
      const keyLines = keyA.pkcs1.split('\n');
      keyLines.splice(3, 0, '');
      await expectCode(uploadError({ ServerCertificate: certA, PrivateKey: keyLines.join('\n') }), 'InvalidParameter');
      await expectCode(uploadError({ ServerCertificate: `\n${certA}`, PrivateKey: keyA.pkcs1 }), 'InvalidParameter');
    });

    it('rejects a key that does not match the leaf', async () => {
      const e = await expectCode(
        uploadError({ ServerCertificate: certA, PrivateKey: keyB.pkcs1 }),
        'CertificateNotMatchPrivateKey',
      );
      // No key material in the error.
      const keyBody = keyB.pkcs1.split('\n')[1] ?? '';
      expect(JSON.stringify(e.data)).not.toContain(keyBody);
    });

    it('rejects an encrypted key with PrivateKeyEncryption', async () => {
      const encrypted = createPrivateKey(keyA.pkcs1)
        .export({ type: 'pkcs1', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'secret-pass' })
        .toString();
      await expectCode(uploadError({ ServerCertificate: certA, PrivateKey: encrypted }), 'PrivateKeyEncryption');
    });

    it('accepts EC keys only in eu-west-1', async () => {
      const ec = ecKey();
      const ecCert = selfSigned(ec, { cn: 'ec.example.com' });
      await expectCode(uploadError({ ServerCertificate: ecCert, PrivateKey: ec.pkcs1 }), 'InvalidParameter');
      const ok = await call(slb, 'UploadServerCertificate', {
        RegionId: 'eu-west-1',
        ServerCertificate: ecCert,
        PrivateKey: ec.pkcs1,
      });
      expect(ok.CommonName).toBe('ec.example.com');
    });

    it('enforces the ServerCertificateName rules', async () => {
      for (const bad of ['1starts-with-digit', 'has space', 'ümlaut', 'a'.repeat(81), 'slash/no']) {
        await expectCode(
          uploadError({ ServerCertificate: certA, PrivateKey: keyA.pkcs1, ServerCertificateName: bad }),
          'InvalidParameter',
        );
      }
      const ok = await upload({
        ServerCertificate: certA,
        PrivateKey: keyA.pkcs1,
        ServerCertificateName: 'a'.repeat(80),
      });
      expect(ok.ServerCertificateName).toHaveLength(80);
    });

    it('enforces required parameters', async () => {
      await expectCode(
        callError(slb, 'UploadServerCertificate', { ServerCertificate: certA, PrivateKey: keyA.pkcs1 }),
        'MissingParameter',
      );
      await expectCode(uploadError({ PrivateKey: keyA.pkcs1 }), 'MissingParameter');
      await expectCode(uploadError({ ServerCertificate: certA }), 'MissingParameter');
      await expectCode(
        callError(slb, 'UploadServerCertificate', {
          RegionId: 'xx-nowhere-1',
          ServerCertificate: certA,
          PrivateKey: keyA.pkcs1,
        }),
        'InvalidRegionId',
      );
    });

    it('stores tags (N = 1..20), filters by them and reports them per item', async () => {
      const tagged = await upload({
        ServerCertificate: certA,
        PrivateKey: keyA.pkcs1,
        'Tag.1.Key': 'managed-by',
        'Tag.1.Value': 'slb-cert-rotator',
        'Tag.2.Key': 'domain',
        'Tag.2.Value': 'www.example.com',
      });
      await expectCode(
        uploadError({ ServerCertificate: certA, PrivateKey: keyA.pkcs1, 'Tag.21.Key': 'k', 'Tag.21.Value': 'v' }),
        'InvalidParameter',
      );
      const found = await call(slb, 'DescribeServerCertificates', {
        RegionId: REGION,
        'Tag.1.Key': 'managed-by',
        'Tag.1.Value': 'slb-cert-rotator',
      });
      const items = found.ServerCertificates.ServerCertificate;
      expect(items.map((c: Body) => c.ServerCertificateId)).toEqual([tagged.ServerCertificateId]);
      expect(items[0].Tags.Tag).toEqual([
        { TagKey: 'managed-by', TagValue: 'slb-cert-rotator' },
        { TagKey: 'domain', TagValue: 'www.example.com' },
      ]);
      const byId = await call(slb, 'DescribeServerCertificates', {
        RegionId: REGION,
        ServerCertificateId: tagged.ServerCertificateId,
      });
      expect(byId.ServerCertificates.ServerCertificate).toHaveLength(1);
    });

    it('answers OverQuota "The Total is over the quota." past the region quota', async () => {
      emu.faults.setCertificateQuota('cn-shanghai', 1);
      const params = { RegionId: 'cn-shanghai', ServerCertificate: certA, PrivateKey: keyA.pkcs1 };
      await call(slb, 'UploadServerCertificate', params);
      const e = await expectCode(callError(slb, 'UploadServerCertificate', params), 'OverQuota');
      expect(e.data.Message).toBe('The Total is over the quota.');
      expect(emu.slb.certificates('cn-shanghai')).toHaveLength(1);
    });

    it('honours startEmulator({certificateQuota})', async () => {
      const small = await startEmulator({ certificateQuota: 0, tlsListeners: false });
      try {
        await expectCode(
          callError(popClient(small, 'slb'), 'UploadServerCertificate', {
            RegionId: REGION,
            ServerCertificate: certA,
            PrivateKey: keyA.pkcs1,
          }),
          'OverQuota',
        );
      } finally {
        await small.close();
      }
    });
  });

  describe('certificate lifecycle with listeners and domain extensions', () => {
    let lbId: string;
    let idA: string;
    let idB: string;
    let idC: string;

    beforeAll(async () => {
      idA = importedCertificateId(emu.slb, REGION, 'seed-a', keyA, certA);
      idB = importedCertificateId(emu.slb, REGION, 'seed-b', keyB, certB);
      idC = importedCertificateId(emu.slb, REGION, 'seed-c', keyB, certB);
      lbId = emu.slb.addLoadBalancer(REGION, { name: 'web' }).loadBalancerId;
      await emu.slb.addHttpsListener(REGION, lbId, 443, idA);
    });

    it('importCertificate applies the upload rules', () => {
      expect(() =>
        emu.slb.importCertificate(REGION, { certificatePem: certA, privateKeyPem: keyA.pkcs8, name: 'x' }),
      ).toThrow(/PrivateKey format/);
    });

    it('refuses to delete a certificate a listener uses, then deletes it once unbound', async () => {
      await expectCode(
        callError(slb, 'DeleteServerCertificate', { RegionId: REGION, ServerCertificateId: idA }),
        'CertificateAndPrivateKeyIsRefered',
      );
      await call(slb, 'SetLoadBalancerHTTPSListenerAttribute', {
        RegionId: REGION,
        LoadBalancerId: lbId,
        ListenerPort: 443,
        ServerCertificateId: idB,
      });
      expect(emu.slb.binding(REGION, lbId, 443).serverCertificateId).toBe(idB);
      await call(slb, 'DeleteServerCertificate', { RegionId: REGION, ServerCertificateId: idA });
      expect(emu.slb.certificates(REGION).map((c) => c.ServerCertificateId)).not.toContain(idA);
      await expectCode(
        callError(slb, 'DeleteServerCertificate', { RegionId: REGION, ServerCertificateId: idA }),
        'ServerCertificateId.NotFound',
      );
    });

    it('describes the HTTPS listener attribute', async () => {
      const attr = await call(slb, 'DescribeLoadBalancerHTTPSListenerAttribute', {
        RegionId: REGION,
        LoadBalancerId: lbId,
        ListenerPort: 443,
      });
      expect(attr.ServerCertificateId).toBe(idB);
      expect(attr.ListenerPort).toBe(443);
      expect(attr.Status).toBe('running');
      expect(attr).toHaveProperty('Bandwidth');
      expect(attr).toHaveProperty('StickySession');
      expect(attr).toHaveProperty('HealthCheck');
      expect(attr).toHaveProperty('TLSCipherPolicy');
      expect(attr.DomainExtensions.DomainExtension).toEqual([]);
    });

    it('validates SetLoadBalancerHTTPSListenerAttribute and leaves the listener unchanged on error', async () => {
      const other = await call(slb, 'UploadServerCertificate', {
        RegionId: 'cn-beijing',
        ServerCertificate: certA,
        PrivateKey: keyA.pkcs1,
      });
      const base = { RegionId: REGION, LoadBalancerId: lbId, ListenerPort: 443 };
      await expectCode(
        callError(slb, 'SetLoadBalancerHTTPSListenerAttribute', {
          ...base,
          ServerCertificateId: other.ServerCertificateId,
        }),
        'ServerCertificateId.NotFound',
      );
      await expectCode(
        callError(slb, 'SetLoadBalancerHTTPSListenerAttribute', {
          ...base,
          ServerCertificateId: idC,
          StickySession: 'on',
        }),
        'MissingParameter',
      );
      expect(emu.slb.binding(REGION, lbId, 443).serverCertificateId).toBe(idB);
      await expectCode(
        callError(slb, 'SetLoadBalancerHTTPSListenerAttribute', { RegionId: REGION, LoadBalancerId: lbId }),
        'MissingParameter',
      );
      await expectCode(
        callError(slb, 'SetLoadBalancerHTTPSListenerAttribute', { ...base, LoadBalancerId: 'lb-doesnotexist' }),
        'InvalidLoadBalancerId.NotFound',
      );
      await expectCode(
        callError(slb, 'SetLoadBalancerHTTPSListenerAttribute', { ...base, ListenerPort: 8443 }),
        'ListenerNotFound',
      );
    });

    it('rebinds a domain extension and refuses deleting its certificate meanwhile', async () => {
      const deId = emu.slb.addDomainExtension(REGION, lbId, 443, 'shop.example.com', idB);
      const listed = await call(slb, 'DescribeDomainExtensions', {
        RegionId: REGION,
        LoadBalancerId: lbId,
        ListenerPort: 443,
      });
      expect(listed.DomainExtensions.DomainExtension).toEqual([
        { DomainExtensionId: deId, Domain: 'shop.example.com', ServerCertificateId: idB },
      ]);
      await call(slb, 'SetDomainExtensionAttribute', {
        RegionId: REGION,
        DomainExtensionId: deId,
        ServerCertificateId: idC,
      });
      expect(emu.slb.binding(REGION, lbId, 443).domainExtensions[0]?.serverCertificateId).toBe(idC);
      await expectCode(
        callError(slb, 'DeleteServerCertificate', { RegionId: REGION, ServerCertificateId: idC }),
        'CertificateAndPrivateKeyIsRefered',
      );
      await expectCode(
        callError(slb, 'SetDomainExtensionAttribute', {
          RegionId: REGION,
          DomainExtensionId: 'de-nope',
          ServerCertificateId: idC,
        }),
        'DomainExtensionId.NotFound',
      );
      const attr = await call(slb, 'DescribeLoadBalancerHTTPSListenerAttribute', {
        RegionId: REGION,
        LoadBalancerId: lbId,
        ListenerPort: 443,
      });
      expect(attr.DomainExtensions.DomainExtension[0].ServerCertificateId).toBe(idC);
    });

    it('limits domain extensions per listener to 3 by default, up to 10', () => {
      // One exists from the previous test.
      emu.slb.addDomainExtension(REGION, lbId, 443, 'a.example.com', idB);
      emu.slb.addDomainExtension(REGION, lbId, 443, 'b.example.com', idB);
      expect(() => emu.slb.addDomainExtension(REGION, lbId, 443, 'c.example.com', idB)).toThrow(/quota/);
      emu.slb.setDomainExtensionLimit(10);
      emu.slb.addDomainExtension(REGION, lbId, 443, 'c.example.com', idB);
      expect(() => emu.slb.setDomainExtensionLimit(11)).toThrow();
    });

    it('renames a certificate', async () => {
      await call(slb, 'SetServerCertificateName', {
        RegionId: REGION,
        ServerCertificateId: idB,
        ServerCertificateName: 'renamed/b*1',
      });
      expect(emu.slb.certificates(REGION).find((c) => c.ServerCertificateId === idB)?.ServerCertificateName).toBe(
        'renamed/b*1',
      );
    });
  });

  describe('listing', () => {
    const region = 'ap-southeast-1';
    let ids: string[];

    beforeAll(async () => {
      const certId = importedCertificateId(emu.slb, region, 'l', keyA, certA);
      ids = [];
      for (let i = 0; i < 3; i++) {
        const lb = emu.slb.addLoadBalancer(region, { name: `lb-${i}` });
        ids.push(lb.loadBalancerId);
        await emu.slb.addHttpsListener(region, lb.loadBalancerId, 443, certId);
        await emu.slb.addHttpsListener(region, lb.loadBalancerId, 8443, certId);
      }
    });

    it('pages DescribeLoadBalancers with PageNumber/PageSize and TotalCount', async () => {
      const p1 = await call(slb, 'DescribeLoadBalancers', { RegionId: region, PageSize: 2, PageNumber: 1 });
      const p2 = await call(slb, 'DescribeLoadBalancers', { RegionId: region, PageSize: 2, PageNumber: 2 });
      expect(p1.TotalCount).toBe(3);
      expect(p1.LoadBalancers.LoadBalancer).toHaveLength(2);
      expect(p2.LoadBalancers.LoadBalancer).toHaveLength(1);
      const all = [...p1.LoadBalancers.LoadBalancer, ...p2.LoadBalancers.LoadBalancer];
      expect(all.map((lb: Body) => lb.LoadBalancerId)).toEqual(ids);
      expect(all[0].Address).toMatch(/^127\.\d+\.\d+\.\d+$/);
      expect(new Set(all.map((lb: Body) => lb.Address)).size).toBe(3);
      await expectCode(
        callError(slb, 'DescribeLoadBalancers', { RegionId: region, PageSize: 101 }),
        'InvalidParameter',
      );
    });

    it('pages DescribeLoadBalancerListeners with MaxResults/NextToken and filters by protocol', async () => {
      const seen: Body[] = [];
      let token: string | undefined;
      let pages = 0;
      do {
        const page = await call(slb, 'DescribeLoadBalancerListeners', {
          RegionId: region,
          ListenerProtocol: 'https',
          MaxResults: 4,
          ...(token ? { NextToken: token } : {}),
        });
        expect(page.TotalCount).toBe(6);
        seen.push(...page.Listeners);
        token = page.NextToken || undefined;
        pages++;
      } while (token && pages < 5);
      expect(pages).toBe(2);
      expect(seen).toHaveLength(6);
      expect(seen[0]).toMatchObject({
        LoadBalancerId: ids[0],
        ListenerPort: 443,
        ListenerProtocol: 'https',
        Status: 'running',
      });
      expect(seen[0].HTTPSListenerConfig.ServerCertificateId).toMatch(/^\d{16}_/);
      const http = await call(slb, 'DescribeLoadBalancerListeners', { RegionId: region, ListenerProtocol: 'http' });
      expect(http.Listeners).toEqual([]);
      const one = await call(slb, 'DescribeLoadBalancerListeners', { RegionId: region, LoadBalancerId: [ids[1]] });
      expect(one.Listeners.map((l: Body) => l.LoadBalancerId)).toEqual([ids[1], ids[1]]);
    });

    it('gives a load balancer Address and AddressType by LoadBalancerId alone', async () => {
      const extra = emu.slb.addLoadBalancer(region, { name: 'by-id' });
      const body = await call(slb, 'DescribeLoadBalancers', { RegionId: region, LoadBalancerId: extra.loadBalancerId });
      expect(body.TotalCount).toBe(1);
      expect(body.LoadBalancers.LoadBalancer[0]).toMatchObject({
        LoadBalancerId: extra.loadBalancerId,
        Address: extra.address,
        AddressType: 'internet',
      });
      const two = await call(slb, 'DescribeLoadBalancers', {
        RegionId: region,
        LoadBalancerId: `${ids[2]},${extra.loadBalancerId}`,
      });
      expect(two.LoadBalancers.LoadBalancer.map((lb: Body) => lb.LoadBalancerId)).toEqual([
        ids[2],
        extra.loadBalancerId,
      ]);
      const none = await call(slb, 'DescribeLoadBalancers', { RegionId: region, LoadBalancerId: 'lb-nosuch' });
      expect(none.TotalCount).toBe(0);
      expect(none.LoadBalancers.LoadBalancer).toEqual([]);
    });
  });

  describe('DescribeLoadBalancerListeners for a region-wide scan', () => {
    const region = 'eu-central-1';
    let lbs: string[];
    let certIds: string[];

    const scan = async (params: Record<string, unknown>, maxResults: number): Promise<Body[]> => {
      const seen: Body[] = [];
      let token: string | undefined;
      for (let pages = 0; pages < 20; pages++) {
        const page = await call(slb, 'DescribeLoadBalancerListeners', {
          RegionId: region,
          MaxResults: maxResults,
          ...params,
          ...(token ? { NextToken: token } : {}),
        });
        expect(page.MaxResults).toBe(maxResults);
        expect(page.Listeners.length).toBeLessThanOrEqual(maxResults);
        seen.push(...page.Listeners);
        token = page.NextToken || undefined;
        if (!token) return seen;
      }
      throw new Error('NextToken never ran out');
    };

    beforeAll(async () => {
      certIds = [certA, certB].map((pem, i) =>
        importedCertificateId(emu.slb, region, `scan-${i}`, i === 0 ? keyA : keyB, pem),
      );
      lbs = [];
      for (let i = 0; i < 4; i++) lbs.push(emu.slb.addLoadBalancer(region).loadBalancerId);
      await emu.slb.addHttpsListener(region, lbs[0]!, 443, certIds[0]!);
      await emu.slb.addHttpsListener(region, lbs[0]!, 8443, certIds[1]!, { status: 'stopped' });
      await emu.slb.addHttpsListener(region, lbs[1]!, 443, certIds[1]!);
      // lbs[2] has no listener at all.
      await emu.slb.addHttpsListener(region, lbs[3]!, 4443, certIds[0]!);
      await emu.slb.addHttpsListener(region, lbs[3]!, 443, certIds[1]!);
    });

    it('pages through every HTTPS listener of the region, each once, with its certificate and status', async () => {
      for (const maxResults of [1, 2, 3, 100]) {
        const seen = await scan({ ListenerProtocol: 'https' }, maxResults);
        expect(
          seen.map((l) => [
            l.LoadBalancerId,
            l.ListenerPort,
            l.ListenerProtocol,
            l.Status,
            l.HTTPSListenerConfig.ServerCertificateId,
          ]),
        ).toEqual([
          [lbs[0], 443, 'https', 'running', certIds[0]],
          [lbs[0], 8443, 'https', 'stopped', certIds[1]],
          [lbs[1], 443, 'https', 'running', certIds[1]],
          [lbs[3], 443, 'https', 'running', certIds[1]],
          [lbs[3], 4443, 'https', 'running', certIds[0]],
        ]);
      }
    });

    it('filters by LoadBalancerId.N together with paging', async () => {
      const seen = await scan({ ListenerProtocol: 'https', LoadBalancerId: [lbs[3], lbs[0]] }, 1);
      expect(seen.map((l) => `${l.LoadBalancerId}:${l.ListenerPort}`)).toEqual([
        `${lbs[0]}:443`,
        `${lbs[0]}:8443`,
        `${lbs[3]}:443`,
        `${lbs[3]}:4443`,
      ]);
      const empty = await scan({ LoadBalancerId: [lbs[2]] }, 10);
      expect(empty).toEqual([]);
    });

    it('gives an empty NextToken on the last page and rejects a forged token or MaxResults out of range', async () => {
      const all = await call(slb, 'DescribeLoadBalancerListeners', { RegionId: region, MaxResults: 5 });
      expect(all.Listeners).toHaveLength(5);
      expect(all.TotalCount).toBe(5);
      expect(all.NextToken).toBe('');
      await expectCode(
        callError(slb, 'DescribeLoadBalancerListeners', { RegionId: region, NextToken: 'not-a-token!' }),
        'InvalidParameter',
      );
      await expectCode(
        callError(slb, 'DescribeLoadBalancerListeners', { RegionId: region, MaxResults: 101 }),
        'InvalidParameter',
      );
      await expectCode(
        callError(slb, 'DescribeLoadBalancerListeners', { RegionId: region, ListenerProtocol: 'ftp' }),
        'InvalidParameter',
      );
    });
  });
});

describe('SLB "configuring" window after a listener change (real pop-core, the rotator\'s RPC client)', () => {
  // A clock of our own: the window is measured on it and the client's backoff sleeps advance it, so nothing waits.
  let now = Date.now();
  let emu: Emulator;
  let lbId: string;
  let idA: string;
  let idB: string;
  let extensionId: string;

  const client = (configuringWaitMs: number) => {
    const sleeps: number[] = [];
    const rpc = new AliyunRpcClient({
      endpoint: emu.endpoint,
      apiVersion: '2014-05-15',
      credentials: { getCredentials: async () => ({ ...emu.credentials }) },
      configuringWaitMs,
      now: () => now,
      sleep: async (ms) => {
        sleeps.push(ms);
        now += ms;
      },
    });
    return { rpc, sleeps };
  };
  const setListener = (rpc: AliyunRpcClient, certId: string) =>
    rpc.call(
      'SetLoadBalancerHTTPSListenerAttribute',
      { RegionId: REGION, LoadBalancerId: lbId, ListenerPort: 443, ServerCertificateId: certId },
      { stage: 'deploy', idempotent: true },
    );

  beforeAll(async () => {
    emu = await startEmulator({ tlsListeners: false, clock: () => now, slbConfiguringWindowMs: 5_000 });
    const key = rsaKey();
    const pem = selfSigned(key, { cn: 'www.example.com', days: 30 });
    idA = importedCertificateId(emu.slb, REGION, 'a', key, pem);
    idB = importedCertificateId(emu.slb, REGION, 'b', key, pem);
    lbId = emu.slb.addLoadBalancer(REGION).loadBalancerId;
    await emu.slb.addHttpsListener(REGION, lbId, 443, idA);
    extensionId = emu.slb.addDomainExtension(REGION, lbId, 443, 'shop.example.com', idA);
  });
  afterAll(async () => {
    await emu.close();
  });

  it('refuses a second write within the window with ServiceIsConfiguring and changes nothing; reads still answer', async () => {
    now += 60_000;
    const { rpc } = client(0);
    await setListener(rpc, idB);
    const refused = await setListener(rpc, idA).catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: 'ServiceIsConfiguring', retryable: true });
    const ext = await rpc
      .call(
        'SetDomainExtensionAttribute',
        { RegionId: REGION, DomainExtensionId: extensionId, ServerCertificateId: idB },
        {
          stage: 'deploy',
          idempotent: true,
        },
      )
      .catch((e: unknown) => e);
    expect(ext).toMatchObject({ code: 'ServiceIsConfiguring' });
    expect(emu.slb.binding(REGION, lbId, 443)).toEqual({
      serverCertificateId: idB,
      domainExtensions: [{ domainExtensionId: extensionId, domain: 'shop.example.com', serverCertificateId: idA }],
    });
    const read = await rpc.call<Record<string, unknown>>(
      'DescribeLoadBalancerHTTPSListenerAttribute',
      { RegionId: REGION, LoadBalancerId: lbId, ListenerPort: 443 },
      { stage: 'gather', idempotent: true },
    );
    expect(read.ServerCertificateId).toBe(idB);
    // Once the window has passed, the same write goes through.
    now += 5_000;
    await setListener(rpc, idA);
    expect(emu.slb.binding(REGION, lbId, 443).serverCertificateId).toBe(idA);
  });

  it('the client waits the window out within its configuring budget', async () => {
    now += 60_000;
    const { rpc, sleeps } = client(60_000);
    const started = now;
    await setListener(rpc, idB);
    await setListener(rpc, idA);
    expect(emu.slb.binding(REGION, lbId, 443).serverCertificateId).toBe(idA);
    expect(now - started).toBeGreaterThanOrEqual(5_000);
    // Growing waits (0.5 s base, capped at 5 s): a 5 s window costs a handful of attempts, not dozens.
    expect(sleeps.length).toBeGreaterThanOrEqual(3);
    expect(sleeps.length).toBeLessThanOrEqual(6);
  });

  it('gives up when the window outlasts the budget, saying how long it waited', async () => {
    now += 60_000;
    const { rpc } = client(3_000);
    const started = now;
    await setListener(rpc, idB);
    const err = await setListener(rpc, idA).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'ServiceIsConfiguring', retryable: true, stage: 'deploy' });
    expect((err as Error).message).toMatch(/still applying an earlier change after \d+ attempt\(s\) over 3(\.0)? s/);
    expect(now - started).toBe(3_000);
    expect(emu.slb.binding(REGION, lbId, 443).serverCertificateId).toBe(idB);
  });
});
