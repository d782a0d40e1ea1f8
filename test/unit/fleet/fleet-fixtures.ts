import type { ManagedCertificate } from '../../../shared/config/types.js';
import type { CertificatePlan, PlanAction, RunPlan } from '../../../shared/plan/types.js';
import { aManagedCertificate } from '../../support/builders.js';

/** A configured certificate on the given load balancers (one listener each). */
export function cert(name: string, region: string, lbs: string[]): ManagedCertificate {
  return aManagedCertificate({
    name,
    region,
    domains: [`${name}.example.com`],
    listeners: lbs.map((loadBalancerId) => ({ loadBalancerId, port: 443 })),
  });
}

/** A plan in which the named certificates are due (`issue`) and every other one is not. */
export function planFor(certs: readonly ManagedCertificate[], due: readonly string[], failed: string[] = []): RunPlan {
  const plan = (c: ManagedCertificate): CertificatePlan => {
    const action: PlanAction = due.includes(c.name) ? 'issue' : 'none';
    return {
      certificate: c.name,
      region: c.region,
      domains: c.domains,
      action,
      code: action === 'issue' ? 'due.window' : 'not-due.window',
      reason: '',
      previous: null,
      targets: [],
      prune: [],
      calls: [],
      warnings: [],
    };
  };
  return {
    event: 'rotation.plan',
    generatedAt: '2026-11-22T00:00:00.000Z',
    certificates: certs.filter((c) => !failed.includes(c.name)).map(plan),
    failures: certs
      .filter((c) => failed.includes(c.name))
      .map((c) => ({ certificate: c.name, region: c.region, stage: 'gather', reason: 'Throttling' })),
  };
}
