import { describeTarget, type ServerCertificate, type TargetBinding } from '../domain/certificate.js';
import { isRotatorCertificate } from '../domain/tags.js';
import type { CertificatePlan } from '../plan/types.js';
import { factsOf } from '../policy/current-certificate.js';
import { lifetimeOf } from '../policy/renewal.js';
import type { CertificateStatus, StatusTarget } from './types.js';

const DAY_MS = 86_400_000;

/** What the status of one certificate is made from: its plan (made now, not forced) and what was gathered. */
export interface StatusInput {
  plan: CertificatePlan;
  certificates: readonly ServerCertificate[];
  bindings: readonly TargetBinding[];
  previous: ServerCertificate | null;
  /** Per target name, what a live TLS check found (`status --wire`). */
  wire?: ReadonlyMap<string, { status: 'verified' | 'stale' | 'unreachable'; detail: string }>;
}

export interface StatusOptions {
  now: Date;
  /** Due for longer than this: `overdue` (the daily rotation has been failing). */
  overdueAfterDays: number;
}

/**
 * Pure: the state of one managed certificate. The worst state wins: expired, overdue, drift, unreachable, due, ok.
 * "The managed certificate" is the one the rotator deployed last for this name (its newest own certificate that a
 * target serves), else the certificate in use.
 */
export function certificateStatus(input: StatusInput, options: StatusOptions): CertificateStatus {
  const { plan, previous } = input;
  const managed = managedCertificate(input) ?? previous;
  const targets: StatusTarget[] = input.bindings.map((b) => {
    const name = describeTarget(b.target);
    const wire = input.wire?.get(name);
    return {
      target: name,
      kind: b.target.kind,
      serverCertificateId: b.serverCertificateId,
      servesManaged: !managed || b.serverCertificateId === managed.serverCertificateId,
      ...(wire ? { wire: wire.status, wireDetail: wire.detail } : {}),
    };
  });
  const now = options.now.getTime();
  const facts = managed ? factsOf(managed) : null;
  const renewAt = plan.renewAt ? Date.parse(plan.renewAt) : undefined;
  const base = {
    certificate: plan.certificate,
    region: plan.region,
    domains: plan.domains,
    serverCertificateId: managed?.serverCertificateId ?? null,
    fingerprint: managed?.fingerprint ?? null,
    expireTime: managed ? new Date(managed.expireTimeStamp).toISOString() : null,
    expireTimeStamp: managed?.expireTimeStamp ?? null,
    daysLeft: managed ? round1((managed.expireTimeStamp - now) / DAY_MS) : null,
    lifetimeDays: facts ? round1(lifetimeOf(facts) / DAY_MS) : null,
    renewAt: renewAt !== undefined ? new Date(renewAt).toISOString() : null,
    targets,
  };
  const state = (s: CertificateStatus['state'], code: string, reason: string): CertificateStatus => ({
    ...base,
    state: s,
    code,
    reason,
  });

  if (managed && managed.expireTimeStamp <= now) {
    return state('expired', 'expired', `expired at ${new Date(managed.expireTimeStamp).toISOString()}`);
  }
  const due = plan.action !== 'none';
  const dueSince = renewAt !== undefined && renewAt <= now ? renewAt : undefined;
  if (due && dueSince !== undefined && now - dueSince > options.overdueAfterDays * DAY_MS) {
    return state(
      'overdue',
      'overdue.grace',
      `due since ${new Date(dueSince).toISOString()}, more than ${options.overdueAfterDays} day(s): the rotation is failing (${plan.reason})`,
    );
  }
  const drifted = targets.filter((t) => !t.servesManaged);
  if (drifted.length > 0) {
    return state(
      'drift',
      'drift.target',
      `${drifted.map((t) => `${t.target} serves ${t.serverCertificateId}`).join('; ')}, not the managed ${managed?.serverCertificateId}`,
    );
  }
  const stale = targets.filter((t) => t.wire === 'stale');
  if (stale.length > 0) {
    return state('drift', 'drift.wire', stale.map((t) => `${t.target}: ${t.wireDetail}`).join('; '));
  }
  const unreachable = targets.filter((t) => t.wire === 'unreachable');
  if (unreachable.length > 0) {
    return state('unreachable', 'unreachable.wire', unreachable.map((t) => `${t.target}: ${t.wireDetail}`).join('; '));
  }
  if (due) return state('due', plan.code, plan.reason);
  return state('ok', plan.code, plan.reason);
}

/** The rotator's newest own certificate for this name that a target serves. */
function managedCertificate(input: StatusInput): ServerCertificate | undefined {
  const served = new Set(input.bindings.map((b) => b.serverCertificateId));
  return input.certificates
    .filter((c) => isRotatorCertificate(c, input.plan.certificate) && served.has(c.serverCertificateId))
    .sort((a, b) => b.expireTimeStamp - a.expireTimeStamp)[0];
}

function round1(n: number): number {
  return Math.round(n * 10) / 10;
}
