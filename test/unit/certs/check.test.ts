import { createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CheckInput, checkCertificate, checkValidity, nameCovers } from '../../../shared/certs/check.js';
import { CertificateCheckError } from '../../../shared/errors.js';
import { createTestPki, type TestPki } from '../../support/certs.js';

const pkcs1 = (pem: string) => createPrivateKey(pem).export({ type: 'pkcs1', format: 'pem' }) as string;

let pki: TestPki;
let good: CheckInput;
let leafPem: string;
let leafPkcs8: string;
let otherKey: string;
let strangerLeaf: string;
let strangerIntermediate: string;

beforeAll(async () => {
  pki = await createTestPki();
  const leaf = await pki.leaf(['example.com', '*.example.com', 'www.example.org']);
  leafPem = leaf.certPem;
  leafPkcs8 = leaf.keyPem;
  good = { certificatePem: leafPem + pki.intermediate.certPem, privateKeyPem: pkcs1(leaf.keyPem) };
  otherKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({
    type: 'pkcs1',
    format: 'pem',
  }) as string;
  const stranger = await createTestPki();
  strangerIntermediate = stranger.intermediate.certPem;
  strangerLeaf = (await stranger.leaf(['example.com'], { keyPem: leafPkcs8 })).certPem;
  await stranger.dispose();
}, 30_000);
afterAll(() => pki?.dispose());

const domains = ['example.com', '*.example.com', 'api.example.com', 'www.example.org'];

describe('nameCovers', () => {
  it.each([
    ['example.com', 'example.com', true],
    ['EXAMPLE.com', 'example.COM.', true],
    ['*.example.com', 'api.example.com', true],
    ['*.example.com', '*.example.com', true],
    ['*.example.com', 'example.com', false],
    ['*.example.com', 'a.b.example.com', false],
    ['*.example.com', 'apiexample.com', false],
    ['api.example.com', '*.example.com', false],
    ['*.a.example.com', '*.example.com', false],
    ['example.com', 'www.example.com', false],
  ])('%s covers %s: %s', (certName, domain, expected) => {
    expect(nameCovers(certName, domain)).toBe(expected);
  });
});

describe('checkCertificate', () => {
  it('accepts a correct leaf + intermediate with a PKCS#1 key', () => {
    expect(() => checkCertificate(good, domains)).not.toThrow();
  });

  it('accepts the chain with the root appended', () => {
    expect(() =>
      checkCertificate({ ...good, certificatePem: good.certificatePem + pki.root.certPem }, domains),
    ).not.toThrow();
  });

  const cases: [string, () => CheckInput, string[], string, RegExp][] = [
    [
      'blank line between certificates',
      () => ({ ...good, certificatePem: `${leafPem}\n${pki.intermediate.certPem}` }),
      domains,
      'PEM_LAYOUT',
      /certificate PEM layout: blank line/,
    ],
    [
      'CRLF in the key',
      () => ({ ...good, privateKeyPem: good.privateKeyPem.replace(/\n/g, '\r\n') }),
      domains,
      'PEM_LAYOUT',
      /private key PEM layout: .*CR/,
    ],
    ['PKCS#8 key', () => ({ ...good, privateKeyPem: leafPkcs8 }), domains, 'KEY_NOT_PKCS1', /PKCS#1/],
    [
      'encrypted key',
      () => ({
        ...good,
        privateKeyPem: createPrivateKey(leafPkcs8).export({
          type: 'pkcs1',
          format: 'pem',
          cipher: 'aes-128-cbc',
          passphrase: 'x',
        }) as string,
      }),
      domains,
      'KEY_ENCRYPTED',
      /encrypted/,
    ],
    [
      'EC key',
      () => ({
        ...good,
        privateKeyPem: generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({
          type: 'sec1',
          format: 'pem',
        }) as string,
      }),
      domains,
      'KEY_NOT_RSA',
      /not RSA/,
    ],
    [
      'key of another certificate',
      () => ({ ...good, privateKeyPem: otherKey }),
      domains,
      'KEY_MISMATCH',
      /does not match the leaf/,
    ],
    [
      'a configured name the leaf lacks',
      () => good,
      [...domains, 'shop.example.net'],
      'NAME_NOT_COVERED',
      /does not cover shop\.example\.net/,
    ],
    ['a deeper name under the wildcard', () => good, ['a.b.example.com'], 'NAME_NOT_COVERED', /a\.b\.example\.com/],
    [
      'intermediate first',
      () => ({ ...good, certificatePem: pki.intermediate.certPem + leafPem }),
      domains,
      'CHAIN_ORDER',
      /CA certificate: the leaf must come first/,
    ],
    [
      'leaf followed by the root (intermediate missing)',
      () => ({ ...good, certificatePem: leafPem + pki.root.certPem }),
      domains,
      'CHAIN_ORDER',
      /is not issued by certificate 2/,
    ],
    [
      'intermediate of another CA with the same subject',
      () => ({ ...good, certificatePem: leafPem + strangerIntermediate }),
      domains,
      'CHAIN_ORDER',
      /not issued by/,
    ],
    [
      'leaf of another CA under our intermediate',
      () => ({ ...good, certificatePem: strangerLeaf + pki.intermediate.certPem }),
      ['example.com'],
      'CHAIN_ORDER',
      /not issued by/,
    ],
    [
      'a private key in the certificate field',
      () => ({ ...good, certificatePem: good.certificatePem + good.privateKeyPem }),
      domains,
      'CHAIN_FOREIGN_BLOCK',
      /RSA PRIVATE KEY, not a CERTIFICATE/,
    ],
    ['no certificate', () => ({ ...good, certificatePem: '' }), domains, 'CHAIN_EMPTY', /no certificate/],
  ];

  it.each(cases)('rejects %s', (_name, input, names, code, message) => {
    let caught: unknown;
    try {
      checkCertificate(input(), names);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(CertificateCheckError);
    const err = caught as CertificateCheckError;
    expect({ code: err.code, stage: err.stage }).toEqual({ code, stage: 'check' });
    expect(err.message).toMatch(message);
    const keyLines = good.privateKeyPem.split('\n').filter((l) => l.length === 64);
    for (const line of keyLines.slice(0, 5)) expect(err.message).not.toContain(line.slice(0, 20));
  });

  it('rejects an expired certificate', () => {
    const later = new Date(Date.now() + 400 * 86_400_000);
    expect(() => checkCertificate(good, domains, { now: later })).toThrow(
      expect.objectContaining({
        code: 'EXPIRED',
        message: expect.stringMatching(/^leaf certificate CN=example\.com .* expired at /),
      }),
    );
  });
});

describe('checkValidity', () => {
  const d = (s: string) => new Date(s);
  it.each([
    ['valid', d('2026-01-01'), d('2026-04-01'), d('2026-02-01'), undefined],
    ['notAfter before notBefore', d('2026-04-01'), d('2026-01-01'), d('2026-02-01'), 'VALIDITY_INVERTED'],
    ['notAfter equal to notBefore', d('2026-01-01'), d('2026-01-01'), d('2025-02-01'), 'VALIDITY_INVERTED'],
    ['expired', d('2026-01-01'), d('2026-04-01'), d('2026-04-01'), 'EXPIRED'],
    ['unreadable', d('nonsense'), d('2026-04-01'), d('2026-02-01'), 'VALIDITY_UNREADABLE'],
  ])('%s', (_name, notBefore, notAfter, now, code) => {
    const run = () => checkValidity({ notBefore, notAfter }, now);
    if (code === undefined) expect(run).not.toThrow();
    else expect(run).toThrow(expect.objectContaining({ code }));
  });
});
