import type { X509Certificate } from 'node:crypto';
import type { IssuedCertificate } from '../domain/certificate.js';
import { ariCertId } from './ari.js';
import { type CheckOptions, checkCertificate } from './check.js';
import { fingerprintsOf } from './fingerprint.js';
import { normalizePem } from './pem.js';
import { toPkcs1Pem } from './private-key.js';
import { dnsNamesOf, parseCertificateChain, validityOf } from './x509.js';

/**
 * Turn what the CA returned into the upload-ready form (canonical PEM, PKCS#1 key) and run every pre-upload check
 * on exactly that form, so an `IssuedCertificate` is never unchecked. Throws CertificateCheckError.
 */
export function inspectIssued(
  chainPem: string,
  keyPem: string,
  domains: readonly string[],
  options: CheckOptions = {},
): IssuedCertificate {
  const certificatePem = normalizePem(chainPem);
  const privateKeyPem = toPkcs1Pem(keyPem);
  checkCertificate({ certificatePem, privateKeyPem }, domains, options);
  const leaf = parseCertificateChain(certificatePem)[0] as X509Certificate;
  const { notBefore, notAfter } = validityOf(leaf);
  const ariId = ariCertId(leaf);
  return {
    certificatePem,
    privateKeyPem,
    ...fingerprintsOf(leaf),
    notBefore,
    notAfter,
    serialNumber: leaf.serialNumber.toLowerCase(),
    dnsNames: dnsNamesOf(leaf),
    ...(ariId ? { ariCertId: ariId } : {}),
  };
}
