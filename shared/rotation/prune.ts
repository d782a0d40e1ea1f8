import type { ServerCertificate } from '../domain/certificate.js';
import { asRotatorError, CloudApiError } from '../errors.js';
import { planPrune } from '../policy/retention.js';
import type { LoadBalancerService } from '../ports/load-balancer.js';
import { referencedIds, scanRegion } from './inventory.js';
import { isRotatorCertificate } from './tags.js';

export interface PruneResult {
  deleted: string[];
  problems: string[];
}

/**
 * No sprawl: deletes the rotator's own older certificates for one name that nothing in the region serves any more,
 * keeping the newest `retain`. References come from a fresh scan of every listener and domain extension, and SLB's
 * own refusal (`CertificateAndPrivateKeyIsRefered`) is respected as a second line of defence.
 */
export async function pruneOwnCertificates(
  lb: LoadBalancerService,
  options: { name: string; currentId: string; retain: number; certificates?: ServerCertificate[] },
): Promise<PruneResult> {
  const certificates = options.certificates ?? (await lb.listServerCertificates());
  const own = certificates.filter((c) => isRotatorCertificate(c, options.name));
  const result: PruneResult = { deleted: [], problems: [] };
  if (own.filter((c) => c.serverCertificateId !== options.currentId).length <= options.retain) return result;
  const plan = planPrune(own, {
    currentId: options.currentId,
    retain: options.retain,
    referenced: referencedIds(await scanRegion(lb)),
  });
  for (const id of plan.delete) {
    try {
      await lb.deleteServerCertificate(id);
      result.deleted.push(id);
    } catch (err) {
      if (err instanceof CloudApiError && err.code === 'CertificateAndPrivateKeyIsRefered') continue;
      result.problems.push(`could not delete ${id}: ${asRotatorError(err, 'cleanup').message}`);
    }
  }
  return result;
}
