/**
 * Local checks before anything goes to SLB. CLB's own errors for these cases are vague (`KeyFormatError`,
 * `InvalidParameter`) and arrive only after an upload attempt; a failure here names the problem.
 */
import type { X509Certificate } from 'node:crypto';
import { CertificateCheckError } from '../errors.js';
import { pemLayoutProblems } from './pem.js';
import { keyPemForm, parsePrivateKey } from './private-key.js';
import { describeCert, dnsNamesOf, parseCertificateChain, validityOf } from './x509.js';

export interface CheckInput {
  /** Leaf first, then intermediates, exactly as it will be uploaded. */
  certificatePem: string;
  /** Exactly as it will be uploaded. */
  privateKeyPem: string;
}

export interface CheckOptions {
  now?: Date;
}

function normalizeName(name: string): string {
  return name.trim().toLowerCase().replace(/\.$/, '');
}

/**
 * Whether a certificate name covers a configured domain: exact match, or a wildcard (`*.example.com`) covering
 * exactly one more label on the left (`a.example.com`, not `example.com` or `a.b.example.com`). A configured
 * wildcard is covered only by the same wildcard.
 */
export function nameCovers(certName: string, domain: string): boolean {
  const c = normalizeName(certName);
  const d = normalizeName(domain);
  if (c === d) return true;
  if (!c.startsWith('*.') || d.startsWith('*.')) return false;
  const dot = d.indexOf('.');
  return dot > 0 && d.slice(dot + 1) === c.slice(2);
}

/** Configured domains no certificate name covers, in configuration order. */
export function uncoveredDomains(certNames: readonly string[], domains: readonly string[]): string[] {
  return domains.filter((d) => !certNames.some((n) => nameCovers(n, d)));
}

/** notAfter must follow notBefore and lie in the future. */
export function checkValidity(validity: { notBefore: Date; notAfter: Date }, now: Date, what = 'certificate'): void {
  const { notBefore, notAfter } = validity;
  if (Number.isNaN(notBefore.getTime()) || Number.isNaN(notAfter.getTime())) {
    throw new CertificateCheckError(`${what} has an unreadable validity period`, { code: 'VALIDITY_UNREADABLE' });
  }
  if (notAfter.getTime() <= notBefore.getTime()) {
    throw new CertificateCheckError(
      `${what} notAfter ${notAfter.toISOString()} is not after notBefore ${notBefore.toISOString()}`,
      { code: 'VALIDITY_INVERTED' },
    );
  }
  if (notAfter.getTime() <= now.getTime()) {
    throw new CertificateCheckError(`${what} expired at ${notAfter.toISOString()}`, { code: 'EXPIRED' });
  }
}

/** Each certificate must be issued (name and signature) by the one after it. */
export function checkChainOrder(certs: readonly X509Certificate[]): void {
  const [leaf] = certs;
  if (leaf?.ca) {
    throw new CertificateCheckError(
      `the first certificate (${describeCert(leaf)}) is a CA certificate: the leaf must come first`,
      { code: 'CHAIN_ORDER' },
    );
  }
  for (let i = 0; i + 1 < certs.length; i++) {
    const child = certs[i] as X509Certificate;
    const parent = certs[i + 1] as X509Certificate;
    if (!child.checkIssued(parent) || !child.verify(parent.publicKey)) {
      throw new CertificateCheckError(
        `certificate ${i + 1} (${describeCert(child)}) is not issued by certificate ${i + 2} (${describeCert(parent)}): ` +
          'the chain must be leaf first, then each issuer',
        { code: 'CHAIN_ORDER' },
      );
    }
  }
}

/**
 * Every pre-upload check; throws the first failure as a CertificateCheckError whose `code` names it:
 * PEM_LAYOUT, KEY_NOT_PKCS1 / KEY_ENCRYPTED / KEY_NOT_RSA, KEY_MISMATCH, NAME_NOT_COVERED, CHAIN_ORDER,
 * VALIDITY_INVERTED / EXPIRED.
 */
export function checkCertificate(input: CheckInput, domains: readonly string[], options: CheckOptions = {}): void {
  const now = options.now ?? new Date();

  // Before the layout check: a legacy encrypted key's header block contains a blank line, and "encrypted" is the
  // message the operator needs.
  const form = keyPemForm(input.privateKeyPem);
  const key = parsePrivateKey(input.privateKeyPem);

  for (const [what, text] of [
    ['certificate', input.certificatePem],
    ['private key', input.privateKeyPem],
  ] as const) {
    const problems = pemLayoutProblems(text);
    if (problems.length > 0) {
      throw new CertificateCheckError(`${what} PEM layout: ${problems.join('; ')}`, { code: 'PEM_LAYOUT' });
    }
  }

  const certs = parseCertificateChain(input.certificatePem);
  const leaf = certs[0] as X509Certificate;
  // Before the key match: with the chain out of order, "key does not match" would point at the wrong problem.
  checkChainOrder(certs);

  if (key.asymmetricKeyType !== 'rsa') {
    throw new CertificateCheckError(`private key is ${key.asymmetricKeyType ?? 'of unknown type'}, not RSA`, {
      code: 'KEY_NOT_RSA',
    });
  }
  if (form !== 'pkcs1') {
    throw new CertificateCheckError(`private key is ${form}; CLB needs PKCS#1 ("BEGIN RSA PRIVATE KEY")`, {
      code: 'KEY_NOT_PKCS1',
    });
  }
  if (!leaf.checkPrivateKey(key)) {
    throw new CertificateCheckError(`private key does not match the leaf certificate ${describeCert(leaf)}`, {
      code: 'KEY_MISMATCH',
    });
  }

  const missing = uncoveredDomains(dnsNamesOf(leaf), domains);
  if (missing.length > 0) {
    throw new CertificateCheckError(
      `leaf certificate ${describeCert(leaf)} does not cover ${missing.join(', ')} (its names: ${dnsNamesOf(leaf).join(', ') || 'none'})`,
      { code: 'NAME_NOT_COVERED' },
    );
  }

  for (const [i, cert] of certs.entries()) {
    checkValidity(
      validityOf(cert),
      now,
      i === 0 ? `leaf certificate ${describeCert(cert)}` : `chain certificate ${i + 1} (${describeCert(cert)})`,
    );
  }
}
