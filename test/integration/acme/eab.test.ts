import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PebbleSandbox, startPebble } from '../../../sandbox/pebble.js';
import { AcmeCertificateAuthority } from '../../../shared/adapters/acme/acme-certificate-authority.js';
import { AuthoritativePropagationChecker } from '../../../shared/adapters/dns/authoritative-propagation.js';
import { AcmeError } from '../../../shared/errors.js';
import { challtestsrvDns } from '../../support/challtestsrv-dns.js';
import { pebbleTlsFiles } from '../../support/env.js';
import { pooledCertificateKey } from '../../support/key-pool.js';
import { recordingLogger } from '../../support/recording-logger.js';

// A second Pebble that requires External Account Binding; it reuses the shared instance's TLS files, so the
// runner's NODE_EXTRA_CA_CERTS already trusts it.
const eab = { kid: 'kid-rotator', hmacKey: randomBytes(32).toString('base64url') };
let sb: PebbleSandbox;

beforeAll(async () => {
  sb = await startPebble({ tls: pebbleTlsFiles(), eab });
});
afterAll(() => sb?.stop());

function ca(externalAccountBinding?: { kid: string; hmacKey: string }) {
  const logger = recordingLogger();
  const authority = new AcmeCertificateAuthority({
    certificateKeys: pooledCertificateKey,
    directoryUrl: sb.directoryUrl,
    externalAccountBinding,
    dns: challtestsrvDns(sb.challtestsrvUrl),
    propagation: new AuthoritativePropagationChecker({ servers: [sb.dnsServer], initialIntervalMs: 20 }),
    backoff: { attempts: 30, minMs: 25, maxMs: 250 },
    logger,
  });
  return { authority, logger };
}

const name = () => `eab-${randomUUID().slice(0, 8)}.rotator.test`;

describe('External Account Binding (Pebble with EAB required)', () => {
  it('issues with the right kid and HMAC key, and never logs the key', async () => {
    const { authority, logger } = ca(eab);
    const domain = name();
    const issued = await authority.issue({ domains: [domain], keyType: 'rsa-2048' });
    expect(issued.dnsNames).toEqual([domain]);
    expect(logger.entries.length).toBeGreaterThan(0);
    expect(logger.text()).not.toContain(eab.hmacKey);
  });

  it('without EAB: a non-retryable AcmeError saying the CA wants an external account', async () => {
    const { authority } = ca();
    const err = await authority.issue({ domains: [name()], keyType: 'rsa-2048' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AcmeError);
    expect(err).toMatchObject({ retryable: false, code: 'externalAccountRequired' });
  });

  it('with a wrong HMAC key: a non-retryable AcmeError that does not contain the key', async () => {
    const wrong = { kid: eab.kid, hmacKey: randomBytes(32).toString('base64url') };
    const { authority, logger } = ca(wrong);
    const err = await authority.issue({ domains: [name()], keyType: 'rsa-2048' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AcmeError);
    expect((err as AcmeError).retryable).toBe(false);
    expect((err as AcmeError).message).toMatch(/^ACME account for https:\/\/127\.0\.0\.1:\d+\/dir failed: /);
    expect(JSON.stringify(err)).not.toContain(wrong.hmacKey);
    expect((err as Error).message).not.toContain(wrong.hmacKey);
    expect(logger.text()).not.toContain(wrong.hmacKey);
  });
});
