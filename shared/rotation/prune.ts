import type { ServerCertificate } from '../domain/certificate.js';
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
 * keeping the newest `retain`. With `relist`, the certificates are listed again before anything is chosen, and only
 * when the run's view holds more than `retain`. References come from a fresh scan of every listener and domain
 * extension, made right before deleting, and SLB's own refusal (`CertificateAndPrivateKeyIsRefered`) is respected
 * as a second line of defence.
 */
export async function pruneOwnCertificates(
  region: RegionView,
  options: { name: string; currentId: string; retain: number; relist: boolean },
): Promise<PruneResult> {
  const result: PruneResult = { deleted: [], problems: [] };
  const surplus = (list: ServerCertificate[]) => {
    const own = list.filter((c) => isRotatorCertificate(c, options.name));
    return own.filter((c) => c.serverCertificateId !== options.currentId).length > options.retain ? own : undefined;
  };
  // The run's view (its own uploads and deletions applied) says whether anything could go: when nothing could, the
  // region is not listed again. Only a run holding this certificate's lease adds certificates of its name.
  const viewed = surplus(await region.certificates());
  if (!viewed) return result;
  const own = options.relist ? surplus(await region.freshCertificates()) : viewed;
  if (!own) return result;
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
