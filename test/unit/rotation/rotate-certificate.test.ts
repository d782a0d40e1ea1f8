import { describe, expect, it } from 'vitest';
import type { ManagedCertificate } from '../../../shared/config/types.js';
import type { ServerCertificate, Target, TargetBinding } from '../../../shared/domain/certificate.js';
import { silentLogger } from '../../../shared/log/logger.js';
import type { CertificateAuthority } from '../../../shared/ports/certificate-authority.js';
import type { LoadBalancerService } from '../../../shared/ports/load-balancer.js';
import { rotateCertificate } from '../../../shared/rotation/rotate-certificate.js';

const now = new Date('2026-11-22T00:00:00Z');
const DAY = 86_400_000;
const settings = { certificateQuota: 100, verifyOnWire: true, wireSettleSeconds: 30 };
const cert: ManagedCertificate = {
  name: 'shop',
  domains: ['example.com'],
  region: 'cn-hangzhou',
  keyType: 'rsa-2048',
  renewal: { remainingFraction: 1 / 3, spread: 0 },
  listeners: [{ loadBalancerId: 'lb-1', port: 443 }],
  domainExtensions: [],
  byReference: false,
  retain: 1,
};

function inUse(daysLeft: number): ServerCertificate {
  return {
    serverCertificateId: 'old',
    serverCertificateName: 'old',
    regionId: 'cn-hangzhou',
    fingerprint: 'aa',
    expireTimeStamp: now.getTime() + daysLeft * DAY,
    expireTime: '',
    createTimeStamp: now.getTime() - 80 * DAY,
    commonName: 'example.com',
    subjectAlternativeNames: ['example.com'],
    tags: {},
  };
}

/** A load balancer with one listener serving `old`; records writes. */
function fakeLb(current: ServerCertificate): LoadBalancerService & { writes: string[] } {
  const writes: string[] = [];
  return {
    regionId: 'cn-hangzhou',
    writes,
    listServerCertificates: async () => [current],
    getBinding: async (target: Target): Promise<TargetBinding> => ({ target, serverCertificateId: 'old' }),
    uploadServerCertificate: async () => {
      writes.push('upload');
      throw new Error('not expected');
    },
    setBinding: async () => void writes.push('set'),
    deleteServerCertificate: async () => void writes.push('delete'),
    listLoadBalancers: async () => [],
    listHttpsListeners: async () => [],
    listDomainExtensions: async () => [],
  };
}

describe('rotateCertificate (plain fakes)', () => {
  it('not due: the CA is never created and nothing is written', async () => {
    const lb = fakeLb(inUse(60));
    let created = 0;
    const r = await rotateCertificate(
      cert,
      {
        loadBalancer: lb,
        certificateAuthority: async () => {
          created++;
          throw new Error('not expected');
        },
        clock: () => now,
        logger: silentLogger,
      },
      { force: false },
      settings,
    );
    expect(r.outcome).toBe('not-due');
    expect(created).toBe(0);
    expect(lb.writes).toEqual([]);
  });

  it('running out of time while issuing: failed, retryable, says so, nothing written', async () => {
    const lb = fakeLb(inUse(5));
    const controller = new AbortController();
    const ca: CertificateAuthority = {
      issue: async () => {
        controller.abort();
        throw new DOMException('This operation was aborted', 'AbortError');
      },
    };
    const r = await rotateCertificate(
      cert,
      { loadBalancer: lb, certificateAuthority: async () => ca, clock: () => now, logger: silentLogger },
      { force: false, signal: controller.signal },
      settings,
    );
    expect(r).toMatchObject({ outcome: 'failed', stage: 'issue', retryable: true });
    expect(r.reason).toMatch(/ran out of time during issue; the next run continues/);
    expect(lb.writes).toEqual([]);
  });

  it('a run whose deadline passed before it started does not touch the cloud', async () => {
    const lb = fakeLb(inUse(5));
    const controller = new AbortController();
    controller.abort();
    const r = await rotateCertificate(
      cert,
      {
        loadBalancer: lb,
        certificateAuthority: async () => ({}) as CertificateAuthority,
        clock: () => now,
        logger: silentLogger,
      },
      { force: false, signal: controller.signal },
      settings,
    );
    expect(r).toMatchObject({ outcome: 'failed', retryable: true });
    expect(lb.writes).toEqual([]);
  });
});
