import type { Target } from '../domain/certificate.js';
import { leaseName } from '../lease/lease-records.js';
import type { CertificatePlan, PlannedCall } from './types.js';

/**
 * Pure: the changes a plan makes, as the API calls that make them, in order. Reads are left out (they change
 * nothing); parameters identify what changes, never a key or a certificate body. Challenge records are named by
 * their FQDN: the zone that holds them is looked up when the order exists.
 */
export function plannedCalls(plan: Omit<CertificatePlan, 'calls'>, options: { leases?: boolean } = {}): PlannedCall[] {
  if (plan.action === 'none') return [];
  const calls: PlannedCall[] = [];
  const lease = options.leases ? leaseName(plan.domains) : undefined;
  if (lease) {
    // The lock (a value every contender shares, so a second create is refused), then the record naming its holder.
    calls.push({ product: 'Alidns', action: 'AddDomainRecord', params: { Name: lease, Type: 'TXT' } });
    calls.push({
      product: 'Alidns',
      action: 'AddDomainRecord',
      params: { Name: lease, Type: 'TXT' },
      when: 'the record naming the holder, once the lease is taken',
    });
  }
  const next = plan.resume?.serverCertificateId ?? '(new)';
  if (plan.action === 'issue') {
    for (const id of plan.quota?.makeRoom ?? []) {
      calls.push({
        product: 'SLB',
        action: 'DeleteServerCertificate',
        params: { ServerCertificateId: id },
        when: 'to make room under the quota; re-checked against a fresh scan first',
      });
    }
    calls.push({
      product: 'ACME',
      action: 'newOrder',
      params: { identifiers: plan.domains.join(','), ...(plan.replaces ? { replaces: plan.replaces } : {}) },
    });
    // One challenge per name: a base name and its wildcard share the record name, each with its own value.
    for (const domain of plan.domains) {
      calls.push({
        product: 'Alidns',
        action: 'AddDomainRecord',
        params: { Name: challengeName(domain), Type: 'TXT' },
      });
    }
    for (const domain of plan.domains) {
      calls.push({
        product: 'Alidns',
        action: 'DeleteDomainRecord',
        params: { Name: challengeName(domain), Type: 'TXT' },
        when: 'after validation, whatever its result',
      });
    }
    calls.push({
      product: 'SLB',
      action: 'UploadServerCertificate',
      params: { RegionId: plan.region, ServerCertificateName: `${plan.certificate}-<date>-<sha1>` },
      when: 'unless the region already holds a certificate with the issued fingerprint',
    });
  }
  for (const t of plan.targets) {
    if (t.change !== 'move') continue;
    calls.push(setCall(t.target, next));
  }
  for (const id of plan.prune) {
    calls.push({
      product: 'SLB',
      action: 'DeleteServerCertificate',
      params: { ServerCertificateId: id },
      when: 'after every target is verified; only if nothing serves it then',
    });
  }
  if (lease) {
    for (const what of ['the lease', 'the holder record']) {
      calls.push({
        product: 'Alidns',
        action: 'DeleteDomainRecord',
        params: { Name: lease, Type: 'TXT' },
        when: `${what}, released at the end whatever the result`,
      });
    }
  }
  return calls;
}

export function challengeName(domain: string): string {
  return `_acme-challenge.${domain.replace(/^\*\./, '')}`;
}

function setCall(target: Target, serverCertificateId: string): PlannedCall {
  return target.kind === 'listener'
    ? {
        product: 'SLB',
        action: 'SetLoadBalancerHTTPSListenerAttribute',
        params: {
          LoadBalancerId: target.loadBalancerId,
          ListenerPort: target.port,
          ServerCertificateId: serverCertificateId,
        },
      }
    : {
        product: 'SLB',
        action: 'SetDomainExtensionAttribute',
        params: { DomainExtensionId: target.domainExtensionId, ServerCertificateId: serverCertificateId },
      };
}
