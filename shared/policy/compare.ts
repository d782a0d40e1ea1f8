import { matchesFingerprint } from '../certs/fingerprint.js';

/** What the CA issued, computed locally from the leaf. */
export interface IssuedFacts {
  sha1: string;
  sha256: string;
  notAfter: Date;
}

/** What SLB reports for a certificate (Upload response or Describe item). */
export interface ReportedFacts {
  fingerprint: string;
  expireTimeStamp: number;
}

export type Verdict =
  | { verdict: 'ok'; daysGained: number | null }
  | { verdict: 'mismatch'; reason: string }
  | { verdict: 'unchanged'; reason: string }
  | { verdict: 'regressed'; reason: string };

/**
 * Pure: compares what SLB reports for the uploaded certificate with what was issued, and with the certificate it
 * replaces. Called once before upload (with `reported` = null, on local facts only) and once after.
 * ExpireTimeStamp is compared at second precision: notAfter has no milliseconds and SLB reports whole seconds.
 */
export function compareCertificates(input: {
  issued: IssuedFacts;
  reported: ReportedFacts | null;
  previous: ReportedFacts | null;
  /**
   * The caller forced the run (a key to replace, say): a certificate that expires with the one in use is then no
   * regression. Right after a rotation the CA can issue one in the same second, with the same notAfter.
   */
  forced?: boolean;
}): Verdict {
  const { issued, reported, previous } = input;
  const issuedExpiry = Math.floor(issued.notAfter.getTime() / 1000);
  if (reported) {
    if (!matchesFingerprint(reported.fingerprint, issued)) {
      return {
        verdict: 'mismatch',
        reason: `SLB reports fingerprint ${reported.fingerprint}, the issued leaf is sha1 ${issued.sha1} / sha256 ${issued.sha256}`,
      };
    }
    if (Math.floor(reported.expireTimeStamp / 1000) !== issuedExpiry) {
      return {
        verdict: 'mismatch',
        reason: `SLB reports ExpireTimeStamp ${reported.expireTimeStamp} (${isoOrRaw(reported.expireTimeStamp)}), the issued leaf expires ${issued.notAfter.toISOString()}`,
      };
    }
  }
  if (!previous) return { verdict: 'ok', daysGained: null };
  if (matchesFingerprint(previous.fingerprint, issued)) {
    return {
      verdict: 'unchanged',
      reason: `the issued certificate is the one already in use (${previous.fingerprint})`,
    };
  }
  const previousExpiry = Math.floor(previous.expireTimeStamp / 1000);
  if (issuedExpiry < previousExpiry || (issuedExpiry === previousExpiry && !input.forced)) {
    return {
      verdict: 'regressed',
      reason: `the issued certificate expires ${issued.notAfter.toISOString()}, not later than the one in use (${isoOrRaw(previous.expireTimeStamp)})`,
    };
  }
  return { verdict: 'ok', daysGained: daysBetween(previousExpiry * 1000, issuedExpiry * 1000) };
}

function isoOrRaw(ms: number): string {
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? String(ms) : d.toISOString();
}

/** Days from one epoch-ms instant to another, to one decimal: the outcome record's `daysGained`. */
export function daysBetween(fromMs: number, toMs: number): number {
  return Math.round(((toMs - fromMs) / 86_400_000) * 10) / 10;
}
