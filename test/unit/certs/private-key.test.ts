import { createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { generateRsaPrivateKeyPem, keyPemForm, toPkcs1Pem } from '../../../shared/certs/private-key.js';
import { CertificateCheckError } from '../../../shared/errors.js';

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
const pkcs1 = rsa.export({ type: 'pkcs1', format: 'pem' }) as string;
const pkcs8 = rsa.export({ type: 'pkcs8', format: 'pem' }) as string;
const encPkcs8 = rsa.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'pw' }) as string;
const encPkcs1 = rsa.export({ type: 'pkcs1', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'pw' }) as string;
const ec = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey;
const ecSec1 = ec.export({ type: 'sec1', format: 'pem' }) as string;
const ecPkcs8 = ec.export({ type: 'pkcs8', format: 'pem' }) as string;
/** Any 24 base64 characters from the middle of the key body: must never show up in a message. */
const keyFragment = (pem: string) =>
  pem
    .split('\n')
    .filter((l) => l.length > 0 && !l.startsWith('-----') && !l.includes(':'))[1]
    ?.slice(0, 24) ?? 'no key body';

describe('generateRsaPrivateKeyPem', () => {
  it.each([['rsa-2048', 2048] as const, ['rsa-3072', 3072] as const])(
    '%s gives an unencrypted PKCS#1 key of %d bits',
    async (keyType, bits) => {
      const pem = await generateRsaPrivateKeyPem(keyType);
      expect(pem.startsWith('-----BEGIN RSA PRIVATE KEY-----\n')).toBe(true);
      expect(keyPemForm(pem)).toBe('pkcs1');
      const key = createPrivateKey(pem);
      expect(key.asymmetricKeyType).toBe('rsa');
      expect(key.asymmetricKeyDetails?.modulusLength).toBe(bits);
    },
    20_000,
  );
});

describe('keyPemForm', () => {
  it.each([
    ['pkcs1', pkcs1],
    ['pkcs8', pkcs8],
    ['encrypted-pkcs8', encPkcs8],
    ['encrypted-pkcs1', encPkcs1],
    ['ec', ecSec1],
    ['none', '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n'],
    ['multiple', pkcs1 + pkcs1],
  ])('%s', (form, pem) => {
    expect(keyPemForm(pem)).toBe(form);
  });
});

describe('toPkcs1Pem', () => {
  it.each([
    ['PKCS#1', pkcs1],
    ['PKCS#8', pkcs8],
    ['PKCS#1 with CRLF', pkcs1.replace(/\n/g, '\r\n')],
  ])('converts %s to the same PKCS#1 key', (_name, pem) => {
    const out = toPkcs1Pem(pem);
    expect(out).toBe(pkcs1);
  });

  it.each([
    ['encrypted PKCS#8', 'KEY_ENCRYPTED', /encrypted/, encPkcs8],
    ['encrypted PKCS#1', 'KEY_ENCRYPTED', /encrypted/, encPkcs1],
    ['EC (SEC1)', 'KEY_NOT_RSA', /ec, not RSA/, ecSec1],
    ['EC (PKCS#8)', 'KEY_NOT_RSA', /ec, not RSA/, ecPkcs8],
    [
      'garbage in a key block',
      'KEY_MALFORMED',
      /cannot be parsed/,
      '-----BEGIN PRIVATE KEY-----\nAAAAAAAA\n-----END PRIVATE KEY-----\n',
    ],
    ['no key', 'KEY_MISSING', /no private key/, 'hello'],
  ])('rejects %s with %s and no key material in the message', (_name, code, message, pem) => {
    let caught: unknown;
    try {
      toPkcs1Pem(pem);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(CertificateCheckError);
    const err = caught as CertificateCheckError;
    expect(err.code).toBe(code);
    expect(err.message).toMatch(message);
    expect(err.message).not.toContain(keyFragment(pem));
    expect(err.cause).toBeUndefined();
  });
});
