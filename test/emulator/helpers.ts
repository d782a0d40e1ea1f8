import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';
import RPCClient from '@alicloud/pop-core';
import { expect } from 'vitest';
import type { Emulator } from '../../sandbox/emulator/index.js';

export interface TestKey {
  /** `BEGIN RSA PRIVATE KEY` (or `BEGIN EC PRIVATE KEY`): what CLB accepts. */
  pkcs1: string;
  /** `BEGIN PRIVATE KEY`: what acme-client and OpenSSL 3 produce by default. */
  pkcs8: string;
}

export function rsaKey(): TestKey {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    pkcs1: privateKey.export({ type: 'pkcs1', format: 'pem' }).toString(),
    pkcs8: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
}

export function ecKey(): TestKey {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  return {
    pkcs1: privateKey.export({ type: 'sec1', format: 'pem' }).toString(),
    pkcs8: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
}

/** A self-signed leaf from the openssl CLI, independent of the emulator's own parsing. */
export function selfSigned(key: TestKey, options: { cn: string; sans?: string[]; days?: number }): string {
  const sans = options.sans ?? [options.cn];
  // openssl cannot read the key from a piped stdin; a private temp file is removed at once.
  const dir = mkdtempSync(join(tmpdir(), 'emu-cert-'));
  try {
    const keyFile = join(dir, 'key.pem');
    writeFileSync(keyFile, key.pkcs8, { mode: 0o600 });
    return execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-new',
        '-key',
        keyFile,
        '-subj',
        `/CN=${options.cn}`,
        '-addext',
        `subjectAltName=${sans.map((s) => `DNS:${s}`).join(',')}`,
        '-days',
        String(options.days ?? 90),
        '-sha256',
      ],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * A certificate put straight into the emulator's state (no API call), as a listener's starting point; returns its
 * ServerCertificateId. Takes the emulator's `slb` or a hand-wired `Slb`.
 */
export function importedCertificateId(
  slb: Pick<Emulator['slb'], 'importCertificate'>,
  regionId: string,
  name: string,
  key: TestKey,
  certificatePem: string,
): string {
  return slb.importCertificate(regionId, { certificatePem, privateKeyPem: key.pkcs1, name }).ServerCertificateId;
}

export type ProductName = 'slb' | 'alidns';

export interface Creds {
  accessKeyId: string;
  accessKeySecret: string;
  securityToken?: string;
}

/** The real, unmodified pop-core client pointed at the emulator. */
export function popClient(emu: Emulator, product: ProductName, creds: Creds = emu.credentials): RPCClient {
  return new RPCClient({
    endpoint: emu.endpoint,
    apiVersion: product === 'slb' ? '2014-05-15' : '2015-01-09',
    accessKeyId: creds.accessKeyId,
    accessKeySecret: creds.accessKeySecret,
    ...(creds.securityToken ? { securityToken: creds.securityToken } : {}),
  });
}

// pop-core bodies are untyped JSON with null prototypes.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Body = any;

export function call(
  client: RPCClient,
  action: string,
  params: Record<string, unknown> = {},
  method: 'GET' | 'POST' = 'POST',
): Promise<Body> {
  return client.request<Body>(action, params, { method, timeout: 10_000 });
}

export interface CallFailure {
  code: string;
  message: string;
  /** HTTP status, from pop-core's `entry` (pop-core itself ignores it). */
  status: number | undefined;
  data: Body;
}

/** Resolves to the pop-core error (code, status, body) of a call that must fail. */
export async function callError(
  client: RPCClient,
  action: string,
  params: Record<string, unknown> = {},
  method: 'GET' | 'POST' = 'POST',
): Promise<CallFailure> {
  let body: Body;
  try {
    body = await call(client, action, params, method);
  } catch (err) {
    const e = err as { code?: string; message: string; data?: Body; entry?: { response?: { statusCode?: number } } };
    if (e.code === undefined) throw err;
    return { code: e.code, message: e.message, status: e.entry?.response?.statusCode, data: e.data };
  }
  throw new Error(`${action} succeeded but was expected to fail: ${JSON.stringify(body).slice(0, 300)}`);
}

export async function expectCode(promise: Promise<CallFailure>, code: string): Promise<CallFailure> {
  const e = await promise;
  expect(e.code, e.message).toBe(code);
  return e;
}

/** The leaf a TLS listener presents for `servername`, as lowercase colon hex SHA-1 (like SLB's Fingerprint). */
export function servedFingerprint(endpoint: { host: string; port: number }, servername: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: endpoint.host, port: endpoint.port, servername, rejectUnauthorized: false }, () => {
      const cert = socket.getPeerX509Certificate();
      socket.destroy();
      if (!cert) reject(new Error('no peer certificate'));
      else resolve(cert.fingerprint.toLowerCase());
    });
    socket.setTimeout(5000, () => socket.destroy(new Error('TLS connect timeout')));
    socket.on('error', reject);
  });
}
