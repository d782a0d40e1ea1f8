import { stringify } from 'yaml';
import { type Emulator, startEmulator } from './emulator/index.js';
import { makeExpiringCertificate } from './seed-certificate.js';

/** Where the test CA is: what startPebble returns, or the test runner's environment. */
export interface AcmeTestCa {
  directoryUrl: string;
  challtestsrvUrl: string;
  /** `ip:port` of challtestsrv's DNS server: the "authoritative" server of every sandbox zone. */
  dnsServer: string;
}

export interface SandboxWorld {
  emulator: Emulator;
  ca: AcmeTestCa;
  /** Environment that points the rotator at the emulator and the test DNS (no credentials). */
  endpointEnv: Record<string, string>;
  close(): Promise<void>;
}

/** The emulated cloud, mirroring its TXT records into the test CA's DNS so DNS-01 validates for real. */
export async function startWorld(ca: AcmeTestCa, zones: string[]): Promise<SandboxWorld> {
  const emulator = await startEmulator({ challtestsrvUrl: ca.challtestsrvUrl });
  for (const zone of zones) emulator.alidns.addZone(zone);
  return {
    emulator,
    ca,
    endpointEnv: {
      ROTATOR_SLB_ENDPOINT: emulator.endpoint,
      ROTATOR_ALIDNS_ENDPOINT: emulator.endpoint,
      ROTATOR_DNS_SERVERS: ca.dnsServer,
    },
    close: () => emulator.close(),
  };
}

export interface SeededListener {
  regionId: string;
  loadBalancerId: string;
  port: number;
  serverCertificateId: string;
}

/** A load balancer whose HTTPS listener serves a hand-uploaded certificate that expires in `days` days. */
export async function seedListener(
  world: SandboxWorld,
  options: { regionId: string; domains: string[]; days: number; port?: number; name?: string },
): Promise<SeededListener> {
  const port = options.port ?? 443;
  const pem = await makeExpiringCertificate(options.domains, options.days);
  const cert = world.emulator.slb.importCertificate(options.regionId, {
    ...pem,
    name: options.name ?? 'uploaded-by-hand',
  });
  const lb = world.emulator.slb.addLoadBalancer(options.regionId, { name: 'sandbox-lb' });
  await world.emulator.slb.addHttpsListener(options.regionId, lb.loadBalancerId, port, cert.ServerCertificateId);
  return {
    regionId: options.regionId,
    loadBalancerId: lb.loadBalancerId,
    port,
    serverCertificateId: cert.ServerCertificateId,
  };
}

export interface SandboxCertificate {
  name: string;
  domains: string[];
  region: string;
  listeners?: { loadBalancerId: string; port: number }[];
  domainExtensions?: { loadBalancerId: string; port: number; domain: string }[];
  byReference?: boolean;
  retain?: number;
  renewal?: Record<string, number>;
}

/** A managed certificate of `domains` whose one target is the seeded listener. */
export function servedBy(name: string, domains: string[], seeded: SeededListener): SandboxCertificate {
  return {
    name,
    domains,
    region: seeded.regionId,
    listeners: [{ loadBalancerId: seeded.loadBalancerId, port: seeded.port }],
  };
}

/** A rotator configuration for the sandbox: the test CA (not production), the given certificates. */
export interface SandboxSlbSettings {
  certificateQuota?: number;
  verifyOnWire?: boolean;
  wireSettleSeconds?: number;
}

export function sandboxConfigYaml(
  ca: AcmeTestCa,
  certificates: SandboxCertificate[],
  slb: SandboxSlbSettings = {},
  acme: { accountKeyEnv?: string } = {},
  /** More top-level sections as they appear in the file (`alerts`, `heartbeat`). */
  extra: Record<string, unknown> = {},
): string {
  return stringify({
    acme: {
      directory: ca.directoryUrl,
      production: false,
      email: 'ops@example.com',
      termsOfServiceAgreed: true,
      ...(acme.accountKeyEnv ? { accountKey: { env: acme.accountKeyEnv } } : {}),
    },
    dns: { propagationTimeoutSeconds: 30 },
    slb: { wireSettleSeconds: 2, ...slb },
    certificates,
    ...extra,
  });
}
