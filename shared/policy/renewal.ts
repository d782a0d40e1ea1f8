import { createHash } from 'node:crypto';
import type { RenewalPolicy } from '../config/types.js';
import type { RenewalWindow } from '../ports/renewal-info.js';

const DAY_MS = 86_400_000;
/**
 * SLB does not report notBefore, so the lifetime of a certificate the rotator did not upload is unknown. Assuming at
 * least 90 days (the Let's Encrypt lifetime) renews such a certificate early rather than late: at worst a foreign
 * certificate is replaced sooner than needed, never after it expired.
 */
export const ASSUMED_MIN_LIFETIME_MS = 90 * DAY_MS;

/** What the decision needs to know about the certificate in use now. */
export interface CurrentCertificateFacts {
  notAfter: Date;
  /** Known for certificates the rotator uploaded (kept in tags); otherwise undefined. */
  notBefore: Date | undefined;
  /** SLB's CreateTimeStamp: a lower bound of how long the certificate has been around. */
  uploadedAt: Date | undefined;
  /** Names the certificate covers, as SLB reports them. */
  names: string[];
}

/** What makes the renewal point of one certificate stable from run to run (the spread): its region and name. */
export function spreadKeyOf(cert: { region: string; name: string }): string {
  return `${cert.region}/${cert.name}`;
}

export interface RenewalInput {
  current: CurrentCertificateFacts | null;
  /** Names the configuration asks for. */
  domains: string[];
  policy: RenewalPolicy;
  force: boolean;
  now: Date;
  /** Makes the spread stable per certificate: the same certificate renews at the same point on every run. */
  spreadKey: string;
  /** The CA's suggested renewal window (RFC 9773), when it offers one for this certificate: it takes precedence. */
  ari?: RenewalWindow | null;
}

/**
 * Stable, machine-readable reasons (for alert rules and API clients); the words say the same with dates and numbers.
 */
export type DueCode =
  'due.forced' | 'due.first-issuance' | 'due.names-uncovered' | 'due.expired' | 'due.ari-window' | 'due.window';
export type NotDueCode = 'not-due.window' | 'not-due.ari-window';

export type RenewalDecision =
  | { due: true; code: DueCode; reason: string; renewAt?: Date }
  | { due: false; code: NotDueCode; reason: string; renewAt: Date };

/** Pure: is this certificate due for renewal, and why. */
export function decideRenewal(input: RenewalInput): RenewalDecision {
  const { current, now } = input;
  if (input.force) return { due: true, code: 'due.forced', reason: 'forced by the caller' };
  if (!current) return { due: true, code: 'due.first-issuance', reason: 'no certificate is in use: first issuance' };

  const missing = input.domains.filter((d) => !current.names.some((n) => n.toLowerCase() === d));
  if (missing.length > 0) {
    return {
      due: true,
      code: 'due.names-uncovered',
      reason: `the certificate in use does not cover ${missing.join(', ')}`,
    };
  }

  const remainingMs = current.notAfter.getTime() - now.getTime();
  if (remainingMs <= 0) {
    return {
      due: true,
      code: 'due.expired',
      reason: `expired at ${current.notAfter.toISOString()}`,
      renewAt: current.notAfter,
    };
  }
  const left = `${formatDays(remainingMs)} left (expires ${current.notAfter.toISOString()})`;

  if (input.ari) {
    // RFC 9773 §4.2: pick a point within the window at random; here stable per certificate, like the spread.
    const { start, end } = input.ari;
    const at = new Date(start.getTime() + (end.getTime() - start.getTime()) * unitHash(input.spreadKey));
    const window = `the CA's renewal window ${start.toISOString()} – ${end.toISOString()}`;
    if (now.getTime() >= at.getTime())
      return { due: true, code: 'due.ari-window', reason: `${left}; inside ${window}`, renewAt: at };
    return {
      due: false,
      code: 'not-due.ari-window',
      reason: `${left}; renews at ${at.toISOString()} within ${window}`,
      renewAt: at,
    };
  }

  const lifetimeMs = lifetimeOf(current);
  const windowMs = renewalWindowMs(input.policy, lifetimeMs, input.spreadKey);
  const renewAt = new Date(current.notAfter.getTime() - windowMs);
  const capped = input.policy.daysBeforeExpiry !== undefined && input.policy.daysBeforeExpiry * DAY_MS > lifetimeMs / 2;
  const rule =
    input.policy.daysBeforeExpiry !== undefined
      ? `${input.policy.daysBeforeExpiry} days before expiry${capped ? ', capped at half the lifetime' : ''}`
      : `${formatFraction(input.policy.remainingFraction ?? 1 / 3)} of a ${formatDays(lifetimeMs)} lifetime left`;
  if (now.getTime() >= renewAt.getTime()) {
    return {
      due: true,
      code: 'due.window',
      reason: `${left}; renewal window (${rule}) opened ${renewAt.toISOString()}`,
      renewAt,
    };
  }
  return {
    due: false,
    code: 'not-due.window',
    reason: `${left}; renews from ${renewAt.toISOString()} (${rule})`,
    renewAt,
  };
}

export function lifetimeOf(current: CurrentCertificateFacts): number {
  if (current.notBefore) return current.notAfter.getTime() - current.notBefore.getTime();
  const sinceUpload = current.uploadedAt ? current.notAfter.getTime() - current.uploadedAt.getTime() : 0;
  return Math.max(sinceUpload, ASSUMED_MIN_LIFETIME_MS);
}

/** How long before notAfter renewal starts, spread earlier by a stable per-certificate amount. */
export function renewalWindowMs(policy: RenewalPolicy, lifetimeMs: number, spreadKey: string): number {
  // A fixed rule longer than half the lifetime (60 days on a 45-day certificate) would order on every run.
  const base =
    policy.daysBeforeExpiry !== undefined
      ? Math.min(policy.daysBeforeExpiry * DAY_MS, lifetimeMs / 2)
      : (policy.remainingFraction ?? 1 / 3) * lifetimeMs;
  return Math.min(base + policy.spread * lifetimeMs * unitHash(spreadKey), lifetimeMs);
}

/** A number in [0, 1) derived from the key: deterministic, so fleets spread out but each certificate is stable. */
export function unitHash(key: string): number {
  return createHash('sha256').update(key).digest().readUInt32BE(0) / 0x1_0000_0000;
}

function formatDays(ms: number): string {
  const days = ms / DAY_MS;
  return `${days >= 10 ? Math.round(days) : days.toFixed(1)} days`;
}

function formatFraction(f: number): string {
  return Math.abs(f - 1 / 3) < 1e-9 ? '1/3' : `${Math.round(f * 1000) / 10}%`;
}
