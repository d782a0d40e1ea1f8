import { X509Certificate } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fingerprintsOf, matchesFingerprint, normalizeFingerprint } from '../../../shared/certs/fingerprint.js';
import { createTestPki, type TestPki } from '../../support/certs.js';

let pki: TestPki;
let pem: string;
let x509: X509Certificate;

beforeAll(async () => {
  pki = await createTestPki();
  pem = (await pki.leaf(['a.example.com'])).certPem;
  x509 = new X509Certificate(pem);
});
afterAll(() => pki?.dispose());

describe('normalizeFingerprint', () => {
  it.each([
    ['68:08:1a:f8:2c', '68081af82c'],
    ['01:DF:AB:CD', '01dfabcd'],
    [' 01 df ab cd ', '01dfabcd'],
    ['01dfabcd', '01dfabcd'],
  ])('%j → %j', (input, expected) => {
    expect(normalizeFingerprint(input)).toBe(expected);
  });
});

describe('fingerprintsOf', () => {
  it('agrees with Node’s own fingerprints, from PEM, DER and X509Certificate alike', () => {
    const expected = {
      sha1: normalizeFingerprint(x509.fingerprint),
      sha256: normalizeFingerprint(x509.fingerprint256),
    };
    expect(expected.sha1).toMatch(/^[0-9a-f]{40}$/);
    expect(expected.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(fingerprintsOf(pem)).toEqual(expected);
    expect(fingerprintsOf(x509.raw)).toEqual(expected);
    expect(fingerprintsOf(x509)).toEqual(expected);
  });

  it('uses the first certificate of a chain', () => {
    expect(fingerprintsOf(pem + pki.intermediate.certPem)).toEqual(fingerprintsOf(pem));
  });
});

describe('matchesFingerprint', () => {
  const colons = (hex: string) => hex.match(/../g)?.join(':') ?? '';
  it.each<[string, (f: { sha1: string; sha256: string }) => string | undefined, boolean]>([
    ['SHA-1 as SLB shows it (lowercase, colons)', (f) => colons(f.sha1), true],
    ['SHA-1 uppercase with colons', (f) => colons(f.sha1).toUpperCase(), true],
    ['SHA-256 with colons', (f) => colons(f.sha256), true],
    ['SHA-256 bare', (f) => f.sha256, true],
    ['another certificate’s hash', (f) => f.sha1.replace(/^./, (c) => (c === '0' ? '1' : '0')), false],
    ['a prefix of the hash', (f) => f.sha1.slice(0, 20), false],
    ['empty', () => '', false],
    ['missing', () => undefined, false],
    ['not hex', () => 'zz:zz', false],
  ])('%s → %s', (_name, reported, expected) => {
    const f = fingerprintsOf(x509);
    expect(matchesFingerprint(reported(f), f)).toBe(expected);
  });
});
