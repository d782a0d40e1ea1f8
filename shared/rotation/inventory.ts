import type { TargetBinding } from '../domain/certificate.js';
import type { LoadBalancerInfo, LoadBalancerService } from '../ports/load-balancer.js';
import { mapConcurrent } from '../util/map-concurrent.js';

/** Everything in a region that serves a certificate: each HTTPS listener's default and each SNI domain extension. */
export interface RegionInventory {
  loadBalancers: Map<string, LoadBalancerInfo>;
  bindings: TargetBinding[];
}

/** Listeners whose SNI domain extensions are read at the same time. */
const EXTENSION_READS_IN_FLIGHT = 8;

export async function scanRegion(lb: LoadBalancerService): Promise<RegionInventory> {
  const [loadBalancers, listeners] = await Promise.all([lb.listLoadBalancers(), lb.listHttpsListeners()]);
  const extensions = await mapConcurrent(listeners, EXTENSION_READS_IN_FLIGHT, (l) =>
    lb.listDomainExtensions(l.loadBalancerId, l.port),
  );
  const bindings: TargetBinding[] = listeners.flatMap((l, i) => [
    {
      target: { kind: 'listener' as const, regionId: lb.regionId, loadBalancerId: l.loadBalancerId, port: l.port },
      serverCertificateId: l.serverCertificateId,
    },
    ...(extensions[i] ?? []).map((d) => ({
      target: {
        kind: 'domain-extension' as const,
        regionId: lb.regionId,
        loadBalancerId: l.loadBalancerId,
        port: l.port,
        domainExtensionId: d.domainExtensionId,
        domain: d.domain,
      },
      serverCertificateId: d.serverCertificateId,
    })),
  ]);
  return { loadBalancers: new Map(loadBalancers.map((b) => [b.loadBalancerId, b])), bindings };
}

export function referencedIds(inventory: RegionInventory): Set<string> {
  return new Set(inventory.bindings.map((b) => b.serverCertificateId));
}
