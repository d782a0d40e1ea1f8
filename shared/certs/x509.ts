import { X509Certificate } from 'node:crypto';
import { CertificateCheckError } from '../errors.js';
import { splitPem } from './pem.js';

/** Every CERTIFICATE block of a bundle, parsed, in order. Non-certificate blocks are an error, not ignored. */
export function parseCertificateChain(chainPem: string): X509Certificate[] {
  const blocks = splitPem(chainPem);
  if (blocks.length === 0) {
    throw new CertificateCheckError('certificate PEM contains no certificate', { code: 'CHAIN_EMPTY' });
  }
  return blocks.map((block, i) => {
    if (block.label !== 'CERTIFICATE') {
      // A key pasted into the certificate field would otherwise be uploaded as part of the chain.
      throw new CertificateCheckError(`certificate PEM block ${i + 1} is a ${block.label}, not a CERTIFICATE`, {
        code: 'CHAIN_FOREIGN_BLOCK',
      });
    }
    try {
      return new X509Certificate(block.der);
    } catch {
      throw new CertificateCheckError(`certificate ${i + 1} in the chain cannot be parsed`, {
        code: 'CERT_MALFORMED',
      });
    }
  });
}

/** dNSName entries of the subjectAltName extension (Node quotes unusual names as JSON strings). */
export function dnsNamesOf(cert: X509Certificate): string[] {
  const san = cert.subjectAltName;
  if (!san) return [];
  const names: string[] = [];
  for (const m of san.matchAll(/(?:^|, )DNS:("(?:[^"\\]|\\.)*"|[^,]*)/g)) {
    const raw = m[1] ?? '';
    names.push(raw.startsWith('"') ? (JSON.parse(raw) as string) : raw);
  }
  return names;
}

export function validityOf(cert: X509Certificate): { notBefore: Date; notAfter: Date } {
  // `validFromDate`/`validToDate` exist only from Node 22.
  return { notBefore: new Date(cert.validFrom), notAfter: new Date(cert.validTo) };
}

/** Short, secret-free name of a certificate for messages: its subject CN (or subject) and serial. */
export function describeCert(cert: X509Certificate): string {
  const cn = /(?:^|\n)CN=([^\n]*)/.exec(cert.subject)?.[1];
  return `${cn ? `CN=${cn}` : cert.subject.replace(/\n/g, ', ')} (serial ${cert.serialNumber.toLowerCase()})`;
}
