import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Faults } from '../../sandbox/emulator/faults.js';
import { type Emulator, startEmulator } from '../../sandbox/emulator/index.js';
import { Slb } from '../../sandbox/emulator/slb.js';
import {
  call,
  callError,
  expectCode,
  importedCertificateId,
  popClient,
  rsaKey,
  selfSigned,
  type TestKey,
} from './helpers.js';

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
    certId = importedCertificateId(emu.slb, REGION, 'seed', key, pem);
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
    const before = emu.callsOf('DescribeServerCertificates').length;
    await expect(
      slb.request('DescribeServerCertificates', { RegionId: REGION }, { method: 'POST', timeout: 100 }),
    ).rejects.toThrow(/Timeout/i);
    // The emulator still answers (and logs) the abandoned call once its latency is over: let that happen here, not
    // in the middle of a later test's call log.
    const deadline = Date.now() + 5000;
    while (emu.callsOf('DescribeServerCertificates').length === before && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(emu.callsOf('DescribeServerCertificates')).toHaveLength(before + 1);
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

describe('read-back faults: a change SLB accepted that reads back wrong, or whose read-back fails', () => {
  let emu: Emulator;
  let slb: ReturnType<typeof popClient>;
  let oldId: string;
  let newId: string;
  let lb: string;
  let extensionId: string;

  const readBack = () =>
    call(slb, 'DescribeLoadBalancerHTTPSListenerAttribute', {
      RegionId: REGION,
      LoadBalancerId: lb,
      ListenerPort: 443,
    });
  const setListener = (id: string) =>
    call(slb, 'SetLoadBalancerHTTPSListenerAttribute', {
      RegionId: REGION,
      LoadBalancerId: lb,
      ListenerPort: 443,
      ServerCertificateId: id,
    });
  const extensionOf = (body: {
    DomainExtensions: { DomainExtension: { DomainExtensionId: string; ServerCertificateId: string }[] };
  }) => body.DomainExtensions.DomainExtension.find((e) => e.DomainExtensionId === extensionId);

  beforeAll(async () => {
    emu = await startEmulator({ tlsListeners: false });
    slb = popClient(emu, 'slb');
    const seed = (cn: string) => {
      const key = rsaKey();
      return importedCertificateId(emu.slb, REGION, cn, key, selfSigned(key, { cn }));
    };
    oldId = seed('old.example.com');
    newId = seed('new.example.com');
    lb = emu.slb.addLoadBalancer(REGION).loadBalancerId;
    await emu.slb.addHttpsListener(REGION, lb, 443, oldId);
    extensionId = emu.slb.addDomainExtension(REGION, lb, 443, 'api.example.com', oldId);
  });
  afterEach(async () => {
    await emu.faults.reset();
    await setListener(oldId);
    await call(slb, 'SetDomainExtensionAttribute', {
      RegionId: REGION,
      DomainExtensionId: extensionId,
      ServerCertificateId: oldId,
    });
  });
  afterAll(async () => {
    await emu.close();
  });

  it('stale read-back: the change takes effect, the next read still reports the previous certificate, later ones the new', async () => {
    const handle = emu.faults.staleReadBack({ regionId: REGION, loadBalancerId: lb, port: 443 });
    // Reads before the change are untouched.
    expect((await readBack()).ServerCertificateId).toBe(oldId);
    await setListener(newId);
    expect(emu.slb.binding(REGION, lb, 443).serverCertificateId).toBe(newId);
    expect((await readBack()).ServerCertificateId).toBe(oldId);
    expect(handle.hits).toBe(1);
    expect((await readBack()).ServerCertificateId).toBe(newId);
  });

  it('stale read-back of one domain extension leaves the listener and other reads alone', async () => {
    emu.faults.staleReadBack({ regionId: REGION, loadBalancerId: lb, port: 443, domainExtensionId: extensionId });
    await readBack();
    await setListener(newId); // not the extension: does not arm the fault
    expect(extensionOf(await readBack())?.ServerCertificateId).toBe(oldId);
    await call(slb, 'SetDomainExtensionAttribute', {
      RegionId: REGION,
      DomainExtensionId: extensionId,
      ServerCertificateId: newId,
    });
    expect(emu.slb.binding(REGION, lb, 443).domainExtensions[0]?.serverCertificateId).toBe(newId);
    const stale = await readBack();
    expect(stale.ServerCertificateId).toBe(newId);
    expect(extensionOf(stale)?.ServerCertificateId).toBe(oldId);
    expect(extensionOf(await readBack())?.ServerCertificateId).toBe(newId);
  });

  it('failed read-back: the change takes effect, the next read fails with the code given, later ones succeed', async () => {
    const handle = emu.faults.failReadBack(
      { regionId: REGION, loadBalancerId: lb, port: 443 },
      { code: 'Forbidden.RAM' },
    );
    expect((await readBack()).ServerCertificateId).toBe(oldId);
    await setListener(newId);
    expect(emu.slb.binding(REGION, lb, 443).serverCertificateId).toBe(newId);
    const e = await expectCode(
      callError(slb, 'DescribeLoadBalancerHTTPSListenerAttribute', {
        RegionId: REGION,
        LoadBalancerId: lb,
        ListenerPort: 443,
      }),
      'Forbidden.RAM',
    );
    expect(e.status).toBe(403);
    expect(handle.hits).toBe(1);
    expect((await readBack()).ServerCertificateId).toBe(newId);
  });

  it('a change the service refused does not arm a read-back fault', async () => {
    emu.faults.refuseListenerUpdate(REGION, lb, 443, { times: 1 });
    const handle = emu.faults.failReadBack({ regionId: REGION, loadBalancerId: lb, port: 443 });
    await expectCode(
      callError(slb, 'SetLoadBalancerHTTPSListenerAttribute', {
        RegionId: REGION,
        LoadBalancerId: lb,
        ListenerPort: 443,
        ServerCertificateId: newId,
      }),
      'Forbidden.RAM',
    );
    expect((await readBack()).ServerCertificateId).toBe(oldId);
    expect(handle.hits).toBe(0);
  });
});

describe('allowDeletingReferencedCertificates: a permissive service', () => {
  // Slb and Faults wired by hand, as startEmulator wires them, with the hook this fault needs.
  const slb = new Slb({ clock: Date.now, certificateQuota: 100, tls: undefined });
  const faults = new Faults({
    setCertificateQuota: (regionId, quota) => slb.setCertificateQuota(regionId, quota),
    setTlsFrozen: () => {},
    setUnreachable: () => Promise.resolve(),
    setDnsPropagationDelay: () => {},
    setDeleteReferencedAllowed: (allowed) => slb.setDeleteReferencedAllowed(allowed),
  });
  const seedBound = async () => {
    const key = rsaKey();
    const id = importedCertificateId(slb, REGION, 'bound', key, selfSigned(key, { cn: 'bound.example.com' }));
    const lb = slb.addLoadBalancer(REGION).loadBalancerId;
    await slb.addHttpsListener(REGION, lb, 443, id);
    return { id, lb };
  };
  const remove = (id: string) => slb.handle('DeleteServerCertificate', { RegionId: REGION, ServerCertificateId: id });

  it('by default a referenced certificate is refused; with the fault it is deleted; reset restores the refusal', async () => {
    const first = await seedBound();
    expect(() => remove(first.id)).toThrow(expect.objectContaining({ code: 'CertificateAndPrivateKeyIsRefered' }));
    const handle = faults.allowDeletingReferencedCertificates();
    remove(first.id);
    expect(slb.certificates(REGION).some((c) => c.ServerCertificateId === first.id)).toBe(false);
    // The listener keeps the id it was bound to, as it would on a service that let the deletion through.
    expect(slb.binding(REGION, first.lb, 443).serverCertificateId).toBe(first.id);
    handle.cancel();
    const second = await seedBound();
    expect(() => remove(second.id)).toThrow(expect.objectContaining({ code: 'CertificateAndPrivateKeyIsRefered' }));
    faults.allowDeletingReferencedCertificates();
    await faults.reset();
    expect(() => remove(second.id)).toThrow(expect.objectContaining({ code: 'CertificateAndPrivateKeyIsRefered' }));
  });

  it('says so when the emulator does not wire the hook, instead of silently refusing', () => {
    const unwired = new Faults({
      setCertificateQuota: () => {},
      setTlsFrozen: () => {},
      setUnreachable: () => Promise.resolve(),
      setDnsPropagationDelay: () => {},
    });
    expect(() => unwired.allowDeletingReferencedCertificates()).toThrow(/setDeleteReferencedAllowed/);
  });
});
