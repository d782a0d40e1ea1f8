import type { RotatorError } from '../errors.js';

/** A server certificate as SLB reports it (UploadServerCertificate response or DescribeServerCertificates item). */
export interface ServerCertificate {
  serverCertificateId: string;
  serverCertificateName: string;
  regionId: string;
  /** As SLB reports it; compare only through `normalizeFingerprint`. */
  fingerprint: string;
  /** notAfter in epoch milliseconds, as SLB reports it. */
  expireTimeStamp: number;
  /** ISO-8601 as SLB reports it (`2019-05-18T06:34:24Z`). */
  expireTime: string;
  createTimeStamp: number | undefined;
  commonName: string | undefined;
  subjectAlternativeNames: string[];
  tags: Record<string, string>;
}

/** A certificate the CA just issued, checked and ready for SLB. */
export interface IssuedCertificate {
  /** Leaf first, then intermediates; LF line ends, no blank lines. */
  certificatePem: string;
  /** PKCS#1 (`BEGIN RSA PRIVATE KEY`): the only RSA form CLB accepts. Never log. */
  privateKeyPem: string;
  /** Lowercase hex, no separators, of the leaf's DER. */
  sha1: string;
  sha256: string;
  notBefore: Date;
  notAfter: Date;
  serialNumber: string;
  /** DNS names in the leaf's subjectAltName. */
  dnsNames: string[];
  /** RFC 9773 certificate identifier, base64url(AKI keyIdentifier) "." base64url(serial); undefined without an AKI. */
  ariCertId?: string;
  /**
   * Set when the certificate was issued but a challenge record could not be removed: the certificate is good (and
   * throwing it away would cost a CA order), but the outcome must say that a TXT record is left behind.
   */
  cleanupError?: RotatorError;
}

/** The SLB places that serve a certificate: an HTTPS listener's default certificate or an SNI domain extension. */
export type Target =
  | { kind: 'listener'; regionId: string; loadBalancerId: string; port: number }
  | {
      kind: 'domain-extension';
      regionId: string;
      loadBalancerId: string;
      port: number;
      domainExtensionId: string;
      domain: string;
    };

export interface TargetBinding {
  target: Target;
  serverCertificateId: string;
}

export function describeTarget(t: Target): string {
  return t.kind === 'listener'
    ? `${t.loadBalancerId}:${t.port}`
    : `${t.loadBalancerId}:${t.port}/${t.domain}(${t.domainExtensionId})`;
}
