import type { ServerCertificate } from '../domain/certificate.js';

export interface PrunePlan {
  /** Older certificates of the rotator's to delete, oldest last. */
  delete: string[];
  /** Kept, with why: `current`, `retained for rollback`, `still referenced`. */
  keep: { serverCertificateId: string; why: string }[];
}

/**
 * Pure: which of the rotator's own certificates for one name can go. Only certificates it uploaded under that name
 * are considered (the caller passes no others); the current one and the newest `retain` others stay for rollback,
 * and nothing still served by a listener or domain extension is ever deleted.
 */
export function planPrune(
  own: readonly ServerCertificate[],
  options: { currentId: string; retain: number; referenced: ReadonlySet<string> },
): PrunePlan {
  const plan: PrunePlan = { delete: [], keep: [] };
  const older = own
    .filter((c) => c.serverCertificateId !== options.currentId)
    .sort((a, b) => b.expireTimeStamp - a.expireTimeStamp || (b.createTimeStamp ?? 0) - (a.createTimeStamp ?? 0));
  if (own.some((c) => c.serverCertificateId === options.currentId)) {
    plan.keep.push({ serverCertificateId: options.currentId, why: 'current' });
  }
  // Retention counts only unreferenced certificates: the referenced ones stay anyway.
  let retained = 0;
  for (const c of older) {
    if (options.referenced.has(c.serverCertificateId)) {
      plan.keep.push({ serverCertificateId: c.serverCertificateId, why: 'still referenced' });
    } else if (retained++ < options.retain) {
      plan.keep.push({ serverCertificateId: c.serverCertificateId, why: 'retained for rollback' });
    } else {
      plan.delete.push(c.serverCertificateId);
    }
  }
  return plan;
}
