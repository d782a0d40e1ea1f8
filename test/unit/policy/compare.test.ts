import { describe, expect, it } from 'vitest';
import { compareCertificates } from '../../../shared/policy/compare.js';

const sha1 = '68081af82c9769a3a1e616414bca4f5deea5ef0d';
const sha256 = 'aa'.repeat(32);
const issued = { sha1, sha256, notAfter: new Date('2027-02-20T06:34:24Z') };
const colon = (hex: string) => hex.match(/../g)?.join(':') ?? '';
const expiry = issued.notAfter.getTime();
const prevExpiry = new Date('2026-11-25T00:00:00Z').getTime();
const previous = { fingerprint: 'bb'.repeat(20), expireTimeStamp: prevExpiry };

describe('compareCertificates', () => {
  const cases = [
    {
      name: 'ok: SHA-1 colon lowercase, later expiry',
      reported: { fingerprint: colon(sha1), expireTimeStamp: expiry },
      previous,
      verdict: 'ok',
    },
    {
      name: 'ok: SHA-1 uppercase',
      reported: { fingerprint: colon(sha1).toUpperCase(), expireTimeStamp: expiry },
      previous,
      verdict: 'ok',
    },
    {
      name: 'ok: SHA-256 without colons',
      reported: { fingerprint: sha256, expireTimeStamp: expiry },
      previous,
      verdict: 'ok',
    },
    {
      name: 'ok: first issuance',
      reported: { fingerprint: sha1, expireTimeStamp: expiry },
      previous: null,
      verdict: 'ok',
    },
    { name: 'ok: local check before upload', reported: null, previous, verdict: 'ok' },
    {
      name: 'mismatch: other fingerprint',
      reported: { fingerprint: colon('cc'.repeat(20)), expireTimeStamp: expiry },
      previous,
      verdict: 'mismatch',
    },
    {
      name: 'mismatch: expiry off by one second',
      reported: { fingerprint: sha1, expireTimeStamp: expiry + 1000 },
      previous,
      verdict: 'mismatch',
    },
    {
      name: 'mismatch: expiry in seconds instead of ms',
      reported: { fingerprint: sha1, expireTimeStamp: expiry / 1000 },
      previous,
      verdict: 'mismatch',
    },
    {
      name: 'mismatch wins over unchanged',
      reported: { fingerprint: 'dd'.repeat(20), expireTimeStamp: expiry },
      previous: { fingerprint: sha1, expireTimeStamp: expiry },
      verdict: 'mismatch',
    },
    {
      name: 'unchanged: same as previous',
      reported: { fingerprint: sha1, expireTimeStamp: expiry },
      previous: { fingerprint: colon(sha1), expireTimeStamp: expiry },
      verdict: 'unchanged',
    },
    {
      name: 'regressed: same expiry as previous',
      reported: { fingerprint: sha1, expireTimeStamp: expiry },
      previous: { fingerprint: 'ee'.repeat(20), expireTimeStamp: expiry },
      verdict: 'regressed',
    },
    {
      name: 'ok when forced: same expiry as previous (issued in the same second)',
      reported: { fingerprint: sha1, expireTimeStamp: expiry },
      previous: { fingerprint: 'ee'.repeat(20), expireTimeStamp: expiry },
      forced: true,
      verdict: 'ok',
    },
    {
      name: 'regressed even when forced: earlier than previous',
      reported: null,
      previous: { fingerprint: 'ee'.repeat(20), expireTimeStamp: expiry + 1000 },
      forced: true,
      verdict: 'regressed',
    },
    {
      name: 'unchanged even when forced: the one in use',
      reported: null,
      previous: { fingerprint: sha1, expireTimeStamp: expiry },
      forced: true,
      verdict: 'unchanged',
    },
    {
      name: 'regressed: earlier than previous',
      reported: { fingerprint: sha1, expireTimeStamp: expiry },
      previous: { fingerprint: 'ee'.repeat(20), expireTimeStamp: expiry + 86_400_000 },
      verdict: 'regressed',
    },
    {
      name: 'regressed before upload',
      reported: null,
      previous: { fingerprint: 'ee'.repeat(20), expireTimeStamp: expiry + 1000 },
      verdict: 'regressed',
    },
  ] as const;
  for (const c of cases) {
    it(c.name, () => {
      const forced = 'forced' in c ? c.forced : undefined;
      expect(compareCertificates({ issued, reported: c.reported, previous: c.previous, forced }).verdict).toBe(
        c.verdict,
      );
    });
  }
  it('reports days gained to one decimal', () => {
    const v = compareCertificates({ issued, reported: { fingerprint: sha1, expireTimeStamp: expiry }, previous });
    expect(v).toEqual({ verdict: 'ok', daysGained: Math.round(((expiry - prevExpiry) / 86_400_000) * 10) / 10 });
  });
});
