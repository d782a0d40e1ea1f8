// RFC 9773 `replaces` on new orders. Pebble 2.4 ignores the field, so the test front stands in front of newOrder:
// it records each payload and either refuses it as an ARI CA would or forwards it (re-signed) to Pebble.
import { randomUUID } from 'node:crypto';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  AcmeCertificateAuthority,
  generateAccountKeyPem,
} from '../../../shared/adapters/acme/acme-certificate-authority.js';
import { AuthoritativePropagationChecker } from '../../../shared/adapters/dns/authoritative-propagation.js';
import { AcmeError } from '../../../shared/errors.js';
import { type AcmeProblemBody, type AriFront, startAriFront } from '../../support/ari-front.js';
import { challtestsrvDns } from '../../support/challtestsrv-dns.js';
import { pebbleEnv } from '../../support/env.js';
import { pooledCertificateKey } from '../../support/key-pool.js';
import { recordingLogger } from '../../support/recording-logger.js';

const fronts: AriFront[] = [];
afterEach(async () => {
  await Promise.all(fronts.splice(0).map((f) => f.close()));
});

const zone = () => `rep-${randomUUID().slice(0, 8)}.rotator.test`;
const problem = (type: string, status: number, detail: string): AcmeProblemBody => ({
  type: `urn:ietf:params:acme:error:${type}`,
  status,
  detail,
});

async function setup(refuse?: (payload: Record<string, unknown>) => AcmeProblemBody | undefined) {
  const env = pebbleEnv();
  const accountKeyPem = await generateAccountKeyPem();
  const front = await startAriFront({
    upstreamDirectoryUrl: env.directoryUrl,
    proxyNewOrder: { accountKeyPem, ...(refuse ? { refuse } : {}) },
  });
  fronts.push(front);
  const logger = recordingLogger();
  const dns = challtestsrvDns(env.challtestsrvUrl);
  const ca = new AcmeCertificateAuthority({
    certificateKeys: pooledCertificateKey,
    directoryUrl: front.directoryUrl,
    accountKeyPem,
    dns,
    propagation: new AuthoritativePropagationChecker({ servers: [env.dnsServer], initialIntervalMs: 20 }),
    backoff: { attempts: 30, minMs: 25, maxMs: 250 },
    logger,
  });
  return { ca, front, logger, dns };
}

let previousCertId: string;
beforeAll(async () => {
  const { ca } = await setup();
  const previous = await ca.issue({ domains: [zone()], keyType: 'rsa-2048' });
  previousCertId = previous.ariCertId as string;
  expect(previousCertId).toBeTruthy();
});

describe('new orders with `replaces`', () => {
  it('sends the previous certificate’s ariCertId and gets a certificate from Pebble', async () => {
    const { ca, front, logger } = await setup();
    const name = zone();
    const issued = await ca.issue({ domains: [name], keyType: 'rsa-2048', replaces: previousCertId });
    expect(issued.dnsNames).toEqual([name]);
    expect(front.orders).toEqual([{ identifiers: [{ type: 'dns', value: name }], replaces: previousCertId }]);
    expect(logger.entries.filter((e) => e.level === 'warn')).toEqual([]);
  });

  it('sends no `replaces` when there is nothing to replace', async () => {
    const { ca, front } = await setup();
    const name = zone();
    await ca.issue({ domains: [name], keyType: 'rsa-2048' });
    expect(front.orders).toEqual([{ identifiers: [{ type: 'dns', value: name }] }]);
  });

  it.each<[string, AcmeProblemBody]>([
    ['alreadyReplaced (RFC 9773)', problem('alreadyReplaced', 409, 'certificate already has a replacement order')],
    ['a 400 whose detail names the field', problem('malformed', 400, 'Invalid replaces field: unknown certificate')],
  ])('when the CA refuses the order with %s: orders once more without it, warns, and issues', async (_n, refusal) => {
    const { ca, front, logger, dns } = await setup((payload) => (payload.replaces ? refusal : undefined));
    const name = zone();
    const issued = await ca.issue({ domains: [name], keyType: 'rsa-2048', replaces: previousCertId });

    expect(issued.dnsNames).toEqual([name]);
    expect(front.orders).toEqual([
      { identifiers: [{ type: 'dns', value: name }], replaces: previousCertId },
      { identifiers: [{ type: 'dns', value: name }] },
    ]);
    const warnings = logger.entries.filter((e) => e.level === 'warn');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.msg).toMatch(/refused the order because of `replaces`; ordering again without it/);
    expect(JSON.stringify(warnings[0]?.obj)).toContain(refusal.detail as string);
    expect(dns.live()).toEqual([]);
  });

  it('tries without `replaces` only once: a second refusal fails the issuance with the CA’s problem', async () => {
    const { ca, front } = await setup(() => problem('alreadyReplaced', 409, 'no orders today'));
    const err = await ca
      .issue({ domains: [zone()], keyType: 'rsa-2048', replaces: previousCertId })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AcmeError);
    expect(err).toMatchObject({ code: 'alreadyReplaced', retryable: false });
    expect(front.orders).toHaveLength(2);
  });

  it.each<[string, AcmeProblemBody, boolean]>([
    ['rejectedIdentifier', problem('rejectedIdentifier', 400, 'policy forbids this name'), false],
    ['a rate limit that mentions replaces', problem('rateLimited', 429, 'too many replaces orders'), true],
  ])('does not drop `replaces` for an unrelated refusal (%s)', async (_n, refusal, retryable) => {
    const { ca, front, logger } = await setup(() => refusal);
    // acme-client retries a 429 itself, 5 s × attempt apart: shorten that for this process.
    const acme = (await import('acme-client')).default;
    const settings = (acme.axios.defaults as unknown as { acmeSettings: { retryDefaultDelay: number } }).acmeSettings;
    const saved = settings.retryDefaultDelay;
    settings.retryDefaultDelay = 0;
    const err = await ca
      .issue({ domains: [zone()], keyType: 'rsa-2048', replaces: previousCertId })
      .catch((e: unknown) => e)
      .finally(() => {
        settings.retryDefaultDelay = saved;
      });
    expect(err).toBeInstanceOf(AcmeError);
    expect(err).toMatchObject({ code: refusal.type.split(':').at(-1), retryable });
    // acme-client may repeat the same request (429); none of them may lack `replaces`.
    expect(front.orders.length).toBeGreaterThanOrEqual(1);
    expect(front.orders.every((o) => o.replaces === previousCertId)).toBe(true);
    expect(logger.entries.filter((e) => e.level === 'warn')).toEqual([]);
  });
});
