import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Emulator, startEmulator } from '../../sandbox/emulator/index.js';
import { call, callError, expectCode, popClient, rsaKey, selfSigned, type TestKey } from './helpers.js';

const REGION = 'cn-hangzhou';

describe('fault injection and the call log', () => {
  let emu: Emulator;
  let slb: ReturnType<typeof popClient>;
  let key: TestKey;
  let pem: string;
  let certId: string;
  let lb1: string;
  let lb2: string;

  const uploadParams = () => ({ RegionId: REGION, ServerCertificate: pem, PrivateKey: key.pkcs1 });
  const rebind = (lbId: string) =>
    call(slb, 'SetLoadBalancerHTTPSListenerAttribute', {
      RegionId: REGION,
      LoadBalancerId: lbId,
      ListenerPort: 443,
      ServerCertificateId: certId,
    });

  beforeAll(async () => {
    emu = await startEmulator({ tlsListeners: false });
    slb = popClient(emu, 'slb');
    key = rsaKey();
    pem = selfSigned(key, { cn: 'www.example.com' });
    certId = emu.slb.importCertificate(REGION, {
      certificatePem: pem,
      privateKeyPem: key.pkcs1,
      name: 'seed',
    }).ServerCertificateId;
    lb1 = emu.slb.addLoadBalancer(REGION).loadBalancerId;
    lb2 = emu.slb.addLoadBalancer(REGION).loadBalancerId;
    await emu.slb.addHttpsListener(REGION, lb1, 443, certId);
    await emu.slb.addHttpsListener(REGION, lb2, 443, certId);
  });
  afterEach(() => {
    emu.faults.reset();
  });
  afterAll(async () => {
    await emu.close();
  });

  it('fails the next N calls of an action without effect, then lets calls through', async () => {
    const before = emu.slb.certificates(REGION).length;
    const handle = emu.faults.failNext('UploadServerCertificate', { code: 'Throttling', times: 2 });
    const e1 = await expectCode(callError(slb, 'UploadServerCertificate', uploadParams()), 'Throttling');
    expect(e1.status).toBe(400);
    expect(e1.data.Message).toBe('Request was denied due to request throttling.');
    await expectCode(callError(slb, 'UploadServerCertificate', uploadParams()), 'Throttling');
    expect(handle.remaining).toBe(0);
    expect(emu.slb.certificates(REGION)).toHaveLength(before);
    await call(slb, 'UploadServerCertificate', uploadParams());
    expect(emu.slb.certificates(REGION)).toHaveLength(before + 1);
    const uploads = emu.callsOf('UploadServerCertificate');
    expect(uploads.slice(-3).map((c) => [c.errorCode, c.injected])).toEqual([
      ['Throttling', true],
      ['Throttling', true],
      [undefined, false],
    ]);
  });

  it('uses the documented status for well-known codes and a custom one when given', async () => {
    emu.faults.failNext('DescribeServerCertificates', { code: 'ServiceUnavailable' });
    const e = await expectCode(
      callError(slb, 'DescribeServerCertificates', { RegionId: REGION }),
      'ServiceUnavailable',
    );
    expect(e.status).toBe(503);
    emu.faults.failNext('DescribeServerCertificates', { code: 'Custom.Thing', status: 418, message: 'teapot' });
    const c = await expectCode(callError(slb, 'DescribeServerCertificates', { RegionId: REGION }), 'Custom.Thing');
    expect(c.status).toBe(418);
    expect(c.data.Message).toBe('teapot');
  });

  it('matches a predicate on params, e.g. one load balancer', async () => {
    emu.faults.failNext('SetLoadBalancerHTTPSListenerAttribute', {
      code: 'OperationBusy',
      times: Number.POSITIVE_INFINITY,
      when: (p) => p.LoadBalancerId === lb2,
    });
    await rebind(lb1);
    await expectCode(
      callError(slb, 'SetLoadBalancerHTTPSListenerAttribute', {
        RegionId: REGION,
        LoadBalancerId: lb2,
        ListenerPort: 443,
        ServerCertificateId: certId,
      }),
      'OperationBusy',
    );
    await rebind(lb1);
  });

  it('refuses listener updates for one listener until cancelled (Forbidden.RAM, 403)', async () => {
    const handle = emu.faults.refuseListenerUpdate(REGION, lb1, 443);
    const e = await expectCode(
      callError(slb, 'SetLoadBalancerHTTPSListenerAttribute', {
        RegionId: REGION,
        LoadBalancerId: lb1,
        ListenerPort: 443,
        ServerCertificateId: certId,
      }),
      'Forbidden.RAM',
    );
    expect(e.status).toBe(403);
    await rebind(lb2);
    await expectCode(
      callError(slb, 'SetLoadBalancerHTTPSListenerAttribute', {
        RegionId: REGION,
        LoadBalancerId: lb1,
        ListenerPort: 443,
        ServerCertificateId: certId,
      }),
      'Forbidden.RAM',
    );
    expect(handle.hits).toBe(2);
    handle.cancel();
    await rebind(lb1);
  });

  it("phase 'after' applies the action but still reports the error (a lost response)", async () => {
    const before = emu.slb.certificates(REGION).length;
    emu.faults.failNext('UploadServerCertificate', { code: 'InternalError', phase: 'after' });
    await expectCode(callError(slb, 'UploadServerCertificate', uploadParams()), 'InternalError');
    expect(emu.slb.certificates(REGION)).toHaveLength(before + 1);
  });

  it('tampers a response without changing the stored state', async () => {
    emu.faults.tamperResponse('UploadServerCertificate', (body) => ({
      ...body,
      Fingerprint: '00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff:00:11:22:33',
      ExpireTimeStamp: 1,
    }));
    const body = await call(slb, 'UploadServerCertificate', uploadParams());
    expect(body.Fingerprint).toBe('00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff:00:11:22:33');
    expect(body.ExpireTimeStamp).toBe(1);
    const stored = emu.slb.certificates(REGION).find((c) => c.ServerCertificateId === body.ServerCertificateId);
    expect(stored?.Fingerprint).not.toBe(body.Fingerprint);
    const next = await call(slb, 'UploadServerCertificate', uploadParams());
    expect(next.Fingerprint).toBe(stored?.Fingerprint);
  });

  it('adds latency (long enough for a pop-core timeout)', async () => {
    emu.faults.latency(300, { action: 'DescribeServerCertificates', times: 1 });
    const start = Date.now();
    await call(slb, 'DescribeServerCertificates', { RegionId: REGION });
    expect(Date.now() - start).toBeGreaterThanOrEqual(290);
    emu.faults.latency(500, { action: 'DescribeServerCertificates', times: 1 });
    await expect(
      slb.request('DescribeServerCertificates', { RegionId: REGION }, { method: 'POST', timeout: 100 }),
    ).rejects.toThrow(/Timeout/i);
  });

  it('sets the region quota', async () => {
    emu.faults.setCertificateQuota('cn-shenzhen', 0);
    await expectCode(
      callError(slb, 'UploadServerCertificate', { ...uploadParams(), RegionId: 'cn-shenzhen' }),
      'OverQuota',
    );
  });

  it('logs calls by action without PrivateKey or credentials', async () => {
    emu.clearCalls();
    expect(emu.callsOf('UploadServerCertificate')).toHaveLength(0);
    await call(slb, 'UploadServerCertificate', uploadParams());
    const [rec] = emu.callsOf('UploadServerCertificate', 'slb');
    expect(rec).toBeDefined();
    expect(rec?.params.RegionId).toBe(REGION);
    expect(rec?.params.ServerCertificate).toBe(pem);
    expect(rec?.params).not.toHaveProperty('PrivateKey');
    expect(rec?.product).toBe('slb');
    expect(typeof rec?.time).toBe('number');
    const everything = JSON.stringify(emu.calls);
    const keyBody = key.pkcs1.split('\n')[2] ?? '';
    expect(everything).not.toContain(keyBody);
    expect(everything).not.toContain(emu.credentials.accessKeyId);
    // A snapshot does not grow with later calls.
    const snapshot = emu.calls;
    await call(slb, 'DescribeServerCertificates', { RegionId: REGION });
    expect(emu.calls.length).toBe(snapshot.length + 1);
  });
});
