import type { ManagedCertificate } from '../config/types.js';
import { describeTarget, type ServerCertificate, type TargetBinding } from '../domain/certificate.js';
import { ariCertIdOf, isRotatorCertificate } from '../domain/tags.js';
import { factsOf } from '../policy/current-certificate.js';
import { decideRenewal, spreadKeyOf } from '../policy/renewal.js';
import { findResumable } from '../policy/resume.js';
import { planPrune } from '../policy/retention.js';
import type { RenewalWindow } from '../ports/renewal-info.js';
import type { CertificateRef } from '../rotation/outcome.js';
import { plannedCalls } from './planned-calls.js';
import type { CertificatePlan, PlannedTarget, QuotaSituation } from './types.js';

/** What the planner needs to know about one certificate: what was gathered, nothing it has to read itself. */
export interface PlanInput {
  certificate: ManagedCertificate;
  /** Every server certificate in the region. */
  certificates: readonly ServerCertificate[];
  bindings: readonly TargetBinding[];
  previous: ServerCertificate | null;
  note: string | undefined;
  ari: RenewalWindow | null;
  /** Certificate ids every listener and extension of the region serves, when the region was scanned. */
  referenced: ReadonlySet<string> | undefined;
  warnings: readonly string[];
}

export interface PlanContext {
  force: boolean;
  now: Date;
  certificateQuota: number;
  /** The run takes a lease per due certificate (its DNS writes are changes too). Default false. */
  leases?: boolean;
}

/** The placeholder a plan uses for the certificate that issuing will produce. */
export const NEW_CERTIFICATE = '(new)';

/**
 * Pure: what a run does for one certificate and why. Not due → nothing; due with a good certificate an earlier run
 * uploaded → resume it; else issue (after making room under the quota), then move every target, then prune.
 */
export function planCertificate(input: PlanInput, context: PlanContext): CertificatePlan {
  const cert = input.certificate;
  const { previous } = input;
  const spreadKey = spreadKeyOf(cert);
  const decision = decideRenewal({
    current: previous ? factsOf(previous) : null,
    domains: cert.domains,
    policy: cert.renewal,
    force: context.force,
    now: context.now,
    spreadKey,
    ari: input.ari,
  });
  const base = {
    certificate: cert.name,
    region: cert.region,
    domains: cert.domains,
    reason: decision.reason,
    ...(decision.renewAt ? { renewAt: decision.renewAt.toISOString() } : {}),
    previous: previous ? refOf(previous) : null,
    warnings: [...input.warnings],
    ...(input.note ? { note: input.note } : {}),
  };
  if (!decision.due) {
    return {
      ...base,
      action: 'none',
      code: decision.code,
      targets: input.bindings.map((b) => plannedTarget(b, 'keep')),
      prune: [],
      calls: [],
    };
  }

  // An earlier run may have uploaded a good certificate and stopped before every target served it.
  // A forced run always orders anew: that is what force is for (e.g. a key to be replaced).
  const resume = context.force
    ? undefined
    : findResumable({
        name: cert.name,
        domains: cert.domains,
        certificates: input.certificates,
        previous,
        policy: cert.renewal,
        now: context.now,
        spreadKey,
      });
  const nextId = resume?.serverCertificateId ?? NEW_CERTIFICATE;
  const targets = input.bindings.map((b) => plannedTarget(b, b.serverCertificateId === nextId ? 'keep' : 'move'));
  const quota = resume ? undefined : quotaSituation(input, context.certificateQuota);
  const replaces = previous ? ariCertIdOf(previous) : undefined;
  const prune = predictPrune(input, nextId, targets, quota?.makeRoom ?? []);
  const plan: CertificatePlan = {
    ...base,
    action: resume ? 'resume' : 'issue',
    code: resume ? 'due.resume' : decision.code,
    ...(resume ? { resume } : {}),
    ...(replaces && !resume ? { replaces } : {}),
    targets,
    ...(quota ? { quota } : {}),
    prune,
    calls: [],
  };
  return { ...plan, calls: plannedCalls(plan, { leases: context.leases === true }) };
}

function plannedTarget(b: TargetBinding, change: PlannedTarget['change']): PlannedTarget {
  return { target: b.target, name: describeTarget(b.target), from: b.serverCertificateId, change };
}

function refOf(c: ServerCertificate): CertificateRef {
  return { serverCertificateId: c.serverCertificateId, fingerprint: c.fingerprint, expireTimeStamp: c.expireTimeStamp };
}

/**
 * Before ordering, the upload must fit the region's quota: the rotator's own unreferenced old certificates for this
 * name (never the one in use) are deleted first when it would not.
 */
export function quotaSituation(
  input: Pick<PlanInput, 'certificate' | 'certificates' | 'previous' | 'referenced' | 'bindings'>,
  quota: number,
): QuotaSituation {
  const count = input.certificates.length;
  if (count < quota) return { count, quota, makeRoom: [], wouldExceed: false };
  const own = input.certificates.filter((c) => isRotatorCertificate(c, input.certificate.name));
  const referenced = input.referenced ?? new Set(input.bindings.map((b) => b.serverCertificateId));
  const makeRoom = planPrune(own, {
    currentId: input.previous?.serverCertificateId ?? '',
    retain: 0,
    referenced,
  }).delete;
  return { count, quota, makeRoom, wouldExceed: count - makeRoom.length >= quota };
}

/**
 * The rotator's own older certificates a verified rotation would delete: those no target serves once the moves are
 * done, beyond the newest `retain`. A prediction: the executor re-reads the region right before it deletes.
 */
function predictPrune(
  input: PlanInput,
  nextId: string,
  targets: readonly PlannedTarget[],
  alreadyGone: readonly string[],
): string[] {
  // Without a region scan only this certificate's own targets are known; the executor's fresh scan decides.
  const movedAway = new Set(targets.filter((t) => t.change === 'move').map((t) => t.from));
  const kept = targets.filter((t) => t.change === 'keep').map((t) => t.from);
  const referenced = new Set([...[...(input.referenced ?? [])].filter((id) => !movedAway.has(id)), ...kept]);
  const own = input.certificates.filter(
    (c) => isRotatorCertificate(c, input.certificate.name) && !alreadyGone.includes(c.serverCertificateId),
  );
  return planPrune(own, { currentId: nextId, retain: input.certificate.retain, referenced }).delete;
}
