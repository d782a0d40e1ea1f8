import type { Target } from '../domain/certificate.js';
import { probeServername } from '../policy/probe-servername.js';
import type { RegionView } from './region-view.js';

/** Where a TLS client reaches a target, or why it cannot. */
export type WireEndpoint = { host: string; port: number; servername: string } | { unreachable: string };

/**
 * What the executor needs from one kind of target (an SLB listener's default certificate, an SNI domain extension;
 * later e.g. an ALB listener or a Function Compute custom domain). A new kind is a new handler, not an executor edit.
 */
export interface TargetHandler {
  /** The certificate the target serves now. */
  read(target: Target): Promise<string>;
  /** Point the target at a certificate. */
  point(target: Target, serverCertificateId: string): Promise<void>;
  /** For the wire check: the address, port and SNI name that reach this target; `domains` are the certificate's. */
  wireEndpoint(target: Target, domains: readonly string[]): Promise<WireEndpoint>;
}

export type TargetHandlers = Readonly<Record<Target['kind'], TargetHandler>>;

export function handlerOf(handlers: TargetHandlers, target: Target): TargetHandler {
  return handlers[target.kind];
}

/** Both SLB kinds, over one region's shared view: moves are applied to the view so later reads in the run see them. */
export function slbTargetHandlers(region: RegionView): TargetHandlers {
  const read = async (target: Target) => (await region.binding(target)).serverCertificateId;
  const point = async (target: Target, serverCertificateId: string) => {
    await region.lb.setBinding(target, serverCertificateId);
    region.recordBinding(target, serverCertificateId);
  };
  const address = async (loadBalancerId: string) => (await region.loadBalancers()).get(loadBalancerId)?.address;
  return {
    listener: {
      read,
      point,
      async wireEndpoint(target, domains) {
        const host = await address(target.loadBalancerId);
        if (!host) return { unreachable: 'DescribeLoadBalancers reports no address' };
        // The default certificate answers only for names no SNI extension of the listener takes.
        const taken = (await region.domainExtensions(target.loadBalancerId, target.port)).map((d) => d.domain);
        const servername = probeServername([...domains], taken);
        return servername
          ? { host, port: target.port, servername }
          : { unreachable: 'no name of the certificate reaches the default certificate' };
      },
    },
    'domain-extension': {
      read,
      point,
      async wireEndpoint(target) {
        const host = await address(target.loadBalancerId);
        if (!host) return { unreachable: 'DescribeLoadBalancers reports no address' };
        const servername = target.kind === 'domain-extension' ? probeServername([target.domain]) : undefined;
        return servername
          ? { host, port: target.port, servername }
          : { unreachable: 'no name of the certificate reaches the default certificate' };
      },
    },
  };
}
