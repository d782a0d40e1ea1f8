import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ariCertId, ariFields } from '../../../shared/certs/ari.js';
import { inspectIssued } from '../../../shared/certs/inspect.js';
import { CertificateCheckError } from '../../../shared/errors.js';
import { createTestPki, type TestPki } from '../../support/certs.js';

const run = promisify(execFile);

// RFC 9773 §4.1: the issuer's key identifier and the leaf serial of the worked example.
const RFC_KEY_ID = '69:88:5B:6B:87:46:40:41:E1:B3:7B:84:7B:A0:AE:2C:DE:01:C8:D4';
const RFC_CERT_ID = 'aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE';

let dir: string;
let n = 0;

async function openssl(...args: string[]): Promise<string> {
  return (await run('openssl', args, { cwd: dir })).stdout;
}

/** A leaf signed by the example CA (whose subjectKeyIdentifier is the RFC's), with these extensions. */
async function leaf(serial: string, extensions: string | undefined): Promise<string> {
  const id = `leaf${n++}`;
  const args = ['x509', '-req', '-in', 'leaf.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-set_serial', serial];
  if (extensions !== undefined) {
    await writeFile(join(dir, `${id}.ext`), `${extensions}\n`);
    args.push('-extfile', `${id}.ext`);
  }
  await openssl(...args, '-days', '2', '-out', `${id}.pem`);
  return readFile(join(dir, `${id}.pem`), 'utf8');
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ari-test-'));
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  await openssl(
    ...['req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=ARI Example CA'],
    ...['-addext', `subjectKeyIdentifier=${RFC_KEY_ID}`, '-addext', 'authorityKeyIdentifier=none'],
    ...['-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign'],
  );
  await openssl('req', '-new', ...ec, '-keyout', 'leaf.key', '-out', 'leaf.csr', '-subj', '/CN=leaf.example');
});
afterAll(() => (dir ? rm(dir, { recursive: true, force: true }) : undefined));

describe('ariCertId', () => {
  it('matches the RFC 9773 example (serial 00:87:65:43:21 keeps its leading zero)', async () => {
    const pem = await leaf('0x87654321', 'authorityKeyIdentifier=keyid');
    const text = await openssl('x509', '-in', join(dir, `leaf${n - 1}.pem`), '-noout', '-text');
    expect(text).toContain(RFC_KEY_ID);
    expect(ariCertId(pem)).toBe(RFC_CERT_ID);
    expect(ariCertId(new X509Certificate(pem))).toBe(RFC_CERT_ID);
    // Node drops the zero octet: the identifier cannot be built from `serialNumber`.
    expect(new X509Certificate(pem).serialNumber).toBe('87654321');
  });

  it('uses the serial octets as they are when there is no leading zero', async () => {
    const pem = await leaf('0x01234567', 'authorityKeyIdentifier=keyid');
    expect(ariCertId(pem)).toBe('aYhba4dGQEHhs3uEe6CuLN4ByNQ.ASNFZw');
  });

  it('reads an AKI marked critical (the BOOLEAN before extnValue)', async () => {
    const pem = await leaf('0x87654321', 'authorityKeyIdentifier=critical,keyid');
    expect(ariCertId(pem)).toBe(RFC_CERT_ID);
  });

  it('takes the first certificate of a chain', async () => {
    const pem = await leaf('0x87654321', 'authorityKeyIdentifier=keyid');
    const ca = await readFile(join(dir, 'ca.pem'), 'utf8');
    expect(ariCertId(pem + ca)).toBe(RFC_CERT_ID);
  });

  it.each([
    ['an AKI with issuer and serial but no keyIdentifier', 'authorityKeyIdentifier=issuer:always'],
    ['extensions without an AKI', 'authorityKeyIdentifier=none\nbasicConstraints=CA:FALSE'],
    ['a version 1 certificate (no extensions at all)', undefined],
  ])('is undefined for %s', async (_name, extensions) => {
    const pem = await leaf('0x1234', extensions);
    expect(ariCertId(pem)).toBeUndefined();
  });

  it('is undefined for the self-signed example CA, which has no AKI', async () => {
    expect(ariCertId(await readFile(join(dir, 'ca.pem'), 'utf8'))).toBeUndefined();
  });

  it('rejects text without a certificate, and a certificate Node cannot parse', () => {
    expect(() => ariCertId('no pem here')).toThrow(CertificateCheckError);
    const garbage = `-----BEGIN CERTIFICATE-----\n${Buffer.from('not DER').toString('base64')}\n-----END CERTIFICATE-----\n`;
    expect(() => ariCertId(garbage)).toThrow(CertificateCheckError);
  });

  it('ariFields refuses truncated DER instead of reading past it', async () => {
    const der = new X509Certificate(await leaf('0x87654321', 'authorityKeyIdentifier=keyid')).raw;
    expect(ariFields(der).serial.toString('hex')).toBe('0087654321');
    expect(() => ariFields(der.subarray(0, der.length - 20))).toThrow(/malformed/);
    expect(() => ariFields(Buffer.from([0x30, 0x80, 0x00, 0x00]))).toThrow(/malformed/);
  });
});

describe('inspectIssued sets ariCertId', () => {
  let pki: TestPki;
  beforeAll(async () => {
    pki = await createTestPki();
  });
  afterAll(() => pki?.dispose());

  it('to the identifier of the leaf', async () => {
    const { certPem, keyPem } = await pki.leaf(['a.example']);
    const issued = inspectIssued(certPem + pki.intermediate.certPem, keyPem, ['a.example']);
    expect(issued.ariCertId).toBe(ariCertId(certPem));
    expect(issued.ariCertId).toMatch(/^[A-Za-z0-9_-]{27}\.[A-Za-z0-9_-]+$/);
  });
});
