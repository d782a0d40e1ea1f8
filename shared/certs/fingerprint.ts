import { createHash, X509Certificate } from 'node:crypto';
import { splitPem } from './pem.js';

export interface Fingerprints {
  /** Lowercase hex, no separators, of SHA-1 over the DER. */
  sha1: string;
  sha256: string;
}

/** SLB reports `68:08:1a:...` (sometimes uppercase); compare fingerprints only in this form. */
export function normalizeFingerprint(s: string): string {
  return s.replace(/[\s:-]/g, '').toLowerCase();
}

/** Fingerprints of a certificate given as DER, an `X509Certificate`, or PEM text (its first certificate). */
export function fingerprintsOf(cert: Buffer | Uint8Array | X509Certificate | string): Fingerprints {
  let der: Buffer;
  if (cert instanceof X509Certificate) der = cert.raw;
  else if (typeof cert === 'string') {
    const block = splitPem(cert).find((b) => b.label === 'CERTIFICATE');
    if (!block) throw new TypeError('fingerprintsOf: no CERTIFICATE block in the PEM text');
    der = block.der;
  } else der = Buffer.from(cert);
  return {
    sha1: createHash('sha1').update(der).digest('hex'),
    sha256: createHash('sha256').update(der).digest('hex'),
  };
}

/**
 * Whether SLB's reported fingerprint is this certificate. SLB does not document the hash (it looks like SHA-1, but
 * other tools were burned assuming SHA-256), so either matches.
 */
export function matchesFingerprint(reported: string | undefined | null, fingerprints: Fingerprints): boolean {
  if (!reported) return false;
  const n = normalizeFingerprint(reported);
  if (!/^[0-9a-f]+$/.test(n)) return false;
  return n === normalizeFingerprint(fingerprints.sha1) || n === normalizeFingerprint(fingerprints.sha256);
}
