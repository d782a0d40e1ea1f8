import { execFile } from 'node:child_process';
import { createPrivateKey, generateKeyPair } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * One key for every certificate this process seeds. A 2048-bit RSA key costs up to seconds of CPU on a small machine
 * (the test suite seeds hundreds), and nothing depends on seeded certificates having keys of their own: the
 * emulator pairs each upload's certificate with its key, and the rotator replaces both.
 */
let seedKey: Promise<string> | undefined;
const sharedSeedKeyPem = () =>
  (seedKey ??= promisify(generateKeyPair)('rsa', { modulusLength: 2048 }).then(
    ({ privateKey }) => privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
  ));

/**
 * A self-signed RSA certificate for the sandbox to start from: "the certificate someone uploaded by hand that
 * expires in a few days". Made with the openssl CLI (Node cannot create certificates itself).
 */
export async function makeExpiringCertificate(
  domains: string[],
  days: number,
): Promise<{ certificatePem: string; privateKeyPem: string }> {
  const keyPem = await sharedSeedKeyPem();
  const dir = await mkdtemp(join(tmpdir(), 'rotator-seed-'));
  try {
    await writeFile(join(dir, 'key.pem'), keyPem, { mode: 0o600 });
    const cn = (domains.find((d) => !d.startsWith('*.')) ?? domains[0] ?? 'example.com').replace(/^\*\./, '');
    await run(
      'openssl',
      [
        'req',
        '-x509',
        '-key',
        'key.pem',
        '-out',
        'cert.pem',
        '-days',
        String(days),
        '-subj',
        `/CN=${cn}`,
        '-addext',
        `subjectAltName=${domains.map((d) => `DNS:${d}`).join(',')}`,
      ],
      { cwd: dir },
    );
    const certificatePem = await readFile(join(dir, 'cert.pem'), 'utf8');
    // CLB (and so the emulator) accepts RSA keys only as PKCS#1.
    const privateKeyPem = createPrivateKey(keyPem).export({ type: 'pkcs1', format: 'pem' }).toString();
    return { certificatePem, privateKeyPem };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
