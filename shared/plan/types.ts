import type { ServerCertificate, Target } from '../domain/certificate.js';
import type { DueCode, NotDueCode } from '../policy/renewal.js';
import type { CertificateRef } from '../rotation/outcome.js';

/**
 * What a run will do for one managed certificate, and why: built by a pure function from what was gathered, so the
 * same plan is shown by `plan`/`run --dry-run`/`GET /plan` and carried out by the executor.
 */
export type PlanAction =
  /** Outside the renewal window: nothing is ordered, nothing changes. */
  | 'none'
  /** Due, and an earlier interrupted run already uploaded a good certificate: deploy it, order nothing. */
  | 'resume'
  /** Due: order a new certificate, check, upload, compare, deploy, verify, prune. */
  | 'issue';

/** Stable machine-readable codes: the renewal decision's, plus the action taken on a due certificate. */
export type PlanCode = DueCode | NotDueCode | 'due.resume' | 'failed.gather';

/** One place that serves the certificate and what the run does with it. */
export interface PlannedTarget {
  target: Target;
  /** `lb-id:port` or `lb-id:port/domain(extension-id)`, as outcome records name targets. */
  name: string;
  /** The certificate it serves now. */
  from: string;
  /** `move` to the new (or resumed) certificate; `keep` when it serves that one already or nothing is due. */
  change: 'move' | 'keep';
}

/** The region's certificate quota as the run finds it (preflight before ordering). */
export interface QuotaSituation {
  /** Server certificates in the region now. */
  count: number;
  quota: number;
  /** The rotator's own unreferenced old certificates deleted first to make room (preflight). */
  makeRoom: string[];
  /** True when even after making room the upload would exceed the quota: the run fails `preflight`. */
  wouldExceed: boolean;
}

/** One API call a run would make that changes something (reads are not listed). */
export interface PlannedCall {
  product: 'ACME' | 'Alidns' | 'SLB';
  action: string;
  /** The parameters that identify what changes; never a key or certificate body. */
  params: Record<string, string | number>;
  /** When the call happens only if an earlier step turns out a certain way. */
  when?: string;
}

export interface CertificatePlan {
  certificate: string;
  region: string;
  domains: string[];
  action: PlanAction;
  code: PlanCode;
  reason: string;
  /** When the certificate becomes due (not-due), or became due. */
  renewAt?: string;
  previous: CertificateRef | null;
  /** For `resume`: the certificate an earlier run uploaded. */
  resume?: ServerCertificate;
  /** RFC 9773 identifier of the certificate being replaced, sent as `replaces` with the order. */
  replaces?: string;
  targets: PlannedTarget[];
  /** For `issue`: the quota preflight. */
  quota?: QuotaSituation;
  /** The rotator's own older certificates that a verified rotation would delete afterwards (re-checked then). */
  prune: string[];
  /** The changes the run would make, in order. */
  calls: PlannedCall[];
  /** Facts that do not change the plan but need a person (e.g. ARI unavailable). */
  warnings: string[];
  /** Said of the gathered state, e.g. targets serving different certificates. */
  note?: string;
}

export interface RunPlan {
  event: 'rotation.plan';
  /** ISO-8601: the clock the plan was made with. */
  generatedAt: string;
  certificates: CertificatePlan[];
  /** Certificates whose state could not be read: no plan, with the error. */
  failures: { certificate: string; region: string; stage: string; reason: string; errorCode?: string }[];
}
