import type { TargetBinding } from '../domain/certificate.js';
import type { LoadBalancerInfo, LoadBalancerService } from '../ports/load-balancer.js';

/** Everything in a region that serves a certificate: each HTTPS listener's default and each SNI domain extension. */
export interface RegionInventory {
  loadBalancers: Map<string, LoadBalancerInfo>;
  bindings: TargetBinding[];
}

export async function scanRegion(lb: LoadBalancerService): Promise<RegionInventory> {
  const [loadBalancers, listeners] = await Promise.all([lb.listLoadBalancers(), lb.listHttpsListeners()]);
  const bindings: TargetBinding[] = [];
  for (const l of listeners) {
    bindings.push({
      target: { kind: 'listener', regionId: lb.regionId, loadBalancerId: l.loadBalancerId, port: l.port },
      serverCertificateId: l.serverCertificateId,
    });
    for (const d of await lb.listDomainExtensions(l.loadBalancerId, l.port)) {
      bindings.push({
        target: {
          kind: 'domain-extension',
          regionId: lb.regionId,
          loadBalancerId: l.loadBalancerId,
          port: l.port,
          domainExtensionId: d.domainExtensionId,
          domain: d.domain,
        },
        serverCertificateId: d.serverCertificateId,
      });
    }
  }
  return { loadBalancers: new Map(loadBalancers.map((b) => [b.loadBalancerId, b])), bindings };
}

export function referencedIds(inventory: RegionInventory): Set<string> {
  return new Set(inventory.bindings.map((b) => b.serverCertificateId));
}
