import { execFile } from 'node:child_process';
import { createPrivateKey } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * A self-signed RSA certificate for the sandbox to start from: "the certificate someone uploaded by hand that
 * expires in a few days". Made with the openssl CLI (Node cannot create certificates itself).
 */
export async function makeExpiringCertificate(
  domains: string[],
  days: number,
): Promise<{ certificatePem: string; privateKeyPem: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'rotator-seed-'));
  try {
    const cn = (domains.find((d) => !d.startsWith('*.')) ?? domains[0] ?? 'example.com').replace(/^\*\./, '');
    await run(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
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
    // openssl writes PKCS#8; CLB (and so the emulator) accepts RSA keys only as PKCS#1.
    const privateKeyPem = createPrivateKey(await readFile(join(dir, 'key.pem'), 'utf8'))
      .export({ type: 'pkcs1', format: 'pem' })
      .toString();
    return { certificatePem, privateKeyPem };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
