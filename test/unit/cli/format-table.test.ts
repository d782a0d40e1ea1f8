import { describe, expect, it } from 'vitest';
import { formatTable } from '../../../cli/format-table.js';
import { type OutcomeRecord, summarize } from '../../../shared/rotation/outcome.js';

const base: OutcomeRecord = {
  event: 'rotation.outcome',
  certificate: 'shop',
  region: 'cn-hangzhou',
  domains: ['example.com'],
  outcome: 'rotated',
  reason: 'due; 1 target(s) verified',
  previous: { serverCertificateId: 'old', fingerprint: 'aa', expireTimeStamp: Date.UTC(2026, 10, 25) },
  current: { serverCertificateId: 'new', fingerprint: 'bb', expireTimeStamp: Date.UTC(2027, 1, 20), expireTime: '' },
  daysGained: 87,
  targets: [],
  durationMs: 5,
};

describe('formatTable', () => {
  it('one row per certificate with the new expiry, days gained, and a count line', () => {
    const failed: OutcomeRecord = {
      ...base,
      certificate: 'api',
      outcome: 'failed',
      stage: 'upload',
      current: null,
      daysGained: null,
      reason: 'OverQuota',
    };
    const out = formatTable([base, failed], summarize([base, failed], 'cli', 12));
    const lines = out.split('\n');
    expect(lines[0]).toMatch(/^CERTIFICATE\s+REGION\s+OUTCOME\s+EXPIRES\s+GAINED\s+REASON$/);
    expect(lines[1]).toMatch(/^shop\s+cn-hangzhou\s+rotated\s+2027-02-20\s+\+87\s+due; 1 target/);
    expect(lines[2]).toMatch(/^api\s+cn-hangzhou\s+failed \(upload\)\s+2026-11-25\s+-\s+OverQuota$/);
    expect(out).toMatch(/2 certificate\(s\): 1 rotated, 1 failed in 12 ms/);
  });
});
