import { randomUUID, X509Certificate } from 'node:crypto';
import { Resolver } from 'node:dns/promises';
import { describe, expect, it } from 'vitest';
import {
  AcmeCertificateAuthority,
  type AcmeCertificateAuthorityOptions,
  createAcmeAccount,
} from '../../../shared/adapters/acme/acme-certificate-authority.js';
import { AuthoritativePropagationChecker } from '../../../shared/adapters/dns/authoritative-propagation.js';
import { checkCertificate } from '../../../shared/certs/check.js';
import { AcmeError, DnsChallengeError } from '../../../shared/errors.js';
import type { PropagationChecker, TxtRecordRef } from '../../../shared/ports/dns.js';
import { type ChalltestsrvDnsOptions, challtestsrvDns } from '../../support/challtestsrv-dns.js';
import { pebbleEnv } from '../../support/env.js';
import { recordingLogger } from '../../support/recording-logger.js';

const uniqueZone = () => `r${randomUUID().slice(0, 8)}.rotator.test`;

async function txtAt(fqdn: string): Promise<string[]> {
  const resolver = new Resolver();
  resolver.setServers([pebbleEnv().dnsServer]);
  try {
    return (await resolver.resolveTxt(fqdn)).map((c) => c.join(''));
  } catch (err) {
    if (['ENOTFOUND', 'ENODATA'].includes((err as { code?: string }).code ?? '')) return [];
    throw err;
  }
}

function setup(dnsOptions: ChalltestsrvDnsOptions = {}, extra: Partial<AcmeCertificateAuthorityOptions> = {}) {
  const env = pebbleEnv();
  const dns = challtestsrvDns(env.challtestsrvUrl, dnsOptions);
  const logger = recordingLogger();
  const checker = new AuthoritativePropagationChecker({
    servers: [env.dnsServer],
    initialIntervalMs: 20,
    timeoutMs: 10_000,
  });
  // Records what the name served once each record was confirmed, to see apex and wildcard values side by side.
  const snapshots: string[][] = [];
  const propagation: PropagationChecker = {
    async waitForTxt(record, options) {
      await checker.waitForTxt(record, options);
      snapshots.push(await txtAt(record.fqdn));
    },
  };
  const ca = new AcmeCertificateAuthority({
    directoryUrl: env.directoryUrl,
    dns,
    propagation,
    logger,
    backoff: { attempts: 30, minMs: 25, maxMs: 250 },
    ...extra,
  });
  return { ca, dns, logger, snapshots };
}

function expectNoSecrets(text: string, secrets: string[]): void {
  for (const secret of secrets) {
    const body = secret.split('\n').filter((l) => l.length > 0 && !l.startsWith('-----'));
    for (const line of body.slice(0, 4)) expect(text).not.toContain(line.slice(0, 24));
  }
}

describe('AcmeCertificateAuthority against Pebble', () => {
  it('issues a certificate for one name and removes its TXT record', async () => {
    const { ca, dns, logger } = setup();
    const name = `www.${uniqueZone()}`;
    const issued = await ca.issue({ domains: [name], keyType: 'rsa-2048' });

    expect(issued.dnsNames).toEqual([name]);
    expect(issued.privateKeyPem.startsWith('-----BEGIN RSA PRIVATE KEY-----\n')).toBe(true);
    expect(issued.cleanupError).toBeUndefined();
    // Pebble was started with 90-day leaves.
    expect((issued.notAfter.getTime() - issued.notBefore.getTime()) / 1000).toBeCloseTo(7_776_000, -2);
    const certs = issued.certificatePem.match(/-----BEGIN CERTIFICATE-----/g) ?? [];
    expect(certs.length).toBeGreaterThanOrEqual(2);
    expect(
      new X509Certificate(issued.certificatePem).checkPrivateKey(
        (await import('node:crypto')).createPrivateKey(issued.privateKeyPem),
      ),
    ).toBe(true);
    expect(() => checkCertificate(issued, [name])).not.toThrow();

    expect(dns.added.map((r) => r.fqdn)).toEqual([`_acme-challenge.${name}`]);
    expect(dns.removed).toEqual(dns.added);
    expect(await txtAt(`_acme-challenge.${name}`)).toEqual([]);
    expectNoSecrets(logger.text(), [issued.privateKeyPem]);
  });

  it('issues apex + wildcard in one certificate: two values on one TXT name, both removed', async () => {
    const { ca, dns, snapshots } = setup();
    const zone = uniqueZone();
    const issued = await ca.issue({ domains: [zone, `*.${zone}`], keyType: 'rsa-2048' });

    expect([...issued.dnsNames].sort()).toEqual([`*.${zone}`, zone].sort());
    expect(dns.added).toHaveLength(2);
    expect(new Set(dns.added.map((r) => r.fqdn))).toEqual(new Set([`_acme-challenge.${zone}`]));
    expect(dns.added[0]?.value).not.toBe(dns.added[1]?.value);
    expect(snapshots.some((s) => s.length === 2)).toBe(true);
    const byId = (a: TxtRecordRef, b: TxtRecordRef) => a.recordId.localeCompare(b.recordId);
    expect([...dns.removed].sort(byId)).toEqual([...dns.added].sort(byId));
    expect(await txtAt(`_acme-challenge.${zone}`)).toEqual([]);
  });

  it('passes an ARI `replaces` through without breaking the order', async () => {
    const { ca } = setup();
    const name = uniqueZone();
    const issued = await ca.issue({
      domains: [name],
      keyType: 'rsa-2048',
      replaces: 'aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE',
    });
    expect(issued.dnsNames).toEqual([name]);
  });

  it('maps a failed validation (wrong TXT value) to a non-retryable AcmeError and removes every record', async () => {
    const { ca, dns } = setup({ mangleValue: (v) => `${v}-wrong` });
    const zone = uniqueZone();
    const err = await ca.issue({ domains: [zone, `*.${zone}`], keyType: 'rsa-2048' }).catch((e: unknown) => e);

    expect(err).toBeInstanceOf(AcmeError);
    const e = err as AcmeError;
    expect(e.retryable).toBe(false);
    expect(e.code).toBe('unauthorized');
    expect(e.stage).toBe('issue');
    expect(e.message).toMatch(
      new RegExp(`^ACME challenge for (\\*\\.)?${zone.replace(/\./g, '\\.')} failed: unauthorized \\(`),
    );
    expect(dns.added).toHaveLength(2);
    expect(dns.live()).toEqual([]);
    expect(await txtAt(`_acme-challenge.${zone}`)).toEqual([]);
  });

  it('keeps the original error when removal fails too, and logs the leftover records', async () => {
    const { ca, dns, logger } = setup({
      mangleValue: (v) => `${v}-wrong`,
      failRemoval: () => new Error('Alidns said no'),
    });
    const name = uniqueZone();
    const err = await ca.issue({ domains: [name], keyType: 'rsa-2048' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AcmeError);
    expect(dns.removed).toHaveLength(1);
    const logged = logger.entries.find((x) => x.level === 'error');
    expect(logged?.msg).toMatch(/TXT records left behind after a failed issuance/);
    expect(JSON.stringify(logged?.obj)).toContain(`_acme-challenge.${name}`);
  });

  it('returns the certificate with a cleanupError when only the removal failed', async () => {
    const { ca, logger } = setup({ failRemoval: () => new Error('Alidns said no') });
    const name = uniqueZone();
    const issued = await ca.issue({ domains: [name], keyType: 'rsa-2048' });
    expect(issued.dnsNames).toEqual([name]);
    expect(issued.cleanupError).toBeInstanceOf(DnsChallengeError);
    expect(issued.cleanupError?.code).toBe('TXT_CLEANUP_FAILED');
    expect(issued.cleanupError?.message).toContain(`_acme-challenge.${name} (record 1): Error: Alidns said no`);
    expect(
      logger.entries.some((x) => x.level === 'error' && /certificate issued, but TXT records/.test(x.msg ?? '')),
    ).toBe(true);
  });

  it('removes the records when the caller aborts mid-issuance', async () => {
    const controller = new AbortController();
    const env = pebbleEnv();
    const dns = challtestsrvDns(env.challtestsrvUrl);
    const ca = new AcmeCertificateAuthority({
      directoryUrl: env.directoryUrl,
      dns,
      propagation: {
        async waitForTxt(_record: TxtRecordRef, options) {
          controller.abort(new Error('run deadline reached'));
          options?.signal?.throwIfAborted();
        },
      },
      backoff: { minMs: 25 },
    });
    const name = uniqueZone();
    await expect(ca.issue({ domains: [name], keyType: 'rsa-2048', signal: controller.signal })).rejects.toThrow(
      'run deadline reached',
    );
    expect(dns.added).toHaveLength(1);
    expect(dns.live()).toEqual([]);
  });

  it('when one record never propagates: fails with that error, stops the other wait, removes both', async () => {
    const env = pebbleEnv();
    const dns = challtestsrvDns(env.challtestsrvUrl);
    let siblingAborted = false;
    let calls = 0;
    const ca = new AcmeCertificateAuthority({
      directoryUrl: env.directoryUrl,
      dns,
      propagation: {
        waitForTxt(_record, options) {
          if (calls++ === 0) {
            return new Promise((_resolve, reject) => {
              options?.signal?.addEventListener('abort', () => {
                siblingAborted = true;
                reject(options.signal?.reason);
              });
            });
          }
          return Promise.reject(new DnsChallengeError('TXT never showed up', { retryable: true }));
        },
      },
    });
    const zone = uniqueZone();
    await expect(ca.issue({ domains: [zone, `*.${zone}`], keyType: 'rsa-2048' })).rejects.toThrow(
      'TXT never showed up',
    );
    expect(siblingAborted).toBe(true);
    expect(dns.added).toHaveLength(2);
    expect(dns.live()).toEqual([]);
  });

  it('registers an account for `account create` and issues with that key', async () => {
    const env = pebbleEnv();
    const { accountKeyPem, accountUrl } = await createAcmeAccount({
      directoryUrl: env.directoryUrl,
      email: 'ops@example.com',
    });
    expect(accountKeyPem).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    expect(accountUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/my-account\//);
    const again = await createAcmeAccount({ directoryUrl: env.directoryUrl, accountKeyPem });
    expect(again.accountUrl).toBe(accountUrl);

    const { ca } = setup({}, { accountKeyPem, email: 'ops@example.com' });
    const name = uniqueZone();
    expect((await ca.issue({ domains: [name], keyType: 'rsa-2048' })).dnsNames).toEqual([name]);
  });

  it('rejects a CA that cannot be reached with a retryable AcmeError', async () => {
    // acme-client retries transport failures 5 times, 5 s × attempt apart (75 s): shorten that for this process.
    const acme = (await import('acme-client')).default;
    const settings = (acme.axios.defaults as unknown as { acmeSettings: { retryDefaultDelay: number } }).acmeSettings;
    const saved = settings.retryDefaultDelay;
    settings.retryDefaultDelay = 0;
    try {
      const { ca } = setup({}, { directoryUrl: 'https://127.0.0.1:1/dir' });
      const err = await ca.issue({ domains: [uniqueZone()], keyType: 'rsa-2048' }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AcmeError);
      expect(err).toMatchObject({ retryable: true, code: 'ECONNREFUSED' });
      expect((err as Error).message).toBe(
        'ACME account for https://127.0.0.1:1/dir failed: cannot talk to the CA (ECONNREFUSED)',
      );
    } finally {
      settings.retryDefaultDelay = saved;
    }
  });
});
