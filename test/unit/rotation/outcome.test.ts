import { describe, expect, it } from 'vitest';
import { OUTCOMES, type OutcomeRecord, summarize } from '../../../shared/rotation/outcome.js';

const rec = (outcome: OutcomeRecord['outcome']): OutcomeRecord => ({
  event: 'rotation.outcome',
  certificate: outcome,
  region: 'cn-hangzhou',
  domains: [],
  outcome,
  reason: '',
  previous: null,
  current: null,
  daysGained: null,
  targets: [],
  durationMs: 1,
});

describe('summarize', () => {
  it('counts every outcome, zeros included', () => {
    const s = summarize([rec('rotated'), rec('rotated'), rec('not-due')], 'timer', 5);
    expect(s).toMatchObject({ event: 'rotation.summary', trigger: 'timer', certificates: 3, durationMs: 5, ok: true });
    expect(Object.keys(s.counts).sort()).toEqual([...OUTCOMES].sort());
    expect(s.counts.rotated).toBe(2);
    expect(s.counts.failed).toBe(0);
  });
  const cases = [
    { outcome: 'rotated', ok: true },
    { outcome: 'not-due', ok: true },
    { outcome: 'unchanged', ok: true },
    { outcome: 'regressed', ok: false },
    { outcome: 'mismatch', ok: false },
    { outcome: 'rolled-back', ok: false },
    { outcome: 'failed', ok: false },
  ] as const;
  for (const c of cases) {
    it(`${c.outcome} → ok ${c.ok}`, () => expect(summarize([rec(c.outcome)], 'cli', 0).ok).toBe(c.ok));
  }
});
