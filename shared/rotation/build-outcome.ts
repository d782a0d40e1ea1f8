import { describeTarget } from '../domain/certificate.js';
import type { RotatorError } from '../errors.js';
import type { CertificatePlan } from '../plan/types.js';
import { daysBetween } from '../policy/compare.js';
import type { Execution } from './execute.js';
import { failureFields, type OutcomeRecord, toCurrentRef } from './outcome.js';

/**
 * Pure: the outcome record of one certificate, from its plan and what carrying it out came to. Field names are a
 * public contract (README, "Outcome records").
 */
export function buildOutcome(plan: CertificatePlan, run: Execution, durationMs: number): OutcomeRecord {
  const note = plan.note ? ` (note: ${plan.note})` : '';
  const current = run.current ?? null;
  const record: OutcomeRecord = {
    event: 'rotation.outcome',
    certificate: plan.certificate,
    region: plan.region,
    domains: plan.domains,
    outcome: 'failed',
    reason: '',
    previous: plan.previous,
    current: current ? toCurrentRef(current) : null,
    daysGained: null,
    targets:
      run.targets ??
      plan.targets.map((t) => ({ target: describeTarget(t.target), serverCertificateId: t.from, status: 'unchanged' })),
    durationMs,
  };
  const warnings = [...plan.warnings, ...run.warnings];
  const finish = (fields: Partial<OutcomeRecord>): OutcomeRecord => {
    const out = Object.assign(record, fields);
    if (run.resumed) out.resumed = true;
    if (run.deleted) out.deleted = run.deleted;
    if (warnings.length > 0) out.warnings = warnings;
    return out;
  };

  if (run.failure) {
    // Adapters say which call failed (`gather` for every read); the outcome reports the stage the run was in, except
    // while issuing, where the adapter's finer stage (dns, issue, check) is the useful one.
    return finish({
      outcome: 'failed',
      reason: run.failure.message,
      ...failureFields(run.failure),
      stage: run.stage === 'issue' ? run.failure.stage : run.stage,
      ...(current && !run.verdict ? { daysGained: gained(plan, run) } : {}),
    });
  }
  if (plan.action === 'none') {
    return finish({
      outcome: 'not-due',
      reason: plan.reason + note,
      ...(plan.renewAt ? { renewAt: plan.renewAt } : {}),
    });
  }
  if (run.skipped) return finish({ outcome: 'skipped', code: run.skipped.code, reason: run.skipped.reason });
  if (run.verdict) return finish({ outcome: run.verdict.verdict, reason: run.verdict.reason });

  record.daysGained = gained(plan, run);
  if (run.rollback) return finish(rolledBackFields(run.rollback.error, run.rollback.complete, run.rollback.stage));
  if (run.unverified) {
    return finish({
      outcome: 'failed',
      reason: `${run.unverified}; the targets stay on ${current?.serverCertificateId} and older certificates are kept`,
      stage: 'verify',
      retryable: true,
    });
  }
  const how = run.resumed ? `; resumed with ${current?.serverCertificateId} uploaded by an earlier run` : '';
  if (plan.targets.length === 0) {
    return finish({ outcome: 'rotated', reason: `${plan.reason}${how}; uploaded (no targets configured)${note}` });
  }
  const targets = run.targets ?? [];
  const checked = targets.some((t) => t.wire !== undefined);
  const verified = targets.filter((t) => t.wire === 'verified').length;
  return finish({
    outcome: 'rotated',
    reason: `${plan.reason}${how}; ${targets.length} target(s) moved and read back${checked ? `, ${verified} verified on the wire` : ''}${note}`,
  });
}

function gained(plan: CertificatePlan, run: Execution): number | null {
  return plan.previous && run.current ? daysBetween(plan.previous.expireTimeStamp, run.current.expireTimeStamp) : null;
}

function rolledBackFields(
  error: RotatorError,
  complete: boolean,
  stage: RotatorError['stage'],
): Partial<OutcomeRecord> {
  return {
    outcome: complete ? 'rolled-back' : 'failed',
    reason: `${error.message}; ${complete ? 'every moved target was put back on its previous certificate, unless someone else had changed it since' : 'ROLLBACK INCOMPLETE, see targets'}`,
    ...failureFields(error),
    stage,
    retryable: true,
  };
}
