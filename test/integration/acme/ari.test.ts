// RFC 9773 renewal information against Pebble 2.4, which has no ARI: the test front (test/support/ari-front.ts)
// serves Pebble's directory with `renewalInfo` added; everything else is the real CA.
import { execFile } from 'node:child_process';
import { randomUUID, X509Certificate } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AcmeCertificateAuthority } from '../../../shared/adapters/acme/acme-certificate-authority.js';
import { AcmeRenewalInfo } from '../../../shared/adapters/acme/renewal-info.js';
import { AuthoritativePropagationChecker } from '../../../shared/adapters/dns/authoritative-propagation.js';
import { ariCertId } from '../../../shared/certs/ari.js';
import type { IssuedCertificate } from '../../../shared/domain/certificate.js';
import { AcmeError } from '../../../shared/errors.js';
import { type AriFront, startAriFront } from '../../support/ari-front.js';
import { challtestsrvDns } from '../../support/challtestsrv-dns.js';
import { pebbleEnv } from '../../support/env.js';
import { pooledCertificateKey } from '../../support/key-pool.js';
import { recordingLogger } from '../../support/recording-logger.js';

const run = promisify(execFile);
const fronts: AriFront[] = [];
let issued: IssuedCertificate;
let tmp: string;

async function front(options: Partial<Parameters<typeof startAriFront>[0]> = {}): Promise<AriFront> {
  const f = await startAriFront({ upstreamDirectoryUrl: pebbleEnv().directoryUrl, ...options });
  fronts.push(f);
  return f;
}

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'ari-it-'));
  const env = pebbleEnv();
  const ca = new AcmeCertificateAuthority({
    certificateKeys: pooledCertificateKey,
    directoryUrl: env.directoryUrl,
    dns: challtestsrvDns(env.challtestsrvUrl),
    propagation: new AuthoritativePropagationChecker({ servers: [env.dnsServer], initialIntervalMs: 20 }),
    backoff: { attempts: 30, minMs: 25, maxMs: 250 },
  });
  issued = await ca.issue({ domains: [`ari-${randomUUID().slice(0, 8)}.rotator.test`], keyType: 'rsa-2048' });
});
afterEach(async () => {
  await Promise.all(fronts.splice(0).map((f) => f.close()));
});
afterAll(() => (tmp ? rm(tmp, { recursive: true, force: true }) : undefined));

describe('ariCertId of a Pebble-issued leaf', () => {
  it('is the AKI and serial that openssl reads from the certificate', async () => {
    const path = join(tmp, 'leaf.pem');
    await writeFile(path, issued.certificatePem);
    const text = (await run('openssl', ['x509', '-in', path, '-noout', '-text'])).stdout;
    const aki = /X509v3 Authority Key Identifier:\s*\n\s*(?:keyid:)?([0-9A-F:]+)\s*\n/.exec(text)?.[1];
    expect(aki).toMatch(/^[0-9A-F]{2}(:[0-9A-F]{2})+$/);
    const serialHex = (await run('openssl', ['x509', '-in', path, '-noout', '-serial'])).stdout.trim().split('=')[1];

    expect(issued.ariCertId).toBeDefined();
    expect(issued.ariCertId).toBe(ariCertId(issued.certificatePem));
    const [keyIdPart, serialPart] = (issued.ariCertId as string).split('.') as [string, string];
    expect(Buffer.from(keyIdPart, 'base64url').toString('hex')).toBe((aki as string).replace(/:/g, '').toLowerCase());
    const serialOctets = Buffer.from(serialPart, 'base64url');
    expect(BigInt(`0x${serialOctets.toString('hex')}`)).toBe(BigInt(`0x${serialHex}`));
    // The octet count as openssl's DER dump gives it: a leading 0x00, when the CA needed one, is part of the id.
    const dump = (await run('openssl', ['asn1parse', '-in', path])).stdout;
    const serialLength = /^\s*\d+:d=2\s+hl=\d+\s+l=\s*(\d+)\s+prim:\s+INTEGER/m.exec(dump)?.[1];
    expect(serialOctets.length).toBe(Number(serialLength));
    // The AKI names Pebble's intermediate: its subjectKeyIdentifier.
    const intermediate = new X509Certificate(issued.certificatePem.split(/(?<=-----END CERTIFICATE-----\n)/)[1] ?? '');
    const intPath = join(tmp, 'int.pem');
    await writeFile(intPath, intermediate.toString());
    const intText = (await run('openssl', ['x509', '-in', intPath, '-noout', '-text'])).stdout;
    expect(intText).toMatch(new RegExp(`Subject Key Identifier:\\s*\\n\\s*${aki}`));
  });
});

describe('AcmeRenewalInfo', () => {
  it('resolves to null for Pebble’s own directory (no renewalInfo), over HTTPS trusted via NODE_EXTRA_CA_CERTS', async () => {
    const source = new AcmeRenewalInfo({ directoryUrl: pebbleEnv().directoryUrl });
    await expect(source.renewalWindow(issued.ariCertId as string)).resolves.toBeNull();
  });

  it('reads the directory once per instance when the CA offers no ARI', async () => {
    const f = await front({ withoutRenewalInfo: true });
    const source = new AcmeRenewalInfo({ directoryUrl: f.directoryUrl });
    expect(await source.renewalWindow(issued.ariCertId as string)).toBeNull();
    expect(await source.renewalWindow('aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE')).toBeNull();
    expect(f.directoryRequests()).toBe(1);
    expect(f.requested).toEqual([]);
  });

  it('returns the window the CA suggests, asking for the issued certificate’s ariCertId', async () => {
    const f = await front();
    const start = new Date('2026-12-01T00:00:00Z');
    const end = new Date('2026-12-03T12:00:00Z');
    f.setWindow(issued.ariCertId as string, { start, end, explanationURL: 'https://ca.example/why' });
    const logger = recordingLogger();
    const source = new AcmeRenewalInfo({ directoryUrl: f.directoryUrl, logger });

    const window = await source.renewalWindow(issued.ariCertId as string);
    expect(window).toEqual({ start, end, explanationUrl: 'https://ca.example/why' });
    expect(f.requested).toEqual([issued.ariCertId]);

    // Directory cached; the window is asked for again each time (the CA may move it).
    await source.renewalWindow(issued.ariCertId as string);
    expect(f.directoryRequests()).toBe(1);
    expect(f.requested).toHaveLength(2);
    // Logged by path only.
    expect(logger.text()).toContain(`/renewal-info/${issued.ariCertId}`);
    expect(logger.text()).not.toContain('127.0.0.1');
  });

  it('resolves to null when the CA does not know the certificate (404)', async () => {
    const f = await front();
    const source = new AcmeRenewalInfo({ directoryUrl: f.directoryUrl });
    await expect(source.renewalWindow('aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE')).resolves.toBeNull();
    expect(f.requested).toEqual(['aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE']);
  });

  it('rejects an inverted window with a non-retryable AcmeError naming the problem and the path', async () => {
    const f = await front();
    const id = issued.ariCertId as string;
    f.setWindow(id, { start: '2026-12-03T00:00:00Z', end: '2026-12-01T00:00:00Z' });
    const err = await new AcmeRenewalInfo({ directoryUrl: f.directoryUrl }).renewalWindow(id).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AcmeError);
    expect(err).toMatchObject({ code: 'ariInvalidResponse', retryable: false });
    expect((err as Error).message).toBe(
      `ARI response for /renewal-info/${id}: suggestedWindow.end (2026-12-01T00:00:00.000Z) is not after start (2026-12-03T00:00:00.000Z)`,
    );
  });

  it('rejects an answer that is not JSON', async () => {
    const f = await front();
    const id = issued.ariCertId as string;
    f.setAnswer(id, { status: 200, body: '<html>maintenance</html>', headers: { 'content-type': 'text/html' } });
    await expect(new AcmeRenewalInfo({ directoryUrl: f.directoryUrl }).renewalWindow(id)).rejects.toMatchObject({
      code: 'ariInvalidResponse',
      retryable: false,
      message: expect.stringMatching(/answer is not JSON \(HTTP 200\)$/),
    });
  });

  it('maps a 503 problem to a retryable AcmeError with the problem type', async () => {
    const f = await front();
    const id = issued.ariCertId as string;
    f.setAnswer(id, {
      status: 503,
      body: { type: 'urn:ietf:params:acme:error:serverInternal', detail: 'ARI backend down', status: 503 },
    });
    const err = await new AcmeRenewalInfo({ directoryUrl: f.directoryUrl }).renewalWindow(id).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AcmeError);
    expect(err).toMatchObject({ code: 'serverInternal', retryable: true });
    expect((err as Error).message).toBe(`ARI request /renewal-info/${id} failed: serverInternal (ARI backend down)`);
  });

  it('maps a bare 400 to a non-retryable AcmeError', async () => {
    const f = await front();
    const id = issued.ariCertId as string;
    f.setAnswer(id, { status: 400, body: 'bad' });
    await expect(new AcmeRenewalInfo({ directoryUrl: f.directoryUrl }).renewalWindow(id)).rejects.toMatchObject({
      code: 'HTTP 400',
      retryable: false,
    });
  });

  it('times out with a retryable AcmeError', async () => {
    const f = await front();
    const id = issued.ariCertId as string;
    f.setAnswer(id, { delayMs: 2_000, body: {} });
    const source = new AcmeRenewalInfo({ directoryUrl: f.directoryUrl, timeoutMs: 300 });
    const started = Date.now();
    await expect(source.renewalWindow(id)).rejects.toMatchObject({
      code: 'timeout',
      retryable: true,
      message: `ARI request /renewal-info/${id} failed: no answer within 300 ms`,
    });
    expect(Date.now() - started).toBeLessThan(1_500);
  });

  it('hands back the caller’s abort reason instead of an AcmeError', async () => {
    const f = await front();
    const id = issued.ariCertId as string;
    f.setAnswer(id, { delayMs: 2_000, body: {} });
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('run deadline reached')), 100);
    await expect(
      new AcmeRenewalInfo({ directoryUrl: f.directoryUrl }).renewalWindow(id, { signal: controller.signal }),
    ).rejects.toThrow('run deadline reached');
  });

  it('a CA that cannot be reached: retryable, and the message names neither host nor port', async () => {
    // Not port 1 as elsewhere: fetch refuses the spec's "bad ports" before connecting.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port } = probe.address() as AddressInfo;
    await new Promise((resolve) => probe.close(resolve));
    const source = new AcmeRenewalInfo({ directoryUrl: `https://127.0.0.1:${port}/dir` });
    const err = await source.renewalWindow(issued.ariCertId as string).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'ECONNREFUSED', retryable: true });
    expect((err as Error).message).toBe('ACME directory /dir failed: cannot talk to the CA (ECONNREFUSED)');
  });

  it('a CA whose TLS certificate is not trusted: not retryable, says so (trust is really checked)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ari-untrusted-'));
    try {
      await run(
        'openssl',
        [
          ...['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'],
          ...['-keyout', 'key.pem', '-out', 'cert.pem', '-days', '1', '-subj', '/CN=127.0.0.1'],
          ...['-addext', 'subjectAltName=IP:127.0.0.1'],
        ],
        { cwd: dir },
      );
      const f = await front({ tls: { certPath: join(dir, 'cert.pem'), keyPath: join(dir, 'key.pem') } });
      const err = await new AcmeRenewalInfo({ directoryUrl: f.directoryUrl })
        .renewalWindow(issued.ariCertId as string)
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AcmeError);
      expect(err).toMatchObject({ retryable: false, code: 'DEPTH_ZERO_SELF_SIGNED_CERT' });
      expect((err as Error).message).toMatch(/is the CA’s TLS certificate trusted\?$/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('recovers once the directory can be read after a failure (the failure is not cached)', async () => {
    const f = await front();
    const id = issued.ariCertId as string;
    f.setWindow(id, { start: '2026-12-01T00:00:00Z', end: '2026-12-02T00:00:00Z' });
    const source = new AcmeRenewalInfo({ directoryUrl: f.directoryUrl, timeoutMs: 5_000 });
    const controller = new AbortController();
    controller.abort(new Error('early'));
    await expect(source.renewalWindow(id, { signal: controller.signal })).rejects.toThrow('early');
    await expect(source.renewalWindow(id)).resolves.toMatchObject({ start: new Date('2026-12-01T00:00:00Z') });
  });
});
