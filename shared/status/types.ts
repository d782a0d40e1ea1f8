/**
 * The status of every managed certificate, as `slb-cert-rotator status`, `GET /status` and the status page show it.
 * Stateless: built from what SLB reports and the tags the rotator writes. Field names are a contract (API clients).
 */
export const CERTIFICATE_STATES = ['ok', 'due', 'overdue', 'expired', 'drift', 'unreachable'] as const;
/**
 * - `ok`: served everywhere it should be, outside its renewal window.
 * - `due`: inside its renewal window; the next run renews it.
 * - `overdue`: due for longer than the configured grace: the rotation is failing.
 * - `expired`: the certificate in use has expired.
 * - `drift`: a target serves something other than the managed certificate.
 * - `unreachable`: the wire check (`--wire`) could not connect to a target.
 */
export type CertificateState = (typeof CERTIFICATE_STATES)[number];

export interface StatusTarget {
  /** `lb-id:port` for a listener, `lb-id:port/domain(extension-id)` for an SNI domain extension. */
  target: string;
  kind: 'listener' | 'domain-extension';
  /** What the target serves now. */
  serverCertificateId: string;
  /** False when the target serves another certificate than the managed one (drift). */
  servesManaged: boolean;
  /** Only with a wire check: what a TLS connection presented. */
  wire?: 'verified' | 'stale' | 'unreachable';
  wireDetail?: string;
}

export interface CertificateStatus {
  certificate: string;
  region: string;
  domains: string[];
  state: CertificateState;
  /** Stable machine-readable reason (`ok.window`, `due.window`, `overdue.grace`, `drift.target`, …). */
  code: string;
  /** The same in words. */
  reason: string;
  /** The managed certificate in use now; null when none is uploaded yet. */
  serverCertificateId: string | null;
  fingerprint: string | null;
  /** ISO-8601 notAfter. */
  expireTime: string | null;
  expireTimeStamp: number | null;
  /** Whole and fractional days until expiry (negative once expired); null without a certificate. */
  daysLeft: number | null;
  /** The lifetime used for the renewal decision, in days (for a days-left bar); null without a certificate. */
  lifetimeDays: number | null;
  /** When the certificate becomes (or became) due; null without a certificate. */
  renewAt: string | null;
  targets: StatusTarget[];
}

/** An endpoint the rotator does not manage but checks (`watch` in the configuration). */
export interface WatchStatus {
  /** `host:port` as configured. */
  endpoint: string;
  servername: string;
  state: 'ok' | 'expiring' | 'expired' | 'invalid' | 'unreachable';
  reason: string;
  expireTime: string | null;
  daysLeft: number | null;
  names: string[];
  issuer: string | null;
}

export interface StatusReport {
  event: 'rotation.status';
  /** ISO-8601: when the report was made. */
  generatedAt: string;
  certificates: CertificateStatus[];
  watch: WatchStatus[];
}
