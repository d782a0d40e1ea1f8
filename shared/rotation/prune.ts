import { isRotatorCertificate } from '../domain/tags.js';
import { asRotatorError, CloudApiError } from '../errors.js';
import { planPrune } from '../policy/retention.js';
import { referencedIds } from './inventory.js';
import type { RegionView } from './region-view.js';

export interface PruneResult {
  deleted: string[];
  problems: string[];
}

/**
 * No sprawl: deletes the rotator's own older certificates for one name that nothing in the region serves any more,
 * keeping the newest `retain`. References come from a fresh scan of every listener and domain extension, made right
 * before deleting, and SLB's own refusal (`CertificateAndPrivateKeyIsRefered`) is respected as a second line of
 * defence.
 */
export async function pruneOwnCertificates(
  region: RegionView,
  options: { name: string; currentId: string; retain: number; relist: boolean },
): Promise<PruneResult> {
  const certificates = options.relist ? await region.freshCertificates() : await region.certificates();
  const own = certificates.filter((c) => isRotatorCertificate(c, options.name));
  const result: PruneResult = { deleted: [], problems: [] };
  if (own.filter((c) => c.serverCertificateId !== options.currentId).length <= options.retain) return result;
  const plan = planPrune(own, {
    currentId: options.currentId,
    retain: options.retain,
    referenced: referencedIds(await region.freshScan()),
  });
  for (const id of plan.delete) {
    try {
      await region.lb.deleteServerCertificate(id);
      region.recordDeletion(id);
      result.deleted.push(id);
    } catch (err) {
      if (err instanceof CloudApiError && err.code === 'CertificateAndPrivateKeyIsRefered') continue;
      result.problems.push(`could not delete ${id}: ${asRotatorError(err, 'cleanup').message}`);
    }
  }
  return result;
}
