import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import RPCClient from '@alicloud/pop-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Emulator, startEmulator } from '../../sandbox/emulator/index.js';
import { computeSignature, stringToSign } from '../../sandbox/emulator/signature.js';
import { call, callError, expectCode, popClient } from './helpers.js';

describe('signature v1 algorithm', () => {
  it('matches the documented example (DescribeRegions, testid/testsecret)', () => {
    // The worked example from Alibaba Cloud's "Request signatures" page, computed independently of pop-core.
    const params = {
      AccessKeyId: 'testid',
      Action: 'DescribeRegions',
      Format: 'XML',
      SignatureMethod: 'HMAC-SHA1',
      SignatureNonce: '3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf',
      SignatureVersion: '1.0',
      Timestamp: '2016-02-23T12:46:24Z',
      Version: '2014-05-26',
    };
    expect(stringToSign('GET', params)).toBe(
      'GET&%2F&AccessKeyId%3Dtestid%26Action%3DDescribeRegions%26Format%3DXML%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3D3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf%26SignatureVersion%3D1.0%26Timestamp%3D2016-02-23T12%253A46%253A24Z%26Version%3D2014-05-26',
    );
    expect(computeSignature('GET', params, 'testsecret')).toBe('OLeaidS1JvxuMvnyHOwuJ+uX5qY=');
  });
});

describe('RPC authentication with the real pop-core', () => {
  let emu: Emulator;
  let clockOffset = 0;

  beforeAll(async () => {
    emu = await startEmulator({ clock: () => Date.now() + clockOffset });
    emu.alidns.addZone('example.com');
  });
  afterAll(async () => {
    await emu.close();
  });

  it('accepts a signed GET and a signed POST, for both products on one port', async () => {
    const slb = popClient(emu, 'slb');
    const get = await call(slb, 'DescribeServerCertificates', { RegionId: 'cn-hangzhou' }, 'GET');
    expect(typeof get.RequestId).toBe('string');
    expect(get.ServerCertificates.ServerCertificate).toEqual([]);
    const post = await call(slb, 'DescribeServerCertificates', { RegionId: 'cn-hangzhou' }, 'POST');
    expect(post.RequestId).not.toBe(get.RequestId);
    const dns = await call(popClient(emu, 'alidns'), 'DescribeDomains', {}, 'POST');
    expect(dns.Domains.Domain.map((d: { DomainName: string }) => d.DomainName)).toEqual(['example.com']);
    const methods = emu.calls.slice(-3).map((c) => `${c.product}:${c.method}`);
    expect(methods).toEqual(['slb:GET', 'slb:POST', 'alidns:POST']);
  });

  it('verifies values that need percent-encoding (space, *, ~, non-ASCII) in GET and POST', async () => {
    const slb = popClient(emu, 'slb');
    const params = { RegionId: 'cn-hangzhou', 'Tag.1.Key': 'owner name*', 'Tag.1.Value': "ü~ (x)!'" };
    for (const method of ['GET', 'POST'] as const) {
      const body = await call(slb, 'DescribeServerCertificates', params, method);
      expect(body.ServerCertificates.ServerCertificate).toEqual([]);
    }
  });

  it('accepts STS credentials with their SecurityToken', async () => {
    const sts = emu.issueStsCredentials();
    expect(sts.accessKeyId.startsWith('STS.')).toBe(true);
    const body = await call(popClient(emu, 'slb', sts), 'DescribeServerCertificates', { RegionId: 'cn-hangzhou' });
    expect(body.ServerCertificates).toBeDefined();
    // The token is a credential: it must not reach the call log.
    expect(JSON.stringify(emu.calls)).not.toContain(sts.securityToken);
  });

  it('rejects STS keys without, with a wrong, or with an expired token', async () => {
    const sts = emu.issueStsCredentials(60_000);
    const { securityToken: _t, ...noToken } = sts;
    await expectCode(
      callError(popClient(emu, 'slb', noToken), 'DescribeServerCertificates', { RegionId: 'cn-hangzhou' }),
      'InvalidSecurityToken.Missing',
    );
    await expectCode(
      callError(
        popClient(emu, 'slb', { ...sts, securityToken: `${sts.securityToken}x` }),
        'DescribeServerCertificates',
        {
          RegionId: 'cn-hangzhou',
        },
      ),
      'InvalidSecurityToken.Malformed',
    );
    clockOffset = 61_000;
    try {
      await expectCode(
        callError(popClient(emu, 'slb', sts), 'DescribeServerCertificates', { RegionId: 'cn-hangzhou' }),
        'InvalidSecurityToken.Expired',
      );
    } finally {
      clockOffset = 0;
    }
  });

  it('answers SignatureDoesNotMatch for a wrong secret without echoing any secret', async () => {
    const wrongSecret = 'not-the-secret-0123456789abcdef';
    const client = popClient(emu, 'slb', { accessKeyId: emu.credentials.accessKeyId, accessKeySecret: wrongSecret });
    const e = await expectCode(
      callError(client, 'DescribeServerCertificates', { RegionId: 'cn-hangzhou' }),
      'SignatureDoesNotMatch',
    );
    const text = JSON.stringify(e.data) + e.message;
    expect(text).not.toContain(wrongSecret);
    expect(text).not.toContain(emu.credentials.accessKeySecret);
    expect(Object.keys(e.data).sort()).toEqual(['Code', 'HostId', 'Message', 'Recommend', 'RequestId']);
    expect(e.data.HostId).toBe('slb.aliyuncs.com');
  });

  it('answers InvalidAccessKeyId.NotFound for an unknown key', async () => {
    const client = popClient(emu, 'alidns', { accessKeyId: 'LTAInobodyhasthiskey00', accessKeySecret: 'x' });
    await expectCode(callError(client, 'DescribeDomains'), 'InvalidAccessKeyId.NotFound');
  });

  it('rejects a stale or future Timestamp (±15 min) and accepts one inside the window', async () => {
    const slb = popClient(emu, 'slb');
    try {
      clockOffset = 16 * 60_000; // the emulator is 16 min ahead: pop-core's Timestamp looks stale
      await expectCode(callError(slb, 'DescribeServerCertificates', { RegionId: 'cn-hangzhou' }), 'IllegalTimestamp');
      clockOffset = -16 * 60_000;
      await expectCode(callError(slb, 'DescribeServerCertificates', { RegionId: 'cn-hangzhou' }), 'IllegalTimestamp');
      clockOffset = 14 * 60_000;
      await call(slb, 'DescribeServerCertificates', { RegionId: 'cn-hangzhou' });
    } finally {
      clockOffset = 0;
    }
  });

  it('rejects a replayed request (same SignatureNonce) with SignatureNonceUsed', async () => {
    // A recording proxy captures the exact bytes pop-core signed, then the test replays them verbatim.
    const captured: string[] = [];
    const proxy: Server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', async () => {
        const body = Buffer.concat(chunks).toString('utf8');
        captured.push(body);
        const r = await fetch(`${emu.endpoint}/`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body,
        });
        res.writeHead(r.status, { 'content-type': 'application/json' });
        res.end(await r.text());
      });
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    try {
      const port = (proxy.address() as AddressInfo).port;
      const viaProxy = new RPCClient({
        endpoint: `http://127.0.0.1:${port}`,
        apiVersion: '2014-05-15',
        accessKeyId: emu.credentials.accessKeyId,
        accessKeySecret: emu.credentials.accessKeySecret,
      });
      await call(viaProxy, 'DescribeServerCertificates', { RegionId: 'cn-hangzhou' });
      expect(captured).toHaveLength(1);
      const replay = await fetch(`${emu.endpoint}/`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: captured[0],
      });
      const body = (await replay.json()) as { Code: string };
      expect(replay.status).toBe(400);
      expect(body.Code).toBe('SignatureNonceUsed');
    } finally {
      await new Promise<void>((resolve) => proxy.close(() => resolve()));
    }
  });

  it('answers MissingParameter / IncompleteSignature for unsigned or incomplete requests', async () => {
    const unsigned = await fetch(`${emu.endpoint}/?Action=DescribeDomains&Version=2015-01-09&Format=JSON`);
    expect(((await unsigned.json()) as { Code: string }).Code).toBe('MissingParameter');
    const params = new URLSearchParams({
      Action: 'DescribeDomains',
      Version: '2015-01-09',
      Format: 'JSON',
      AccessKeyId: emu.credentials.accessKeyId,
      SignatureMethod: 'HMAC-SHA1',
      SignatureVersion: '1.0',
      SignatureNonce: 'n-1',
      Timestamp: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
    });
    const noSig = await fetch(`${emu.endpoint}/?${params}`);
    expect(((await noSig.json()) as { Code: string }).Code).toBe('IncompleteSignature');
  });

  it('answers proper errors for an unknown Version or Action', async () => {
    const other = new RPCClient({
      endpoint: emu.endpoint,
      apiVersion: '2099-01-01',
      accessKeyId: emu.credentials.accessKeyId,
      accessKeySecret: emu.credentials.accessKeySecret,
    });
    await expectCode(callError(other, 'DescribeServerCertificates', { RegionId: 'cn-hangzhou' }), 'InvalidVersion');
    await expectCode(
      callError(popClient(emu, 'slb'), 'DescribeNothing', { RegionId: 'cn-hangzhou' }),
      'InvalidAction.NotFound',
    );
    // An Alidns action is unknown under the SLB version.
    await expectCode(callError(popClient(emu, 'slb'), 'DescribeDomains'), 'InvalidAction.NotFound');
  });

  it('keeps AccessKeyId, Signature and SecurityToken out of the call log', () => {
    for (const c of emu.calls) {
      for (const k of ['AccessKeyId', 'Signature', 'SecurityToken', 'PrivateKey'])
        expect(c.params).not.toHaveProperty(k);
    }
    expect(JSON.stringify(emu.calls)).not.toContain(emu.credentials.accessKeySecret);
  });
});
