/**
 * Concurrency with the real parts: pop-core against the emulator (with CLB's "configuring" window after each
 * listener write), acme-client against Pebble, DNS-01 through challtestsrv. Six certificates on two load balancers
 * of one region, four at a time.
 */
import { LEASE_LABEL } from '../../shared/lease/lease-records.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Emulator, startEmulator } from '../../sandbox/emulator/index.js';
import { makeExpiringCertificate } from '../../sandbox/seed-certificate.js';
import { type SandboxCertificate, sandboxConfigYaml } from '../../sandbox/world.js';
import { parseConfig } from '../../shared/config/load-config.js';
import type { RotatorConfig } from '../../shared/config/types.js';
import { silentLogger } from '../../shared/log/logger.js';
import { memorySink } from '../../shared/log/outcome-sink.js';
import { runRotation } from '../../shared/rotation/run-rotation.js';
import { credentialsFromFcContext } from '../../shared/runtime/credentials.js';
import { wireRotation } from '../../shared/runtime/wire.js';
import { pebbleEnv } from '../support/env.js';

const REGION = 'cn-hangzhou';
/** A few seconds on an idle machine; a shared CI box under load can take many times that for six issuances. */
const LOADED_MACHINE_TIMEOUT_MS = 90_000;
const ZONE = 'conc.test';
const env = pebbleEnv();
const NAMES = ['c0', 'c1', 'c2', 'c3', 'c4', 'c5', 'n0', 'n1', 'n2', 'n3', 'w0'];
let emu: Emulator;
let seedPem: { certificatePem: string; privateKeyPem: string };

beforeAll(async () => {
  emu = await startEmulator({
    challtestsrvUrl: env.challtestsrvUrl,
    // Short stand-ins for real CLB (seconds) and Alidns: long enough to be hit, short enough for a fast test.
    slbConfiguringWindowMs: 300,
    dnsPropagationDelayMs: 200,
  });
  emu.alidns.addZone(ZONE);
  // One key pair for every seeded certificate: openssl's RSA key generation is the slowest step of seeding.
  seedPem = await makeExpiringCertificate(
    NAMES.map((n) => `${n}.${ZONE}`),
    3,
  );
}, LOADED_MACHINE_TIMEOUT_MS);
afterAll(async () => {
  await emu?.close();
});

async function rotate(certificates: SandboxCertificate[], concurrency: number) {
  const parsed = await parseConfig(
    sandboxConfigYaml(
      { directoryUrl: env.directoryUrl, challtestsrvUrl: env.challtestsrvUrl, dnsServer: env.dnsServer },
      certificates,
      { wireSettleSeconds: 2 },
    ),
    'test.yaml',
    {},
  );
  const config: RotatorConfig = { ...parsed, run: { concurrency } };
  const sink = memorySink();
  const deps = wireRotation({
    config,
    env: {
      ROTATOR_SLB_ENDPOINT: emu.endpoint,
      ROTATOR_ALIDNS_ENDPOINT: emu.endpoint,
      ROTATOR_DNS_SERVERS: env.dnsServer,
    },
    credentials: credentialsFromFcContext(emu.issueStsCredentials()),
    logger: silentLogger,
    sink,
  });
  return runRotation(config, { trigger: 'test' }, deps);
}

/** A load balancer whose listeners (two per name) each serve that name's own hand-uploaded certificate, due in 3 days. */
async function seed(names: string[], ports: number[]) {
  const lb = emu.slb.addLoadBalancer(REGION);
  const certificates: SandboxCertificate[] = [];
  for (const [i, name] of names.entries()) {
    const cert = emu.slb.importCertificate(REGION, { ...seedPem, name: `hand-${name}` });
    const own = ports.slice(i * 2, i * 2 + 2);
    for (const port of own) await emu.slb.addHttpsListener(REGION, lb.loadBalancerId, port, cert.ServerCertificateId);
    certificates.push({
      name,
      domains: [`${name}.${ZONE}`],
      region: REGION,
      listeners: own.map((port) => ({ loadBalancerId: lb.loadBalancerId, port })),
    });
  }
  return { loadBalancerId: lb.loadBalancerId, certificates };
}

describe('a run with concurrency 4 over 6 certificates on 2 load balancers', () => {
  it(
    'rotates each once, never interleaves writes to one load balancer, overlaps the DNS waits, lists once',
    async () => {
      const a = await seed(['c0', 'c2', 'c4'], [7000, 7001, 7002, 7003, 7004, 7005]);
      const b = await seed(['c1', 'c3', 'c5'], [7100, 7101, 7102, 7103, 7104, 7105]);
      const certificates = [0, 1, 2, 3, 4, 5].map(
        (i) => [...a.certificates, ...b.certificates].find((c) => c.name === `c${i}`) as SandboxCertificate,
      );
      emu.clearCalls();

      const { records, summary } = await rotate(certificates, 4);

      expect(records.map((r) => [r.certificate, r.outcome])).toEqual(certificates.map((c) => [c.name, 'rotated']));
      expect(summary.ok).toBe(true);
      const calls = emu.calls;
      const uploads = calls.filter((c) => c.action === 'UploadServerCertificate' && c.errorCode === undefined);
      expect(uploads.map((c) => (c.params.ServerCertificateName ?? '').split('-')[0]).sort()).toEqual(
        certificates.map((c) => c.name),
      );

      // Writes to one load balancer: each certificate's two moves come together (the window made some of them wait).
      const certOf = new Map(records.map((r) => [r.current?.serverCertificateId, r.certificate]));
      for (const lb of [a.loadBalancerId, b.loadBalancerId]) {
        const writes = calls
          .filter(
            (c) =>
              c.action === 'SetLoadBalancerHTTPSListenerAttribute' &&
              c.params.LoadBalancerId === lb &&
              c.errorCode === undefined,
          )
          .map((c) => certOf.get(c.params.ServerCertificateId));
        expect(writes).toHaveLength(6);
        expect(writes.filter((w, i) => i === 0 || writes[i - 1] !== w)).toHaveLength(3);
      }
      expect(calls.some((c) => c.errorCode === 'ServiceIsConfiguring')).toBe(true);
      expect(records.flatMap((r) => r.targets).every((t) => t.status === 'moved' && t.wire === 'verified')).toBe(true);

      // Overlap: the second certificate's challenge record is placed before the first certificate is uploaded.
      const index = (pred: (c: (typeof calls)[number]) => boolean) => calls.findIndex(pred);
      const c1Record = index((c) => c.action === 'AddDomainRecord' && c.params.RR === '_acme-challenge.c1');
      const c0Upload = index(
        (c) => c.action === 'UploadServerCertificate' && /^c0-/.test(c.params.ServerCertificateName ?? ''),
      );
      expect(c1Record).toBeGreaterThanOrEqual(0);
      expect(c0Upload).toBeGreaterThan(c1Record);

      // One certificate listing for the region while gathering, however many certificates gathered; after that,
      // each certificate re-reads once when it has taken its lease (another run may have rotated it meanwhile).
      const firstLease = index((c) => c.action === 'AddDomainRecord' && (c.params.RR ?? '').startsWith(LEASE_LABEL));
      expect(firstLease).toBeGreaterThan(0);
      expect(calls.slice(0, firstLease).filter((c) => c.action === 'DescribeServerCertificates')).toHaveLength(1);
    },
    LOADED_MACHINE_TIMEOUT_MS,
  );

  it('nothing due: one certificate listing for the region, whatever the number of certificates', async () => {
    const { certificates } = await seed(['n0', 'n1', 'n2', 'n3'], [7200, 7201, 7202, 7203, 7204, 7205, 7206, 7207]);
    for (const c of certificates) c.renewal = { daysBeforeExpiry: 1 };
    emu.clearCalls();
    const { records } = await rotate(certificates, 4);
    expect(records.map((r) => r.outcome)).toEqual(['not-due', 'not-due', 'not-due', 'not-due']);
    expect(emu.callsOf('DescribeServerCertificates')).toHaveLength(1);
    expect(emu.calls.filter((c) => c.product === 'alidns')).toEqual([]);
  });

  it(
    'waits out a 1.5 s ServiceIsConfiguring window instead of rolling back',
    async () => {
      const { certificates, loadBalancerId } = await seed(['w0'], [7300, 7301]);
      emu.clearCalls();
      let opened: number | undefined;
      const busy = emu.faults.failNext('SetLoadBalancerHTTPSListenerAttribute', {
        code: 'ServiceIsConfiguring',
        times: Infinity,
        // The window opens at the first write to this load balancer and closes 1.5 s later.
        when: (p) => p.LoadBalancerId === loadBalancerId && Date.now() - (opened ??= Date.now()) < 1_500,
      });
      try {
        const { records } = await rotate(certificates, 4);
        expect(records[0]).toMatchObject({ outcome: 'rotated' });
        expect(records[0]?.targets.map((t) => t.status)).toEqual(['moved', 'moved']);
        expect(busy.hits).toBeGreaterThanOrEqual(2);
      } finally {
        busy.cancel();
      }
    },
    LOADED_MACHINE_TIMEOUT_MS,
  );
});
