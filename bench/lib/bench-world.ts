import { randomBytes } from 'node:crypto';
import { type Emulator, startEmulator } from '../../sandbox/emulator/index.js';
import type { AcmeTestCa } from '../../sandbox/world.js';

export const BENCH_ZONE = 'bench.test';

export interface BenchWorld {
  emulator: Emulator;
  /**
   * The zone this world hosts, its own: benchmarks running side by side (the tiny-size test) share the test DNS, where
   * one's cleanup of `_acme-challenge.c0.<zone>` would remove the other's record.
   */
  zone: string;
  ca: AcmeTestCa;
  /** Points a rotator at the emulator, the test DNS and a long-term key of the emulator. */
  rotatorEnv: Record<string, string>;
  close(): Promise<void>;
}

export interface BenchWorldOptions {
  /** How long after AddDomainRecord answers a TXT record becomes visible in the test DNS. */
  dnsPropagationDelayMs?: number;
  /** A TLS server per HTTPS listener, needed for the wire check; a run with nothing due does without. */
  tlsListeners?: boolean;
  /** Regions whose certificate quota is lifted, so fleets larger than 100 per region fit. */
  regions?: string[];
}

/** The emulated cloud mirroring its TXT records into the test CA's DNS, with the benchmark zone hosted. */
export async function startBenchWorld(ca: AcmeTestCa, options: BenchWorldOptions = {}): Promise<BenchWorld> {
  const emulator = await startEmulator({
    challtestsrvUrl: ca.challtestsrvUrl,
    tlsListeners: options.tlsListeners ?? true,
    ...(options.dnsPropagationDelayMs !== undefined ? { dnsPropagationDelayMs: options.dnsPropagationDelayMs } : {}),
  });
  const zone = `bench-${randomBytes(4).toString('hex')}.test`;
  emulator.alidns.addZone(zone);
  for (const region of options.regions ?? []) emulator.slb.setCertificateQuota(region, 100_000);
  return {
    emulator,
    zone,
    ca,
    rotatorEnv: {
      ROTATOR_SLB_ENDPOINT: emulator.endpoint,
      ROTATOR_ALIDNS_ENDPOINT: emulator.endpoint,
      ROTATOR_DNS_SERVERS: ca.dnsServer,
      ALIBABA_CLOUD_ACCESS_KEY_ID: emulator.credentials.accessKeyId,
      ALIBABA_CLOUD_ACCESS_KEY_SECRET: emulator.credentials.accessKeySecret,
    },
    close: () => emulator.close(),
  };
}
