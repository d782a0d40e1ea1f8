import type { ManagedCertificate } from '../config/types.js';
import type { ServerCertificate, TargetBinding } from '../domain/certificate.js';
import { isRotatorCertificate } from '../domain/tags.js';
import type { CertificatePlan } from '../plan/types.js';
import { findResumable } from '../policy/resume.js';
import { spreadKeyOf } from '../policy/renewal.js';
import type { Lease } from '../ports/lease.js';
import type { RegionView } from './region-view.js';

/** What changed for one certificate between its plan and the lease its run then took. */
export type SinceThePlan =
  /** Another run finished it: nothing is left to do. */
  | { finished: string }
  /**
   * What the targets serve now (deploy moves them from these, a rollback puts them back on these), and the good
   * certificate to deploy without an order, when there is one (the plan's, or one a run that stopped uploaded since).
   */
  | { bindings: TargetBinding[]; resume?: ServerCertificate };

/**
 * The plan is made before the lease, so a run that held the lease meanwhile may have changed what it says:
 * - it finished: every target now serves one newer certificate (or, without targets, a newer one of this name
 *   appeared: the plan's `previous` was then the newest one it saw);
 * - it stopped between two targets: the rest are moved to its certificate, without a new order;
 * - it stopped after its upload, before any move: this run's lease replaced one whose holder stopped without
 *   finishing (this task's earlier attempt, a retried fan-out worker, or a run whose lease expired). SLB may have
 *   stored that holder's last upload after this run read the region (it serves a request whose caller died), so the
 *   region is read again and that certificate deployed. One stored later still is not seen: this run then uploads its
 *   own, and pruning removes the one left unused.
 * A forced run orders anew whatever is there (that is what forcing is for), from what the targets serve now.
 * Bindings are read only for a plan with targets, certificates again only when something points at a change.
 */
export async function sinceThePlan(
  region: RegionView,
  plan: CertificatePlan,
  cert: ManagedCertificate,
  lease: Lease,
  now: Date,
): Promise<SinceThePlan | undefined> {
  const newer = (c: ServerCertificate) =>
    c.serverCertificateId !== plan.previous?.serverCertificateId &&
    c.expireTimeStamp > (plan.previous?.expireTimeStamp ?? -Infinity);
  const forced = plan.code === 'due.forced';
  const lateUpload = (lease.reentered || lease.tookOver !== undefined) && !plan.resume;

  if (plan.targets.length === 0) {
    const appeared = (await region.freshCertificates()).find((c) => isRotatorCertificate(c, cert.name) && newer(c));
    return appeared
      ? {
          finished: `another run uploaded ${appeared.serverCertificateId} (expires ${appeared.expireTime}) for this certificate after this run's plan was made`,
        }
      : undefined;
  }

  const bindings: TargetBinding[] = [];
  for (const t of plan.targets) bindings.push(await region.binding(t.target));
  const moved = bindings.some((b, i) => b.serverCertificateId !== plan.targets[i]?.from);
  if (!moved && !lateUpload) return undefined;

  const fresh = await region.freshCertificates();
  const serving = new Set(bindings.map((b) => b.serverCertificateId));
  const [only] = serving;
  const all = serving.size === 1 ? fresh.find((c) => c.serverCertificateId === only) : undefined;
  if (moved && all && newer(all)) {
    return {
      finished: `${plan.targets.map((t) => t.name).join(', ')} now serve${bindings.length === 1 ? 's' : ''} ${all.serverCertificateId} (expires ${all.expireTime}), moved there by another run after this run's plan was made`,
    };
  }
  if (forced) return { bindings };
  const resume = findResumable({
    name: cert.name,
    domains: cert.domains,
    certificates: fresh,
    previous: plan.previous,
    policy: cert.renewal,
    now,
    spreadKey: spreadKeyOf(cert),
  });
  return { bindings, ...(resume ? { resume } : {}) };
}
