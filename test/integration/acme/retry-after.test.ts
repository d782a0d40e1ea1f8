// How long a run waits for a CA that asks it to come back later. acme-client retries 429 and 5xx answers itself and
// waits whatever Retry-After says; the rotator bounds that (MAX_RETRY_AFTER_SECONDS) so that a rate limit measured
// in hours fails the certificate now, as retryable, instead of holding the invocation past its time-out.
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import {
  AcmeCertificateAuthority,
  generateAccountKeyPem,
} from '../../../shared/adapters/acme/acme-certificate-authority.js';
import { retryAfterSeconds } from '../../../shared/adapters/acme/acme-client-loader.js';
import { AuthoritativePropagationChecker } from '../../../shared/adapters/dns/authoritative-propagation.js';
import { AcmeError } from '../../../shared/errors.js';
import { type AriFront, startAriFront } from '../../support/ari-front.js';
import { challtestsrvDns } from '../../support/challtestsrv-dns.js';
import { pebbleEnv } from '../../support/env.js';
import { pooledCertificateKey } from '../../support/key-pool.js';

const fronts: AriFront[] = [];
afterEach(async () => {
  await Promise.all(fronts.splice(0).map((f) => f.close()));
});

const RATE_LIMITED = {
  type: 'urn:ietf:params:acme:error:rateLimited',
  status: 429,
  detail: 'too many new orders recently',
};

async function setup(refuse: (n: number) => (typeof RATE_LIMITED & { headers?: Record<string, string> }) | undefined) {
  const env = pebbleEnv();
  const accountKeyPem = await generateAccountKeyPem();
  let n = 0;
  const front = await startAriFront({
    upstreamDirectoryUrl: env.directoryUrl,
    withoutRenewalInfo: true,
    proxyNewOrder: { accountKeyPem, refuse: () => refuse(++n) },
  });
  fronts.push(front);
  const ca = new AcmeCertificateAuthority({
    certificateKeys: pooledCertificateKey,
    directoryUrl: front.directoryUrl,
    accountKeyPem,
    dns: challtestsrvDns(env.challtestsrvUrl),
    propagation: new AuthoritativePropagationChecker({ servers: [env.dnsServer], initialIntervalMs: 20 }),
    backoff: { attempts: 30, minMs: 25, maxMs: 250 },
  });
  return { ca, front };
}

const name = () => `ra-${randomUUID().slice(0, 8)}.rotator.test`;

describe('a CA that answers "come back later"', () => {
  it('asking for longer than the bound: one request, then a retryable rateLimited failure at once', async () => {
    const { ca, front } = await setup(() => ({ ...RATE_LIMITED, headers: { 'Retry-After': '3600' } }));
    const started = Date.now();
    const err = await ca.issue({ domains: [name()], keyType: 'rsa-2048' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AcmeError);
    expect(err).toMatchObject({ code: 'rateLimited', retryable: true });
    expect((err as Error).message).toMatch(/too many new orders recently/);
    expect(front.orders).toHaveLength(1);
    // acme-client alone would sleep an hour here; the test's own time-out (30 s) would end it first.
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('asking for a short wait: waited out within the run, and the order goes through', async () => {
    const { ca, front } = await setup((n) =>
      n === 1 ? { ...RATE_LIMITED, headers: { 'Retry-After': '1' } } : undefined,
    );
    const domain = name();
    const started = Date.now();
    const issued = await ca.issue({ domains: [domain], keyType: 'rsa-2048' });
    expect(issued.dnsNames).toEqual([domain]);
    expect(front.orders).toHaveLength(2);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_000);
  });
});

describe('retryAfterSeconds', () => {
  const now = Date.parse('2026-11-30T12:00:00Z');
  it.each<[unknown, number | undefined]>([
    ['120', 120],
    [' 5 ', 5],
    ['Mon, 30 Nov 2026 12:10:00 GMT', 600],
    ['Mon, 30 Nov 2026 11:00:00 GMT', 0],
    ['soon', undefined],
    ['', undefined],
    [undefined, undefined],
    [42, undefined],
  ])('%j → %j', (value, seconds) => {
    expect(retryAfterSeconds(value, now)).toBe(seconds);
  });
});
