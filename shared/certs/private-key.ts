/**
 * RSA keys in the only form CLB takes: unencrypted PKCS#1 (`BEGIN RSA PRIVATE KEY`). Errors name the form, never
 * the key.
 */
import { createPrivateKey, generateKeyPair, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { CertificateCheckError } from '../errors.js';
import type { KeyType } from '../ports/certificate-authority.js';
import { type PemBlock, splitPem } from './pem.js';

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

/** Blocks OpenSSL writes next to a key (`openssl ecparam -genkey`) that say nothing the key itself does not. */
const HARMLESS_BESIDE_KEY = new Set(['EC PARAMETERS']);

/**
 * The ACME account key in `pem`, as its one key block in canonical layout, or why the text cannot be one. Accepted
 * are exactly the keys acme-client signs with (RS256 for RSA, ES256/ES384 by curve) that Let's Encrypt's key policy
 * also takes: RSA of 2048, 3072 or 4096 bits and ECDSA P-256 or P-384, unencrypted (acme-client has no passphrase
 * option), alone in the text. A problem describes the text by its PEM labels and key parameters, never its content.
 */
export function readAcmeAccountKey(pem: string): { pem: string } | { problem: string } {
  const problem = accountKeyProblem(pem);
  if (problem !== undefined) return { problem };
  const [key] = splitPem(pem).filter((b) => b.label.endsWith('PRIVATE KEY'));
  return { pem: (key as PemBlock).pem };
}

function accountKeyProblem(pem: string): string | undefined {
  // A PEM pasted into a variable as one line with `\n` escapes is the usual way this goes wrong.
  if (!/[\r\n]/.test(pem.trim()) && pem.includes('\\n')) {
    return 'holds no line breaks but literal \\n sequences: a PEM key needs real line breaks';
  }
  let blocks: ReturnType<typeof splitPem>;
  try {
    blocks = splitPem(pem);
  } catch (err) {
    return `is not valid PEM (${(err as Error).message})`;
  }
  if (blocks.length === 0) {
    return 'holds no PEM block: expected a PEM private key (BEGIN PRIVATE KEY, BEGIN EC PRIVATE KEY or BEGIN RSA PRIVATE KEY)';
  }
  const keys = blocks.filter((b) => b.label.endsWith('PRIVATE KEY'));
  const others = [
    ...new Set(blocks.filter((b) => !keys.includes(b) && !HARMLESS_BESIDE_KEY.has(b.label)).map((b) => b.label)),
  ];
  if (keys.length === 0) return `holds ${others.map((l) => `a ${l}`).join(', ')} and no private key`;
  if (keys.length > 1) return `holds ${keys.length} private keys; give the account key alone`;
  if (others.length > 0) {
    return `holds ${others.map((l) => `a ${l}`).join(', ')} besides the private key; give the account key alone`;
  }
  const form = keyPemForm(pem);
  if (form === 'encrypted-pkcs8' || form === 'encrypted-pkcs1') {
    return 'holds an encrypted private key; the ACME client needs it unencrypted';
  }
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: (keys[0] as (typeof keys)[number]).pem, format: 'pem' });
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'ERR_MISSING_PASSPHRASE')
      return 'holds an encrypted private key; the ACME client needs it unencrypted';
    return `holds a ${keys[0]?.label} block that does not parse as a private key${code ? ` (${code})` : ''}`;
  }
  const details = key.asymmetricKeyDetails ?? {};
  if (key.asymmetricKeyType === 'rsa') {
    const bits = details.modulusLength ?? 0;
    if (bits === 2048 || bits === 3072 || bits === 4096) return undefined;
    return `holds an RSA key of ${bits} bits; an ACME account key must be RSA 2048, 3072 or 4096 bits, or ECDSA P-256 or P-384`;
  }
  if (key.asymmetricKeyType === 'ec') {
    const curve = details.namedCurve ?? 'unknown';
    if (curve === 'prime256v1' || curve === 'secp384r1') return undefined;
    return `holds an EC key on curve ${curve}; an ACME account key must be ECDSA P-256 or P-384, or RSA 2048-4096 bits`;
  }
  return `holds an ${key.asymmetricKeyType ?? 'unknown'} key; an ACME account key must be RSA (2048, 3072 or 4096 bits) or ECDSA P-256 or P-384`;
}
