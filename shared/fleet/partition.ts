import { createHash } from 'node:crypto';
import type { ManagedCertificate } from '../config/types.js';
import type { RunPlan } from '../plan/types.js';

/** A certificate as the partitioner sees it: where it lives and which load balancers it writes to. */
export interface FleetMember {
  name: string;
  region: string;
  loadBalancerIds: string[];
}

/** One worker's share of a run. */
export interface Partition {
  /**
   * Stable for the same configuration: a hash of the region and the sorted names of every configured certificate
   * packed into this partition (due or not), so a retried coordinator that finds fewer certificates due still
   * derives the same key, and with it the same async task id.
   */
  key: string;
  region: string;
  /** The certificates the worker rotates: the partition's due ones, sorted. */
  certificates: string[];
  /** Every load balancer those certificates write to, sorted. */
  loadBalancers: string[];
}

/**
 * The members of a fleet: each selected certificate with the load balancers of its configured targets and, from the
 * plan, the ones it was found on (`byReference` finds targets the configuration does not name).
 */
export function fleetMembers(certificates: readonly ManagedCertificate[], plan: RunPlan | undefined): FleetMember[] {
  const planned = new Map(plan?.certificates.map((p) => [p.certificate, p]) ?? []);
  return certificates.map((c) => {
    const ids = new Set<string>([
      ...c.listeners.map((l) => l.loadBalancerId),
      ...c.domainExtensions.map((d) => d.loadBalancerId),
      ...(planned.get(c.name)?.targets.map((t) => t.target.loadBalancerId) ?? []),
    ]);
    return { name: c.name, region: c.region, loadBalancerIds: [...ids].sort() };
  });
}

/** The certificates a worker has to handle: due (issue or resume), or whose state could not be read (it retries). */
export function dueCertificates(plan: RunPlan): Set<string> {
  return new Set([
    ...plan.certificates.filter((c) => c.action !== 'none').map((c) => c.certificate),
    ...plan.failures.map((f) => f.certificate),
  ]);
}

/**
 * Splits a fleet into worker partitions. Certificates that share a load balancer, directly or through others, stay
 * in one partition, so one balancer's listener writes never race between two workers; a region's groups are then
 * packed first-fit, largest first, into partitions of at most `maxPerPartition` configured certificates. A group
 * larger than the bound is kept whole (it gets a partition of its own): splitting it would break the first rule.
 * Only partitions with at least one due certificate are returned. The result depends only on its inputs, sorted
 * by region and key.
 */
export function partitionFleet(
  members: readonly FleetMember[],
  due: ReadonlySet<string>,
  maxPerPartition: number,
): Partition[] {
  if (!Number.isInteger(maxPerPartition) || maxPerPartition < 1) {
    throw new RangeError(`maxPerPartition must be a positive integer, not ${maxPerPartition}`);
  }
  const byRegion = new Map<string, FleetMember[]>();
  for (const m of [...members].sort((a, b) => compare(a.name, b.name))) {
    byRegion.set(m.region, [...(byRegion.get(m.region) ?? []), m]);
  }
  const partitions: Partition[] = [];
  for (const [region, regionMembers] of [...byRegion].sort(([a], [b]) => compare(a, b))) {
    for (const bin of pack(groups(regionMembers), maxPerPartition)) {
      const names = bin.map((m) => m.name).sort(compare);
      const certificates = names.filter((n) => due.has(n));
      if (certificates.length === 0) continue;
      const loadBalancers = [...new Set(bin.filter((m) => due.has(m.name)).flatMap((m) => m.loadBalancerIds))].sort(
        compare,
      );
      partitions.push({ key: partitionKey(region, names), region, certificates, loadBalancers });
    }
  }
  return partitions.sort((a, b) => compare(a.region, b.region) || compare(a.key, b.key));
}

/** 12 hex digits of SHA-256 over the region and the sorted names: short enough for a task id, collisions remote. */
export function partitionKey(region: string, sortedNames: readonly string[]): string {
  return createHash('sha256')
    .update([region, ...sortedNames].join('\n'))
    .digest('hex')
    .slice(0, 12);
}

/** Connected components of "shares a load balancer" (union-find over the members of one region). */
function groups(members: readonly FleetMember[]): FleetMember[][] {
  const parent = members.map((_, i) => i);
  const find = (i: number): number => {
    while (parent[i] !== i) {
      parent[i] = parent[parent[i] as number] as number;
      i = parent[i] as number;
    }
    return i;
  };
  const owner = new Map<string, number>();
  members.forEach((m, i) => {
    for (const lb of m.loadBalancerIds) {
      const other = owner.get(lb);
      if (other === undefined) owner.set(lb, i);
      else parent[find(i)] = find(other);
    }
  });
  const byRoot = new Map<number, FleetMember[]>();
  members.forEach((m, i) => byRoot.set(find(i), [...(byRoot.get(find(i)) ?? []), m]));
  return [...byRoot.values()];
}

function pack(components: FleetMember[][], max: number): FleetMember[][] {
  const ordered = [...components].sort((a, b) => b.length - a.length || compare(firstName(a), firstName(b)));
  const bins: FleetMember[][] = [];
  for (const c of ordered) {
    const bin = c.length > max ? undefined : bins.find((b) => b.length + c.length <= max);
    if (bin) bin.push(...c);
    else bins.push([...c]);
  }
  return bins;
}

function firstName(members: readonly FleetMember[]): string {
  return members.map((m) => m.name).sort(compare)[0] ?? '';
}

/** Code-point order: locale-independent, so every instance sorts the same way. */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
