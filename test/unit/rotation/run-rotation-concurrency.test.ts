/**
 * The run's scheduling over in-memory fakes: a pool of `run.concurrency` certificates, one writer per load balancer,
 * the order budget, one certificate listing per region however many certificates start together, and records written
 * as each certificate finishes but returned in configuration order.
 */
import { describe, expect, it } from 'vitest';
import type { ManagedCertificate, RotatorConfig } from '../../../shared/config/types.js';
import { silentLogger } from '../../../shared/log/logger.js';
import { memorySink } from '../../../shared/log/outcome-sink.js';
import type { CertificateAuthority, IssueRequest } from '../../../shared/ports/certificate-authority.js';
import type { LoadBalancerService } from '../../../shared/ports/load-balancer.js';
import type { OutcomeRecord } from '../../../shared/rotation/outcome.js';
import { runRotation } from '../../../shared/rotation/run-rotation.js';
import { aManagedCertificate, anIssuedCertificate, aServerCertificate, days, NOW } from '../../support/builders.js';
import { type MemoryLoadBalancer, memoryLoadBalancer } from '../../support/memory-load-balancer.js';

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Every call yields to the event loop first, as a network call would: concurrent certificates interleave. */
function withLatency(lb: MemoryLoadBalancer): LoadBalancerService {
  return new Proxy(lb, {
    get(target, prop, receiver) {
      const value: unknown = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function') return value;
      return async (...args: unknown[]) => {
        await tick();
        await tick();
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}

/**
 * `count` certificates `c0`…, each served by two listeners of one load balancer (even ones on lb-a, odd ones on
 * lb-b), each currently on an own certificate with `daysLeft` days left.
 */
function fleet(count: number, daysLeft: number) {
  const certs: ManagedCertificate[] = [];
  const old = [];
  const listeners = [];
  for (let i = 0; i < count; i++) {
    const name = `c${i}`;
    const lbId = i % 2 === 0 ? 'lb-a' : 'lb-b';
    const ports = [1000 + i * 2, 1001 + i * 2];
    certs.push(
      aManagedCertificate({
        name,
        domains: [`${name}.example.com`],
        listeners: ports.map((port) => ({ loadBalancerId: lbId, port })),
      }),
    );
    old.push(
      aServerCertificate({
        id: `old-${name}`,
        own: name,
        names: [`${name}.example.com`],
        notBefore: days(daysLeft - 90),
        notAfter: days(daysLeft),
      }),
    );
    for (const port of ports) listeners.push({ loadBalancerId: lbId, port, serverCertificateId: `old-${name}` });
  }
  return { certs, lb: memoryLoadBalancer({ certificates: old, listeners }) };
}

interface RunSettings {
  concurrency?: number;
  maxNewOrdersPerRun?: number;
  certificateQuota?: number;
}

function configOf(certs: ManagedCertificate[], run: RunSettings = {}) {
  const config: RotatorConfig = {
    acme: {
      directoryUrl: 'https://ca.invalid/dir',
      production: false,
      email: undefined,
      accountKeyPem: undefined,
      externalAccountBinding: undefined,
      ...(run.maxNewOrdersPerRun ? { maxNewOrdersPerRun: run.maxNewOrdersPerRun } : {}),
    },
    dns: { propagationTimeoutSeconds: 60, ttl: 600 },
    slb: { certificateQuota: run.certificateQuota ?? 100, verifyOnWire: false, wireSettleSeconds: 0 },
    certificates: certs,
    ...(run.concurrency ? { run: { concurrency: run.concurrency } } : {}),
  };
  return config;
}

/** A CA that takes `delay(name)` event-loop turns per order and records how many orders were in flight at most. */
function slowCa(delay: (name: string) => number = () => 5) {
  const stats = { factoryCalls: 0, orders: [] as string[], inFlight: 0, maxInFlight: 0 };
  const ca: CertificateAuthority = {
    async issue(request: IssueRequest) {
      const name = (request.domains[0] as string).split('.')[0] as string;
      stats.orders.push(name);
      stats.inFlight++;
      stats.maxInFlight = Math.max(stats.maxInFlight, stats.inFlight);
      for (let i = 0; i < delay(name); i++) await tick();
      stats.inFlight--;
      return anIssuedCertificate({ names: request.domains });
    },
  };
  return {
    stats,
    factory: async () => {
      stats.factoryCalls++;
      return ca;
    },
  };
}

async function run(
  certs: ManagedCertificate[],
  lb: MemoryLoadBalancer,
  ca: ReturnType<typeof slowCa>,
  settings: RunSettings = {},
) {
  const sink = memorySink();
  const result = await runRotation(
    configOf(certs, settings),
    { trigger: 'test' },
    {
      loadBalancer: () => withLatency(lb),
      certificateAuthority: ca.factory,
      sink,
      clock: () => NOW,
      logger: silentLogger,
    },
  );
  const written = sink.records.filter((r): r is OutcomeRecord => r.event === 'rotation.outcome');
  return { ...result, written, sink };
}

/** Per load balancer, the certificate each Set call moved a target to, in call order. */
function setsPerLoadBalancer(lb: MemoryLoadBalancer): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const call of lb.calls) {
    const m = /^Set (lb-[a-z]+):\d+ (\S+)$/.exec(call);
    if (!m) continue;
    const list = out.get(m[1] as string) ?? [];
    list.push(m[2] as string);
    out.set(m[1] as string, list);
  }
  return out;
}

describe('runRotation with concurrency', () => {
  it('nothing due: one certificate listing for the region however many certificates, and no CA', async () => {
    const { certs, lb } = fleet(6, 60);
    const ca = slowCa();
    const { records } = await run(certs, lb, ca, { concurrency: 6 });
    expect(records.map((r) => r.outcome)).toEqual(Array(6).fill('not-due'));
    expect(lb.calls.filter((c) => c === 'DescribeServerCertificates')).toHaveLength(1);
    expect(ca.stats.factoryCalls).toBe(0);
    expect(lb.writes()).toEqual([]);
  });

  it('rotates up to `run.concurrency` at once, every certificate exactly once, records in file order', async () => {
    const { certs, lb } = fleet(6, 3);
    const ca = slowCa();
    const { records, summary, written } = await run(certs, lb, ca, { concurrency: 4 });
    expect(records.map((r) => [r.certificate, r.outcome])).toEqual(certs.map((c) => [c.name, 'rotated']));
    expect(summary.counts.rotated).toBe(6);
    expect([...ca.stats.orders].sort()).toEqual(certs.map((c) => c.name));
    expect(ca.stats.maxInFlight).toBe(4);
    expect(lb.writes().filter((w) => w.startsWith('UploadServerCertificate'))).toHaveLength(6);
    expect(written).toHaveLength(6);
    expect(lb.calls.filter((c) => c === 'DescribeServerCertificates').length).toBeGreaterThanOrEqual(1);
    // Before the first upload the region was listed exactly once (later listings are the re-reads before pruning).
    const firstUpload = lb.calls.findIndex((c) => c.startsWith('UploadServerCertificate'));
    expect(lb.calls.slice(0, firstUpload).filter((c) => c === 'DescribeServerCertificates')).toHaveLength(1);
  });

  it('writes records as certificates finish, while the returned list keeps the file order', async () => {
    const { certs, lb } = fleet(3, 3);
    // c0 takes longest at the CA, so it finishes last.
    const ca = slowCa((name) => (name === 'c0' ? 60 : 2));
    const { records, written, sink } = await run(certs, lb, ca, { concurrency: 3 });
    expect(records.map((r) => r.certificate)).toEqual(['c0', 'c1', 'c2']);
    expect(written.at(-1)?.certificate).toBe('c0');
    expect(sink.records.at(-1)?.event).toBe('rotation.summary');
  });

  it('one certificate at a time on one load balancer: its moves are never interleaved with another certificate’s', async () => {
    const { certs, lb } = fleet(6, 3);
    const ca = slowCa(() => 1);
    const { records } = await run(certs, lb, ca, { concurrency: 6 });
    expect(records.every((r) => r.outcome === 'rotated')).toBe(true);
    const sets = setsPerLoadBalancer(lb);
    expect([...sets.keys()].sort()).toEqual(['lb-a', 'lb-b']);
    for (const [, ids] of sets) {
      // Each certificate's two moves are adjacent: the sequence changes id only between certificates.
      expect(ids).toHaveLength(6);
      const runs = ids.filter((id, i) => i === 0 || ids[i - 1] !== id);
      expect(runs).toHaveLength(3);
    }
  });

  it('concurrency 1 runs the certificates one after another, in file order', async () => {
    const { certs, lb } = fleet(4, 3);
    const ca = slowCa((name) => (name === 'c0' ? 30 : 1));
    const { written } = await run(certs, lb, ca, { concurrency: 1 });
    expect(ca.stats.maxInFlight).toBe(1);
    expect(ca.stats.orders).toEqual(['c0', 'c1', 'c2', 'c3']);
    expect(written.map((r) => r.certificate)).toEqual(['c0', 'c1', 'c2', 'c3']);
  });

  it('places no more than acme.maxNewOrdersPerRun orders; the rest fail retryably at stage issue', async () => {
    const { certs, lb } = fleet(5, 3);
    const ca = slowCa();
    const { records, summary } = await run(certs, lb, ca, { concurrency: 5, maxNewOrdersPerRun: 2 });
    expect(ca.stats.orders).toHaveLength(2);
    expect(records.filter((r) => r.outcome === 'rotated')).toHaveLength(2);
    const refused = records.filter((r) => r.outcome === 'failed');
    expect(refused).toHaveLength(3);
    for (const r of refused) {
      expect(r).toMatchObject({ stage: 'issue', retryable: true, errorCode: 'OrderBudgetExhausted' });
      expect(r.reason).toMatch(/acme\.maxNewOrdersPerRun = 2/);
      expect(r.targets.every((t) => t.status !== 'moved')).toBe(true);
    }
    expect(summary.ok).toBe(false);
    // Nothing was written for the certificates that were not ordered.
    expect(lb.writes().filter((w) => w.startsWith('UploadServerCertificate'))).toHaveLength(2);
  });

  it('certificates rotated at the same time never take the region past its quota: they wait for room', async () => {
    // 5 certificates in a region that holds their 5 old ones and allows 7: two uploads fit at once.
    const { certs, lb } = fleet(5, 3);
    const noneKept = certs.map((c) => ({ ...c, retain: 0 }));
    let peak = lb.certificates.length;
    const upload = lb.uploadServerCertificate.bind(lb);
    lb.uploadServerCertificate = async (request) => {
      const uploaded = await upload(request);
      peak = Math.max(peak, lb.certificates.length);
      return uploaded;
    };
    const ca = slowCa();
    const { records } = await run(noneKept, lb, ca, { concurrency: 5, certificateQuota: 7 });
    // Each waited for room that an earlier one made by pruning the certificate it replaced.
    expect(records.map((r) => r.outcome)).toEqual(['rotated', 'rotated', 'rotated', 'rotated', 'rotated']);
    expect(peak).toBeLessThanOrEqual(7);
    expect(ca.stats.maxInFlight).toBeLessThanOrEqual(2);
  });

  it('a region full of certificates nothing frees: the ones that do not fit fail at preflight, none is ordered', async () => {
    // retain 1: the replaced certificates stay, so no room appears during the run.
    const { certs, lb } = fleet(4, 3);
    const ca = slowCa();
    const { records } = await run(certs, lb, ca, { concurrency: 4, certificateQuota: 6 });
    expect(records.filter((r) => r.outcome === 'rotated')).toHaveLength(2);
    const refused = records.filter((r) => r.outcome === 'failed');
    expect(refused).toHaveLength(2);
    for (const r of refused) expect(r).toMatchObject({ stage: 'preflight', errorCode: 'QuotaWouldBeExceeded' });
    expect(ca.stats.orders).toHaveLength(2);
    expect(lb.certificates).toHaveLength(6);
  });
});
