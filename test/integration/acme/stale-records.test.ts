// Challenge records a crashed run left behind: swept before an order places its own, when old enough.
import { randomUUID } from 'node:crypto';
import { Resolver } from 'node:dns/promises';
import { describe, expect, it } from 'vitest';
import {
  AcmeCertificateAuthority,
  type AcmeCertificateAuthorityOptions,
} from '../../../shared/adapters/acme/acme-certificate-authority.js';
import { AuthoritativePropagationChecker } from '../../../shared/adapters/dns/authoritative-propagation.js';
import type { TxtRecordRef } from '../../../shared/ports/dns.js';
import { type ChalltestsrvDnsOptions, challtestsrvDns } from '../../support/challtestsrv-dns.js';
import { pebbleEnv } from '../../support/env.js';
import { pooledCertificateKey } from '../../support/key-pool.js';
import { recordingLogger } from '../../support/recording-logger.js';

const HOUR = 3_600_000;
const zone = () => `stale-${randomUUID().slice(0, 8)}.rotator.test`;
const ago = (ms: number) => new Date(Date.now() - ms);

async function txtAt(fqdn: string): Promise<string[]> {
  const resolver = new Resolver();
  resolver.setServers([pebbleEnv().dnsServer]);
  try {
    return (await resolver.resolveTxt(fqdn)).map((c) => c.join('')).sort();
  } catch (err) {
    if (['ENOTFOUND', 'ENODATA'].includes((err as { code?: string }).code ?? '')) return [];
    throw err;
  }
}

/** What an interrupted run leaves: records at `fqdn` placed by another provider instance, with these ages. */
async function leftovers(fqdn: string, ages: (number | undefined)[]): Promise<TxtRecordRef[]> {
  const crashed = challtestsrvDns(pebbleEnv().challtestsrvUrl);
  const records: TxtRecordRef[] = [];
  for (const [i, age] of ages.entries()) {
    const record = await crashed.addTxtRecord(fqdn, `leftover-${i}-${randomUUID()}`);
    crashed.setCreatedAt(record, age === undefined ? undefined : ago(age));
    records.push(record);
  }
  return records;
}

function setup(dnsOptions: ChalltestsrvDnsOptions = {}, extra: Partial<AcmeCertificateAuthorityOptions> = {}) {
  const env = pebbleEnv();
  const dns = challtestsrvDns(env.challtestsrvUrl, dnsOptions);
  const logger = recordingLogger();
  const ca = new AcmeCertificateAuthority({
    certificateKeys: pooledCertificateKey,
    directoryUrl: env.directoryUrl,
    dns,
    propagation: new AuthoritativePropagationChecker({ servers: [env.dnsServer], initialIntervalMs: 20 }),
    backoff: { attempts: 30, minMs: 25, maxMs: 250 },
    logger,
    ...extra,
  });
  return { ca, dns, logger };
}

describe('stale challenge record sweep', () => {
  it('removes a record older than an hour, keeps a fresh one and one of unknown age, then issues', async () => {
    const name = zone();
    const fqdn = `_acme-challenge.${name}`;
    const [old, fresh, unknown] = await leftovers(fqdn, [2 * HOUR, 5 * 60_000, undefined]);
    expect(await txtAt(fqdn)).toHaveLength(3);

    const { ca, dns, logger } = setup();
    const issued = await ca.issue({ domains: [name], keyType: 'rsa-2048' });
    expect(issued.dnsNames).toEqual([name]);

    expect(dns.removed.map((r) => r.value)).toContain(old?.value);
    expect(dns.removed.map((r) => r.value)).not.toContain(fresh?.value);
    expect(dns.removed.map((r) => r.value)).not.toContain(unknown?.value);
    // What the name serves now: the two kept leftovers; the order's own record is gone as well.
    expect(await txtAt(fqdn)).toEqual([fresh?.value, unknown?.value].sort());
    const info = logger.entries.find((e) => e.msg === 'stale challenge TXT record removed');
    expect(info?.obj).toMatchObject({ fqdn, recordId: old?.recordId });
    expect((info?.obj as { ageMs: number }).ageMs).toBeGreaterThanOrEqual(2 * HOUR);
    expect(logger.text()).not.toContain(old?.value);
  });

  it('sweeps the shared name of apex + wildcard once, before placing either record', async () => {
    const name = zone();
    const fqdn = `_acme-challenge.${name}`;
    const [old] = await leftovers(fqdn, [3 * HOUR]);
    const { ca, dns } = setup();
    await ca.issue({ domains: [name, `*.${name}`], keyType: 'rsa-2048' });
    expect(dns.removed[0]).toMatchObject({ value: old?.value });
    expect(dns.removed.filter((r) => r.value === old?.value)).toHaveLength(1);
    expect(await txtAt(fqdn)).toEqual([]);
  });

  it('follows staleChallengeRecordAgeMs', async () => {
    const name = zone();
    const fqdn = `_acme-challenge.${name}`;
    const [tenMinutes, oneMinute] = await leftovers(fqdn, [10 * 60_000, 60_000]);
    const { ca } = setup({}, { staleChallengeRecordAgeMs: 5 * 60_000 });
    await ca.issue({ domains: [name], keyType: 'rsa-2048' });
    expect(await txtAt(fqdn)).toEqual([oneMinute?.value]);
    expect(tenMinutes).toBeDefined();
  });

  it('removes records created before abandonedRecordsBefore whatever their age; keeps later ones', async () => {
    const name = zone();
    const fqdn = `_acme-challenge.${name}`;
    const [twentyMinutes, oneMinute] = await leftovers(fqdn, [20 * 60_000, 60_000]);
    const { ca, logger } = setup();
    await ca.issue({ domains: [name], keyType: 'rsa-2048', abandonedRecordsBefore: ago(5 * 60_000) });
    expect(await txtAt(fqdn)).toEqual([oneMinute?.value]);
    const info = logger.entries.find((e) => e.msg === 'stale challenge TXT record removed');
    expect(info?.obj).toMatchObject({ fqdn, recordId: twentyMinutes?.recordId, abandonedBefore: expect.any(String) });
  });

  it('does not list at all with staleChallengeRecordAgeMs: Infinity', async () => {
    const name = zone();
    const fqdn = `_acme-challenge.${name}`;
    const [old] = await leftovers(fqdn, [10 * HOUR]);
    const listed: string[] = [];
    const { ca } = setup(
      { failList: (f) => (listed.push(f), undefined) },
      { staleChallengeRecordAgeMs: Number.POSITIVE_INFINITY },
    );
    await ca.issue({ domains: [name], keyType: 'rsa-2048' });
    expect(listed).toEqual([]);
    expect(await txtAt(fqdn)).toEqual([old?.value]);
  });

  it('a listing failure is logged and the issuance goes on', async () => {
    const name = zone();
    const { ca, logger } = setup({ failList: () => new Error('DescribeSubDomainRecords throttled') });
    const issued = await ca.issue({ domains: [name], keyType: 'rsa-2048' });
    expect(issued.dnsNames).toEqual([name]);
    const warning = logger.entries.find((e) => e.level === 'warn');
    expect(warning?.msg).toBe('could not list TXT records to remove stale challenge records');
    expect(JSON.stringify(warning?.obj)).toContain('DescribeSubDomainRecords throttled');
  });

  it('a removal failure is logged, the other stale record still goes, and the issuance goes on', async () => {
    const name = zone();
    const fqdn = `_acme-challenge.${name}`;
    const [stuck, old] = await leftovers(fqdn, [2 * HOUR, 3 * HOUR]);
    const { ca, dns, logger } = setup({
      failRemoval: (r) => (r.value === stuck?.value ? new Error('Alidns said no') : undefined),
    });
    const issued = await ca.issue({ domains: [name], keyType: 'rsa-2048' });
    expect(issued.dnsNames).toEqual([name]);
    expect(issued.cleanupError).toBeUndefined();
    expect(await txtAt(fqdn)).toEqual([stuck?.value]);
    expect(dns.removed.map((r) => r.value)).toContain(old?.value);
    const warning = logger.entries.find((e) => e.msg === 'could not remove a stale challenge TXT record');
    expect(warning?.obj).toMatchObject({ fqdn, recordId: stuck?.recordId, error: 'Error: Alidns said no' });
  });

  it('ignores records the provider lists under another name', async () => {
    const name = zone();
    const other = `_acme-challenge.other.${name}`;
    const [foreign] = await leftovers(other, [5 * HOUR]);
    const { ca, dns } = setup();
    // A provider that answers every listing with everything it knows.
    const everything = dns.listTxtRecords.bind(dns);
    dns.listTxtRecords = () => everything(other);
    await ca.issue({ domains: [name], keyType: 'rsa-2048' });
    expect(await txtAt(other)).toEqual([foreign?.value]);
  });

  it('rejects a negative staleChallengeRecordAgeMs', () => {
    expect(() => setup({}, { staleChallengeRecordAgeMs: -1 })).toThrow(/staleChallengeRecordAgeMs/);
    expect(() => setup({}, { staleChallengeRecordAgeMs: Number.NaN })).toThrow(/staleChallengeRecordAgeMs/);
  });
});
