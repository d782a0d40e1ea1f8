import type { ServerCertificate } from '../domain/certificate.js';
import type { RotatorError, Stage } from '../errors.js';

export const OUTCOMES = [
  'rotated',
  'not-due',
  'skipped',
  'unchanged',
  'regressed',
  'mismatch',
  'rolled-back',
  'failed',
] as const;
export type Outcome = (typeof OUTCOMES)[number];

/**
 * Why a due certificate was left alone (`skipped`): `lease.held`, another run holds its lease and is rotating it now;
 * `lease.rotated-meanwhile`, another run rotated it after this run's plan was made. Neither is a failure: the
 * certificate is being (or was just) taken care of, so neither alerts.
 */
export type SkipCode = 'lease.held' | 'lease.rotated-meanwhile';

export interface CertificateRef {
  serverCertificateId: string;
  fingerprint: string;
  expireTimeStamp: number;
}

export interface TargetResult {
  target: string;
  /** The certificate the target serves after this run. */
  serverCertificateId: string;
  status: 'moved' | 'unchanged' | 'failed' | 'rolled-back';
  /**
   * What a TLS connection to the target presented after the move: see `verifyOnWire`. `unverified`: the run was
   * stopped (deadline or signal) before the target was checked.
   */
  wire?: 'verified' | 'unreachable' | 'stale' | 'unverified';
  wireDetail?: string;
  error?: string;
}

/** One structured record per certificate and run. Field names are a public contract: operators query them. */
export interface OutcomeRecord {
  event: 'rotation.outcome';
  certificate: string;
  region: string;
  domains: string[];
  outcome: Outcome;
  reason: string;
  /** For `skipped`: why, as a stable code. */
  code?: SkipCode;
  /** Set when outcome is `failed` (and for `rolled-back`): where it failed and whether the next run may succeed. */
  stage?: Stage;
  retryable?: boolean;
  errorCode?: string;
  /** The certificate in use when the run started; null on first issuance. */
  previous: CertificateRef | null;
  /** The certificate this run uploaded (or reused), as SLB reports it; null when none was uploaded. */
  current: (CertificateRef & { expireTime: string }) | null;
  /** Days between the previous and the current certificate's expiry; null without both. */
  daysGained: number | null;
  /** For `not-due`: when the certificate becomes due. */
  renewAt?: string;
  /** True when this run deployed a certificate an earlier, interrupted run had already uploaded (no new order). */
  resumed?: boolean;
  /** The rotator's own older certificates deleted after the verified rotation. */
  deleted?: string[];
  targets: TargetResult[];
  /** Problems that did not change the outcome but need a person, e.g. a TXT record that could not be removed. */
  warnings?: string[];
  durationMs: number;
}

export interface SummaryRecord {
  event: 'rotation.summary';
  trigger: string;
  certificates: number;
  counts: Record<Outcome, number>;
  /** True when no certificate failed, mismatched, regressed or rolled back. */
  ok: boolean;
  durationMs: number;
}

/**
 * Every field an outcome record, a target result and a summary can carry, for the README's record table (a test
 * compares them). The `Complete` types below stop compilation when a field is added to a type but not listed here.
 */
export const OUTCOME_FIELDS = [
  'event',
  'certificate',
  'region',
  'domains',
  'outcome',
  'reason',
  'code',
  'stage',
  'retryable',
  'errorCode',
  'previous',
  'current',
  'daysGained',
  'renewAt',
  'resumed',
  'deleted',
  'targets',
  'warnings',
  'durationMs',
] as const satisfies readonly (keyof OutcomeRecord)[];
export const TARGET_RESULT_FIELDS = [
  'target',
  'serverCertificateId',
  'status',
  'wire',
  'wireDetail',
  'error',
] as const satisfies readonly (keyof TargetResult)[];
export const SUMMARY_FIELDS = [
  'event',
  'trigger',
  'certificates',
  'counts',
  'ok',
  'durationMs',
] as const satisfies readonly (keyof SummaryRecord)[];
type Unlisted<T, L extends readonly PropertyKey[]> = Exclude<keyof T, L[number]>;
export type OutcomeFieldsComplete = [Unlisted<OutcomeRecord, typeof OUTCOME_FIELDS>] extends [never] ? true : never;
export type TargetFieldsComplete = [Unlisted<TargetResult, typeof TARGET_RESULT_FIELDS>] extends [never] ? true : never;
export type SummaryFieldsComplete = [Unlisted<SummaryRecord, typeof SUMMARY_FIELDS>] extends [never] ? true : never;
export const FIELD_LISTS_COMPLETE: OutcomeFieldsComplete & TargetFieldsComplete & SummaryFieldsComplete = true;

export function toRef(
  c: Pick<ServerCertificate, 'serverCertificateId' | 'fingerprint' | 'expireTimeStamp'>,
): CertificateRef {
  return { serverCertificateId: c.serverCertificateId, fingerprint: c.fingerprint, expireTimeStamp: c.expireTimeStamp };
}

export function toCurrentRef(c: ServerCertificate): CertificateRef & { expireTime: string } {
  return { ...toRef(c), expireTime: c.expireTime };
}

export function failureFields(err: RotatorError): Pick<OutcomeRecord, 'stage' | 'retryable' | 'errorCode'> {
  return { stage: err.stage, retryable: err.retryable, ...(err.code ? { errorCode: err.code } : {}) };
}

const HEALTHY: ReadonlySet<Outcome> = new Set(['rotated', 'not-due', 'skipped', 'unchanged']);

/** Pure: the per-run summary from the per-certificate records. */
export function summarize(records: readonly OutcomeRecord[], trigger: string, durationMs: number): SummaryRecord {
  const counts = Object.fromEntries(OUTCOMES.map((o) => [o, 0])) as Record<Outcome, number>;
  for (const r of records) counts[r.outcome] += 1;
  return {
    event: 'rotation.summary',
    trigger,
    certificates: records.length,
    counts,
    ok: records.every((r) => HEALTHY.has(r.outcome)),
    durationMs,
  };
}
