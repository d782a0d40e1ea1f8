import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { AuthoritativePropagationChecker } from '../../../shared/adapters/dns/authoritative-propagation.js';
import { parseDnsServers } from '../../../shared/adapters/dns/dns-servers.js';
import { DnsChallengeError } from '../../../shared/errors.js';
import { pebbleEnv } from '../../support/env.js';

async function setTxt(host: string, value: string): Promise<void> {
  const res = await fetch(`${pebbleEnv().challtestsrvUrl}/set-txt`, {
    method: 'POST',
    body: JSON.stringify({ host: `${host}.`, value }),
  });
  expect(res.status).toBe(200);
}

describe('AuthoritativePropagationChecker against challtestsrv (pinned server)', () => {
  const record = () => {
    const zone = `prop-${randomUUID().slice(0, 8)}.test`;
    return { fqdn: `_acme-challenge.${zone}`, value: `v-${randomUUID()}`, zone, recordId: '1' };
  };

  it('waits until the value appears, among other values at the name', async () => {
    const r = record();
    const checker = new AuthoritativePropagationChecker({
      servers: parseDnsServers(pebbleEnv().dnsServer),
      initialIntervalMs: 50,
      timeoutMs: 10_000,
    });
    await setTxt(r.fqdn, 'someone-elses-value');
    const started = Date.now();
    setTimeout(() => void setTxt(r.fqdn, r.value), 400);
    await checker.waitForTxt(r);
    const waited = Date.now() - started;
    expect(waited).toBeGreaterThanOrEqual(350);
    expect(waited).toBeLessThan(3_000);
  });

  it('times out naming the record and the server that lacks it', async () => {
    const r = record();
    const { dnsServer } = pebbleEnv();
    const checker = new AuthoritativePropagationChecker({ servers: [dnsServer], initialIntervalMs: 50 });
    const err = await checker.waitForTxt(r, { timeoutMs: 600 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DnsChallengeError);
    expect((err as Error).message).toContain(`TXT ${r.fqdn}`);
    expect((err as Error).message).toContain(`not served by ${dnsServer} (no record)`);
    expect((err as DnsChallengeError).retryable).toBe(true);
  });
});
