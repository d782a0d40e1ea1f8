import { X509Certificate } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { normalizeFingerprint } from '../../../shared/certs/fingerprint.js';
import { inspectIssued } from '../../../shared/certs/inspect.js';
import { CertificateCheckError } from '../../../shared/errors.js';
import { createTestPki, type TestPki } from '../../support/certs.js';

let pki: TestPki;
let leaf: { certPem: string; keyPem: string };

beforeAll(async () => {
  pki = await createTestPki();
  leaf = await pki.leaf(['example.com', '*.example.com']);
});
afterAll(() => pki?.dispose());

describe('inspectIssued', () => {
  it('normalises the chain and key and describes the leaf', () => {
    // As a CA might deliver it: CRLF and a blank line between the certificates; key in PKCS#8.
    const messy = `${leaf.certPem}\n${pki.intermediate.certPem}`.replace(/\n/g, '\r\n');
    const issued = inspectIssued(messy, leaf.keyPem, ['example.com', '*.example.com']);
    const x509 = new X509Certificate(leaf.certPem);
    expect(issued.certificatePem).toBe(leaf.certPem + pki.intermediate.certPem);
    expect(issued.privateKeyPem.startsWith('-----BEGIN RSA PRIVATE KEY-----\n')).toBe(true);
    expect(issued.sha1).toBe(normalizeFingerprint(x509.fingerprint));
    expect(issued.sha256).toBe(normalizeFingerprint(x509.fingerprint256));
    expect(issued.serialNumber).toBe(x509.serialNumber.toLowerCase());
    expect(issued.dnsNames).toEqual(['example.com', '*.example.com']);
    expect(issued.notBefore.getTime()).toBe(new Date(x509.validFrom).getTime());
    expect(issued.notAfter.getTime() - issued.notBefore.getTime()).toBe(10 * 86_400_000);
  });

  it('runs the pre-upload checks', () => {
    expect(() => inspectIssued(leaf.certPem + pki.intermediate.certPem, leaf.keyPem, ['other.example.net'])).toThrow(
      CertificateCheckError,
    );
  });
});
