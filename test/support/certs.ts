/**
 * Test certificates made at runtime with the openssl CLI (already required by the Pebble sandbox): a root and an
 * intermediate CA (P-256, fast) and RSA leaves with chosen names. Nothing here is trusted by anything.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface TestCa {
  certPem: string;
  keyPath: string;
  certPath: string;
}

export interface TestLeaf {
  certPem: string;
  /** PKCS#8, as openssl writes it. */
  keyPem: string;
}

export interface TestPki {
  root: TestCa;
  intermediate: TestCa;
  leaf(names: string[], options?: { keyPem?: string; days?: number; issuer?: TestCa }): Promise<TestLeaf>;
  /** A second, unrelated chain's intermediate, for wrong-issuer cases. */
  dispose(): Promise<void>;
}

async function openssl(args: string[], cwd: string): Promise<void> {
  await run('openssl', args, { cwd });
}

let serial = Date.now();
const nextSerial = () => `0x${(serial++).toString(16)}`;

export async function createTestPki(): Promise<TestPki> {
  const dir = await mkdtemp(join(tmpdir(), 'test-pki-'));
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  await openssl(
    [
      'req',
      '-x509',
      ...ec,
      '-keyout',
      'root.key',
      '-out',
      'root.pem',
      '-days',
      '30',
      '-subj',
      '/CN=Test Root',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ],
    dir,
  );
  await writeFile(
    join(dir, 'ca.ext'),
    'basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\n',
  );
  await openssl(['req', ...ec, '-keyout', 'int.key', '-out', 'int.csr', '-subj', '/CN=Test Intermediate'], dir);
  await openssl(
    [
      'x509',
      '-req',
      '-in',
      'int.csr',
      '-CA',
      'root.pem',
      '-CAkey',
      'root.key',
      '-set_serial',
      nextSerial(),
      '-days',
      '30',
      '-extfile',
      'ca.ext',
      '-out',
      'int.pem',
    ],
    dir,
  );
  const ca = async (name: string): Promise<TestCa> => ({
    certPem: await readFile(join(dir, `${name}.pem`), 'utf8'),
    certPath: join(dir, `${name}.pem`),
    keyPath: join(dir, `${name}.key`),
  });
  const root = await ca('root');
  const intermediate = await ca('int');

  let n = 0;
  return {
    root,
    intermediate,
    async leaf(names, options = {}) {
      const id = `leaf${n++}`;
      const keyPath = join(dir, `${id}.key`);
      if (options.keyPem) await writeFile(keyPath, options.keyPem, { mode: 0o600 });
      else await openssl(['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', keyPath], dir);
      await openssl(['req', '-new', '-key', keyPath, '-out', `${id}.csr`, '-subj', `/CN=${names[0] ?? 'leaf'}`], dir);
      await writeFile(
        join(dir, `${id}.ext`),
        [
          `subjectAltName=${names.map((x) => `DNS:${x}`).join(',')}`,
          'basicConstraints=critical,CA:FALSE',
          'keyUsage=critical,digitalSignature,keyEncipherment',
          'extendedKeyUsage=serverAuth',
          '',
        ].join('\n'),
      );
      const issuer = options.issuer ?? intermediate;
      await openssl(
        [
          'x509',
          '-req',
          '-in',
          `${id}.csr`,
          '-CA',
          issuer.certPath,
          '-CAkey',
          issuer.keyPath,
          '-set_serial',
          nextSerial(),
          '-days',
          String(options.days ?? 10),
          '-extfile',
          `${id}.ext`,
          '-out',
          `${id}.pem`,
        ],
        dir,
      );
      return {
        certPem: await readFile(join(dir, `${id}.pem`), 'utf8'),
        keyPem: await readFile(keyPath, 'utf8'),
      };
    },
    async dispose() {
      await rm(dir, { recursive: true, force: true });
    },
  };
}
