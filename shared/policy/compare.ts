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

/** True when SLB's fingerprint is the SHA-1 or SHA-256 of the issued leaf: the hash SLB uses is undocumented. */
export function sameCertificate(reportedFingerprint: string, issued: Pick<IssuedFacts, 'sha1' | 'sha256'>): boolean {
  return matchesFingerprint(reportedFingerprint, issued);
}

/**
 * Pure: compares what SLB reports for the uploaded certificate with what was issued, and with the certificate it
 * replaces. Called once before upload (with `reported` = null, on local facts only) and once after.
 * ExpireTimeStamp is compared at second precision: notAfter has no milliseconds and SLB reports whole seconds.
 */
export function compareCertificates(input: {
  issued: IssuedFacts;
  reported: ReportedFacts | null;
  previous: ReportedFacts | null;
}): Verdict {
  const { issued, reported, previous } = input;
  const issuedExpiry = Math.floor(issued.notAfter.getTime() / 1000);
  if (reported) {
    if (!sameCertificate(reported.fingerprint, issued)) {
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
  if (sameCertificate(previous.fingerprint, issued)) {
    return {
      verdict: 'unchanged',
      reason: `the issued certificate is the one already in use (${previous.fingerprint})`,
    };
  }
  const previousExpiry = Math.floor(previous.expireTimeStamp / 1000);
  if (issuedExpiry <= previousExpiry) {
    return {
      verdict: 'regressed',
      reason: `the issued certificate expires ${issued.notAfter.toISOString()}, not later than the one in use (${isoOrRaw(previous.expireTimeStamp)})`,
    };
  }
  return { verdict: 'ok', daysGained: round1((issuedExpiry - previousExpiry) / 86_400) };
}

function isoOrRaw(ms: number): string {
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? String(ms) : d.toISOString();
}

function round1(n: number): number {
  return Math.round(n * 10) / 10;
}
