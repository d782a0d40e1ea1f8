/**
 * RSA keys in the only form CLB takes: unencrypted PKCS#1 (`BEGIN RSA PRIVATE KEY`). Errors name the form, never
 * the key.
 */
import { createPrivateKey, generateKeyPair, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { CertificateCheckError } from '../errors.js';
import type { KeyType } from '../ports/certificate-authority.js';
import { splitPem } from './pem.js';

const generateKeyPairAsync = promisify(generateKeyPair);

export const RSA_BITS: Record<KeyType, number> = { 'rsa-2048': 2048, 'rsa-3072': 3072, 'rsa-4096': 4096 };

/** A fresh RSA key, PKCS#1 PEM. Asynchronous: 4096-bit generation can take seconds. */
export async function generateRsaPrivateKeyPem(keyType: KeyType): Promise<string> {
  const bits = RSA_BITS[keyType];
  if (bits === undefined) throw new TypeError(`unsupported key type: ${String(keyType)}`);
  const { privateKey } = await generateKeyPairAsync('rsa', {
    modulusLength: bits,
    publicExponent: 0x10001,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
  });
  return privateKey;
}

export type KeyPemForm =
  'pkcs1' | 'pkcs8' | 'encrypted-pkcs8' | 'encrypted-pkcs1' | 'ec' | 'other' | 'none' | 'multiple';

/** Which form a private-key PEM is in, from its labels and headers alone (no parsing of key material). */
export function keyPemForm(pem: string): KeyPemForm {
  const keys = splitPem(pem).filter((b) => b.label.endsWith('PRIVATE KEY'));
  if (keys.length === 0) return 'none';
  if (keys.length > 1) return 'multiple';
  const [key] = keys as [(typeof keys)[number]];
  if (key.label === 'ENCRYPTED PRIVATE KEY') return 'encrypted-pkcs8';
  if (key.label === 'RSA PRIVATE KEY') {
    return /ENCRYPTED/i.test(key.headers['Proc-Type'] ?? '') ? 'encrypted-pkcs1' : 'pkcs1';
  }
  if (key.label === 'PRIVATE KEY') return 'pkcs8';
  if (key.label === 'EC PRIVATE KEY') return 'ec';
  return 'other';
}

/** Parse an unencrypted private key, with errors that say what is wrong with it. */
export function parsePrivateKey(pem: string): KeyObject {
  const form = keyPemForm(pem);
  if (form === 'encrypted-pkcs8' || form === 'encrypted-pkcs1') {
    throw new CertificateCheckError(
      `private key is encrypted (${form}); CLB needs an unencrypted PKCS#1 RSA key — decrypt it first`,
      { code: 'KEY_ENCRYPTED' },
    );
  }
  if (form === 'none') throw new CertificateCheckError('no private key PEM block found', { code: 'KEY_MISSING' });
  if (form === 'multiple') {
    throw new CertificateCheckError('more than one private key PEM block found', { code: 'KEY_MULTIPLE' });
  }
  try {
    return createPrivateKey({ key: pem, format: 'pem' });
  } catch (err) {
    // Deliberately no `cause`: keep crypto internals (and anything derived from the key) out of logs.
    const code = (err as { code?: string }).code;
    if (code === 'ERR_MISSING_PASSPHRASE') {
      throw new CertificateCheckError('private key is encrypted; decrypt it first', { code: 'KEY_ENCRYPTED' });
    }
    throw new CertificateCheckError(`private key (${form}) cannot be parsed${code ? ` (${code})` : ''}`, {
      code: 'KEY_MALFORMED',
    });
  }
}

/** Convert an RSA private key (PKCS#1 or PKCS#8) to PKCS#1 PEM; reject encrypted and non-RSA keys. */
export function toPkcs1Pem(pem: string): string {
  const key = parsePrivateKey(pem);
  if (key.asymmetricKeyType !== 'rsa') {
    throw new CertificateCheckError(
      `private key is ${key.asymmetricKeyType ?? 'of unknown type'}, not RSA; CLB takes RSA keys (PKCS#1)`,
      { code: 'KEY_NOT_RSA' },
    );
  }
  return key.export({ type: 'pkcs1', format: 'pem' }) as string;
}
