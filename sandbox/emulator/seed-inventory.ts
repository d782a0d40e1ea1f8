/**
 * A fleet in the emulator in seconds, through its in-process state API (signed UploadServerCertificate calls would
 * cost a round trip and a signature check each): N certificates spread over regions, each load balancer with one
 * HTTPS listener whose default certificate is one managed certificate and whose SNI domain extensions serve the
 * next ones. Benchmarks use it for "nothing due" (long validity) and "all due" (a few days left) fleets.
 */
import type { Emulator } from './index.js';
import { seedCertificateFactory } from './seed-certificates.js';

/** SNI domain extensions SLB allows per listener by default (the emulator's limit too). */
const EXTENSIONS_PER_LISTENER = 3;
export const LISTENER_PORT = 443;

export interface SeedInventoryOptions {
  /** How many managed certificates. */
  certificates: number;
  /** Spread round-robin: certificate i goes to regions[i % regions.length]. */
  regions: string[];
  /** Days until every seeded certificate expires (it was issued one day ago). */
  daysLeft: number;
  /** DNS zone under which names are made: `c<i>.<zone>`. */
  zone: string;
  /** Certificates per load balancer: 1 on the listener's default certificate plus up to 3 on SNI extensions. */
  perLoadBalancer?: number;
}

/** One entry of the rotator's `certificates:` list, shaped like the configuration file's. */
export interface SeededCertificateConfig {
  name: string;
  domains: string[];
  region: string;
  listeners?: { loadBalancerId: string; port: number }[];
  domainExtensions?: { loadBalancerId: string; port: number; domain: string }[];
}

export interface SeededInventory {
  certificates: SeededCertificateConfig[];
  loadBalancers: { regionId: string; loadBalancerId: string }[];
}

export async function seedInventory(emulator: Emulator, options: SeedInventoryOptions): Promise<SeededInventory> {
  const perLb = options.perLoadBalancer ?? 1 + EXTENSIONS_PER_LISTENER;
  if (!Number.isInteger(options.certificates) || options.certificates < 1) {
    throw new Error(`seedInventory: certificates must be a positive integer, got ${options.certificates}`);
  }
  if (options.regions.length === 0) throw new Error('seedInventory: list at least one region');
  if (!Number.isInteger(perLb) || perLb < 1 || perLb > 1 + EXTENSIONS_PER_LISTENER) {
    throw new Error(`seedInventory: perLoadBalancer must be 1 to ${1 + EXTENSIONS_PER_LISTENER}, got ${perLb}`);
  }
  const factory = await seedCertificateFactory();
  const byRegion = new Map<string, number[]>(options.regions.map((r) => [r, []]));
  for (let i = 0; i < options.certificates; i++)
    byRegion.get(options.regions[i % options.regions.length] as string)?.push(i);

  const certificates: SeededCertificateConfig[] = [];
  const loadBalancers: SeededInventory['loadBalancers'] = [];
  for (const [regionId, indexes] of byRegion) {
    for (let start = 0; start < indexes.length; start += perLb) {
      const group = indexes.slice(start, start + perLb);
      const lb = emulator.slb.addLoadBalancer(regionId, { name: `c-fleet-${loadBalancers.length}` });
      loadBalancers.push({ regionId, loadBalancerId: lb.loadBalancerId });
      for (const [k, i] of group.entries()) {
        const name = `c${i}`;
        const domain = `${name}.${options.zone}`;
        const cert = emulator.slb.importCertificate(regionId, {
          ...factory.make([domain], options.daysLeft),
          name: `seeded-${name}`,
        });
        const entry: SeededCertificateConfig = { name, domains: [domain], region: regionId };
        if (k === 0) {
          await emulator.slb.addHttpsListener(regionId, lb.loadBalancerId, LISTENER_PORT, cert.ServerCertificateId);
          entry.listeners = [{ loadBalancerId: lb.loadBalancerId, port: LISTENER_PORT }];
        } else {
          emulator.slb.addDomainExtension(regionId, lb.loadBalancerId, LISTENER_PORT, domain, cert.ServerCertificateId);
          entry.domainExtensions = [{ loadBalancerId: lb.loadBalancerId, port: LISTENER_PORT, domain }];
        }
        certificates[i] = entry;
      }
    }
  }
  return { certificates, loadBalancers };
}
