import { execFile, execFileSync } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../shared/config/load-config.js';
import { ConfigError } from '../../../shared/errors.js';
import { clearRegisteredSecrets, registeredSecrets } from '../../../shared/log/secret-values.js';

/**
 * The ACME account key and the EAB HMAC key are checked where they are loaded: every wrong value or wrong kind of
 * file is refused with a message naming the field and the source, never the content, and never by hanging.
 */

const base = `
acme:
  directory: letsencrypt-staging
  termsOfServiceAgreed: true
  SECRET_LINE
defaults:
  region: cn-hangzhou
certificates:
  - name: www
    domains: [example.com]
`;
const withAccountKey = (ref: string) => base.replace('SECRET_LINE', `accountKey: ${ref}`);
const withEab = (ref: string) => base.replace('SECRET_LINE', `externalAccountBinding: {kid: kid-1, hmacKey: ${ref}}`);

type Pem = { pem: string };
const pem = (type: 'rsa' | 'ec' | 'ed25519', options: object, encoding: object): Pem => ({
  pem: generateKeyPairSync(type as 'rsa', { ...options, privateKeyEncoding: { format: 'pem', ...encoding } } as never)
    .privateKey as unknown as string,
});

let dir: string;
let keys: Record<string, Pem>;
let certificatePem: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rotator-secrets-'));
  keys = {
    rsa2048pkcs1: pem('rsa', { modulusLength: 2048 }, { type: 'pkcs1' }),
    rsa2048pkcs8: pem('rsa', { modulusLength: 2048 }, { type: 'pkcs8' }),
    rsa1024: pem('rsa', { modulusLength: 1024 }, { type: 'pkcs8' }),
    p256sec1: pem('ec', { namedCurve: 'prime256v1' }, { type: 'sec1' }),
    p256pkcs8: pem('ec', { namedCurve: 'prime256v1' }, { type: 'pkcs8' }),
    p384: pem('ec', { namedCurve: 'secp384r1' }, { type: 'pkcs8' }),
    p521: pem('ec', { namedCurve: 'secp521r1' }, { type: 'pkcs8' }),
    secp256k1: pem('ec', { namedCurve: 'secp256k1' }, { type: 'pkcs8' }),
    ed25519: pem('ed25519', {}, { type: 'pkcs8' }),
    encrypted: pem(
      'ec',
      { namedCurve: 'prime256v1' },
      { type: 'pkcs8', cipher: 'aes-256-cbc', passphrase: 'correct horse battery' },
    ),
  };
  await promisify(execFile)(
    'openssl',
    ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', '/CN=test'].concat([
      '-keyout',
      join(dir, 'cert-key.pem'),
      '-out',
      join(dir, 'cert.pem'),
      '-days',
      '1',
    ]),
  );
  certificatePem = await readFile(join(dir, 'cert.pem'), 'utf8');
  // `openssl ecparam -genkey` writes an EC PARAMETERS block before the key: a common, valid account key file.
  const params = execFileSync('openssl', ['ecparam', '-name', 'prime256v1', '-genkey'], { encoding: 'utf8' });
  keys.withParams = { pem: params };
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

beforeEach(() => clearRegisteredSecrets());

async function load(text: string, env: Record<string, string> = {}) {
  return parseConfig(text, 'rotator.yaml', env);
}

async function problems(text: string, env: Record<string, string> = {}): Promise<string> {
  try {
    await load(text, env);
  } catch (err) {
    if (err instanceof ConfigError) return err.issues.join('\n');
    throw err;
  }
  throw new Error('the configuration was accepted');
}

/** Every 16-character run of `secret` that is not PEM armour: none may appear in a message. */
function fragments(secret: string): string[] {
  const body = secret.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, '');
  const out: string[] = [];
  for (let i = 0; i + 16 <= body.length; i += 16) out.push(body.slice(i, i + 16));
  return out;
}

function expectNoEcho(message: string, secret: string): void {
  for (const f of fragments(secret)) expect(message).not.toContain(f);
}

describe('acme.accountKey: accepted keys (RSA 2048-4096, ECDSA P-256/P-384, unencrypted)', () => {
  for (const name of ['rsa2048pkcs1', 'rsa2048pkcs8', 'p256sec1', 'p256pkcs8', 'p384', 'withParams']) {
    it(`${name}, from the environment and from a file`, async () => {
      const key = (keys[name] as Pem).pem;
      const fromEnv = await load(withAccountKey('{env: KEY}'), { KEY: key });
      expect(fromEnv.acme.accountKeyPem).toMatch(/^-----BEGIN (RSA |EC )?PRIVATE KEY-----\n/);
      expect(fromEnv.acme.accountKeyPem).not.toContain('EC PARAMETERS');
      const file = join(dir, `${name}.pem`);
      await writeFile(file, key, { mode: 0o600 });
      const fromFile = await load(withAccountKey(`{file: ${file}}`));
      expect(fromFile.acme.accountKeyPem).toBe(fromEnv.acme.accountKeyPem);
    });
  }

  it('registers the loaded key for redaction by value, whole and line by line', async () => {
    const key = (keys.p256pkcs8 as Pem).pem;
    await load(withAccountKey('{env: KEY}'), { KEY: key });
    const registered = registeredSecrets();
    expect(registered).toContain(key.trim());
    const firstLine = key.split('\n')[1] as string;
    expect(registered).toContain(firstLine);
  });
});

describe('acme.accountKey: refused values name the field and the source, never the content', () => {
  const cases: { name: string; value: () => string; expected: RegExp }[] = [
    { name: 'a certificate', value: () => certificatePem, expected: /holds a CERTIFICATE and no private key/ },
    {
      name: 'a certificate and its key',
      value: () => certificatePem + (keys.p256pkcs8 as Pem).pem,
      expected: /holds a CERTIFICATE besides the private key/,
    },
    {
      name: 'two keys',
      value: () => (keys.p256pkcs8 as Pem).pem + (keys.p384 as Pem).pem,
      expected: /holds 2 private keys/,
    },
    {
      name: 'random text',
      value: () => `not a key at all ${randomBytes(24).toString('hex')}`,
      expected: /holds no PEM block/,
    },
    {
      name: 'a PEM flattened with literal \\n',
      value: () => (keys.p256pkcs8 as Pem).pem.trim().replaceAll('\n', '\\n'),
      expected: /literal \\n sequences/,
    },
    {
      name: 'a key with broken base64',
      value: () => (keys.p256pkcs8 as Pem).pem.replace(/\n[A-Za-z0-9+/]{10}/, '\n!!!!!!!!!!'),
      expected: /is not valid PEM/,
    },
    {
      name: 'a truncated key',
      value: () => {
        const lines = (keys.rsa2048pkcs8 as Pem).pem.trim().split('\n');
        return [...lines.slice(0, 4), lines.at(-1)].join('\n');
      },
      expected: /does not parse as a private key/,
    },
    { name: 'an encrypted key', value: () => (keys.encrypted as Pem).pem, expected: /holds an encrypted private key/ },
    { name: 'RSA 1024', value: () => (keys.rsa1024 as Pem).pem, expected: /RSA key of 1024 bits/ },
    { name: 'EC P-521', value: () => (keys.p521 as Pem).pem, expected: /EC key on curve secp521r1/ },
    { name: 'EC secp256k1', value: () => (keys.secp256k1 as Pem).pem, expected: /EC key on curve secp256k1/ },
    { name: 'Ed25519', value: () => (keys.ed25519 as Pem).pem, expected: /holds an ed25519 key/ },
  ];
  for (const c of cases) {
    it(`${c.name} (environment variable)`, async () => {
      const value = c.value();
      const found = await problems(withAccountKey('{env: ROTATOR_ACME_ACCOUNT_KEY}'), {
        ROTATOR_ACME_ACCOUNT_KEY: value,
      });
      expect(found).toMatch(/^rotator\.yaml: acme\.accountKey: environment variable ROTATOR_ACME_ACCOUNT_KEY /);
      expect(found).toMatch(c.expected);
      expectNoEcho(found, value);
    });
    it(`${c.name} (file)`, async () => {
      const value = c.value();
      const file = join(dir, 'wrong-key.pem');
      await writeFile(file, value);
      const found = await problems(withAccountKey(`{file: ${file}}`));
      expect(found).toContain(`rotator.yaml: acme.accountKey: file ${file} `);
      expect(found).toMatch(c.expected);
      expectNoEcho(found, value);
    });
  }
});

describe('secret files that are not readable regular files of a sane size', () => {
  const fields: { field: string; text: (ref: string) => string }[] = [
    { field: 'acme.accountKey', text: withAccountKey },
    { field: 'acme.externalAccountBinding.hmacKey', text: withEab },
  ];
  const kinds: { name: string; path: () => Promise<string>; expected: RegExp }[] = [
    {
      name: 'a FIFO without a writer (must not hang)',
      path: async () => {
        const path = join(dir, `fifo-${randomBytes(4).toString('hex')}`);
        execFileSync('mkfifo', [path]);
        return path;
      },
      expected: /is a FIFO \(named pipe\), not a regular file/,
    },
    {
      name: 'a directory',
      path: async () => {
        const path = join(dir, `dir-${randomBytes(4).toString('hex')}`);
        await mkdir(path);
        return path;
      },
      expected: /is a directory, not a regular file/,
    },
    { name: 'an endless device', path: async () => '/dev/zero', expected: /is a character device/ },
    {
      name: 'a huge file',
      path: async () => {
        const path = join(dir, 'huge.pem');
        await writeFile(path, Buffer.alloc(5 * 1024 * 1024, 'A'));
        return path;
      },
      expected: /is 5242880 bytes; the limit is 16 KiB/,
    },
    {
      name: 'a binary file (a DER key)',
      path: async () => {
        const path = join(dir, 'key.der');
        const der = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({
          type: 'pkcs8',
          format: 'der',
        });
        await writeFile(path, der);
        return path;
      },
      expected: /is (binary|not UTF-8 text)/,
    },
    { name: 'a missing file', path: async () => join(dir, 'missing.pem'), expected: /cannot be read \(ENOENT\)/ },
    {
      name: 'a path through a file',
      path: async () => {
        const file = join(dir, 'plain.txt');
        await writeFile(file, 'x');
        return join(file, 'key.pem');
      },
      expected: /cannot be read \(ENOTDIR\)/,
    },
    {
      name: 'a symlink loop',
      path: async () => {
        const path = join(dir, `loop-${randomBytes(4).toString('hex')}`);
        await symlink(path, path);
        return path;
      },
      expected: /cannot be read \(ELOOP\)/,
    },
    {
      name: 'an empty file',
      path: async () => {
        const path = join(dir, 'empty.pem');
        await writeFile(path, '\n\n');
        return path;
      },
      expected: /is empty/,
    },
  ];
  for (const { field, text } of fields) {
    for (const kind of kinds) {
      it(`${field}: ${kind.name}`, async () => {
        const path = await kind.path();
        const found = await problems(text(`{file: "${path}"}`));
        expect(found).toContain(`rotator.yaml: ${field}: file ${path} `);
        expect(found).toMatch(kind.expected);
      }, 10_000);
    }
  }

  it('a huge environment variable is refused by its size', async () => {
    const found = await problems(withAccountKey('{env: KEY}'), { KEY: 'A'.repeat(100_000) });
    expect(found).toMatch(/acme\.accountKey: environment variable KEY holds 100000 bytes; the limit is 16 KiB/);
  });
});

describe('acme.externalAccountBinding.hmacKey', () => {
  it('accepts a base64url key and registers it for redaction', async () => {
    const hmacKey = randomBytes(32).toString('base64url');
    const c = await load(withEab('{env: EAB}'), { EAB: `${hmacKey}\n` });
    expect(c.acme.externalAccountBinding).toEqual({ kid: 'kid-1', hmacKey });
    expect(registeredSecrets()).toContain(hmacKey);
  });

  const cases: { name: string; value: () => string; expected: RegExp }[] = [
    {
      name: 'standard base64 with + and /',
      value: () => `${randomBytes(30).toString('base64url')}+/+/`,
      expected: /is not base64url: it contains "\+" or "\/"/,
    },
    {
      name: 'a PEM key in the wrong field',
      value: () => (keys.p256pkcs8 as Pem).pem,
      expected: /holds a PEM block/,
    },
    {
      name: 'text with spaces',
      value: () => `my hmac key is ${randomBytes(16).toString('hex')}`,
      expected: /is not base64url: it contains whitespace/,
    },
    {
      name: 'a quoted value',
      value: () => `"${randomBytes(32).toString('base64url')}"`,
      expected: /is not base64url: it contains a character outside/,
    },
    { name: 'too short', value: () => randomBytes(8).toString('base64url'), expected: /decodes to 8 bytes/ },
    {
      name: 'an impossible length',
      value: () => `${randomBytes(30).toString('base64url')}A`,
      expected: /its length is not possible/,
    },
    { name: 'far too long', value: () => 'A'.repeat(5000), expected: /holds 5000 characters/ },
  ];
  for (const c of cases) {
    it(`refuses ${c.name}, naming the field and the variable`, async () => {
      const value = c.value();
      const found = await problems(withEab('{env: ROTATOR_ACME_EAB_HMAC}'), { ROTATOR_ACME_EAB_HMAC: value });
      expect(found).toMatch(
        /^rotator\.yaml: acme\.externalAccountBinding\.hmacKey: environment variable ROTATOR_ACME_EAB_HMAC /,
      );
      expect(found).toMatch(c.expected);
      expectNoEcho(found, value);
      // Refused, but it was read: a later echo of it is still scrubbed.
      if (value.trim().length >= 8) expect(registeredSecrets()).toContain(value.trim());
    });
  }
});
