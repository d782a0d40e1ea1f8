import { generateRsaPrivateKeyPem } from '../../shared/certs/private-key.js';
import type { KeyType } from '../../shared/ports/certificate-authority.js';

const pool = new Map<KeyType, Promise<string>>();

/**
 * Certificate keys for tests that order many certificates (AcmeCertificateAuthority's `certificateKeys`): one key per
 * key type and process, made by the product's own generator on first use. Generating a 2048-bit RSA key costs up to
 * seconds of CPU on a 2-core machine, hundreds of times per suite; nothing a test checks depends on each
 * certificate having a key of its own (test/unit/certs/private-key.test.ts covers the generator itself).
 */
export function pooledCertificateKey(keyType: KeyType): Promise<string> {
  let key = pool.get(keyType);
  if (!key) {
    key = generateRsaPrivateKeyPem(keyType);
    pool.set(keyType, key);
    key.catch(() => pool.delete(keyType));
  }
  return key;
}
