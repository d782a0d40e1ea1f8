import { describe, expect, it } from 'vitest';
import type { RenewalPolicy } from '../../../shared/config/types.js';
import { ASSUMED_MIN_LIFETIME_MS, decideRenewal, renewalWindowMs, unitHash } from '../../../shared/policy/renewal.js';

const DAY = 86_400_000;
const now = new Date('2026-11-22T00:00:00Z');
const at = (days: number) => new Date(now.getTime() + days * DAY);
const third: RenewalPolicy = { remainingFraction: 1 / 3, spread: 0 };
const domains = ['example.com', '*.example.com'];
const names = ['example.com', '*.example.com'];

describe('decideRenewal', () => {
  const cases: {
    name: string;
    current: Parameters<typeof decideRenewal>[0]['current'];
    policy?: RenewalPolicy;
    force?: boolean;
    due: boolean;
    code: string;
    reason: RegExp;
  }[] = [
    { name: 'first issuance', current: null, due: true, code: 'due.first-issuance', reason: /first issuance/ },
    {
      name: 'forced even when fresh',
      current: { notBefore: at(-1), notAfter: at(89), uploadedAt: at(-1), names },
      force: true,
      due: true,
      code: 'due.forced',
      reason: /forced/,
    },
    {
      name: '90-day cert with 60 days left is not due',
      current: { notBefore: at(-30), notAfter: at(60), uploadedAt: at(-30), names },
      due: false,
      code: 'not-due.window',
      reason: /60 days left.*1\/3 of a 90 days lifetime/,
    },
    {
      name: '90-day cert with 29 days left is due (one third is 30 days)',
      current: { notBefore: at(-61), notAfter: at(29), uploadedAt: at(-61), names },
      due: true,
      code: 'due.window',
      reason: /window .*opened/,
    },
    {
      name: '45-day cert with 20 days left is not due (one third is 15 days)',
      current: { notBefore: at(-25), notAfter: at(20), uploadedAt: at(-25), names },
      due: false,
      code: 'not-due.window',
      reason: /45 days lifetime/,
    },
    {
      name: '45-day cert with 14 days left is due',
      current: { notBefore: at(-31), notAfter: at(14), uploadedAt: at(-31), names },
      due: true,
      code: 'due.window',
      reason: /14 days left/,
    },
    {
      name: 'expired',
      current: { notBefore: at(-100), notAfter: at(-1), uploadedAt: undefined, names },
      due: true,
      code: 'due.expired',
      reason: /expired/,
    },
    {
      name: 'configured domain not covered',
      current: { notBefore: at(-1), notAfter: at(89), uploadedAt: at(-1), names: ['example.com'] },
      due: true,
      code: 'due.names-uncovered',
      reason: /does not cover \*\.example\.com/,
    },
    {
      name: 'fixed days policy: 31 days left of 30 is not due',
      current: { notBefore: at(-59), notAfter: at(31), uploadedAt: undefined, names },
      policy: { daysBeforeExpiry: 30, spread: 0 },
      due: false,
      code: 'not-due.window',
      reason: /30 days before expiry/,
    },
    {
      name: 'fixed days policy: 29 days left of 30 is due',
      current: { notBefore: at(-61), notAfter: at(29), uploadedAt: undefined, names },
      policy: { daysBeforeExpiry: 30, spread: 0 },
      due: true,
      code: 'due.window',
      reason: /30 days before expiry/,
    },
    {
      name: 'fixed days longer than the lifetime is capped at half of it (no order on every run)',
      current: { notBefore: at(-2), notAfter: at(43), uploadedAt: undefined, names },
      policy: { daysBeforeExpiry: 60, spread: 0 },
      due: false,
      code: 'not-due.window',
      reason: /60 days before expiry, capped at half the lifetime/,
    },
    {
      name: 'foreign 1-year cert uploaded late: lifetime assumed at least 90 days, due at 30 days left',
      current: { notBefore: undefined, notAfter: at(29), uploadedAt: at(-2), names },
      due: true,
      code: 'due.window',
      reason: /90 days lifetime/,
    },
    {
      name: 'foreign cert known to have lived a year is judged on a year',
      current: { notBefore: undefined, notAfter: at(100), uploadedAt: at(-265), names },
      due: true,
      code: 'due.window',
      reason: /365 days lifetime/,
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const d = decideRenewal({
        current: c.current,
        domains,
        policy: c.policy ?? third,
        force: c.force ?? false,
        now,
        spreadKey: 'k',
      });
      expect(d.due).toBe(c.due);
      expect(d.code).toBe(c.code);
      expect(d.reason).toMatch(c.reason);
      if (!d.due) expect(d.renewAt.getTime()).toBeGreaterThan(now.getTime());
    });
  }
});

describe('renewal spread', () => {
  it('is stable per key, within [0,1), and differs between keys', () => {
    expect(unitHash('cn-hangzhou/www')).toBe(unitHash('cn-hangzhou/www'));
    const values = ['a', 'b', 'c', 'd', 'e'].map(unitHash);
    for (const v of values) expect(v).toBeGreaterThanOrEqual(0);
    for (const v of values) expect(v).toBeLessThan(1);
    expect(new Set(values).size).toBe(values.length);
  });
  it('moves the window earlier by at most spread × lifetime, never beyond the lifetime; fixed days capped at half', () => {
    const lifetime = 90 * DAY;
    const base = renewalWindowMs({ remainingFraction: 1 / 3, spread: 0 }, lifetime, 'x');
    const spread = renewalWindowMs({ remainingFraction: 1 / 3, spread: 0.1 }, lifetime, 'x');
    expect(base).toBe(30 * DAY);
    expect(spread).toBeGreaterThanOrEqual(base);
    expect(spread).toBeLessThanOrEqual(base + 9 * DAY);
    // A fixed rule is capped at half the lifetime; the spread still never pushes the window beyond the lifetime.
    expect(renewalWindowMs({ daysBeforeExpiry: 365, spread: 0 }, lifetime, 'x')).toBe(lifetime / 2);
    expect(renewalWindowMs({ remainingFraction: 0.99, spread: 0.2 }, lifetime, 'k')).toBeLessThanOrEqual(lifetime);
  });
  it('assumes at least 90 days for certificates of unknown lifetime', () => {
    expect(ASSUMED_MIN_LIFETIME_MS).toBe(90 * DAY);
  });
});

describe('decideRenewal with ACME Renewal Information', () => {
  const current = { notBefore: at(-10), notAfter: at(80), uploadedAt: at(-10), names };
  const decide = (ari: { start: Date; end: Date }, c = current) =>
    decideRenewal({ current: c, domains, policy: third, force: false, now, spreadKey: 'k', ari });
  const cases = [
    { name: 'window in the past: due although one third is far off', ari: { start: at(-2), end: at(-1) }, due: true },
    { name: 'window in the future: not due, renewAt inside the window', ari: { start: at(5), end: at(6) }, due: false },
    {
      name: 'window later than the fraction rule would say: the CA wins',
      ari: { start: at(70), end: at(71) },
      c: { ...current, notBefore: at(-70), notAfter: at(20) },
      due: false,
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const d = decide(c.ari, c.c);
      expect(d.due).toBe(c.due);
      expect(d.code).toBe(c.due ? 'due.ari-window' : 'not-due.ari-window');
      expect(d.reason).toMatch(/the CA's renewal window/);
      if (!d.due) {
        expect(d.renewAt.getTime()).toBeGreaterThanOrEqual(c.ari.start.getTime());
        expect(d.renewAt.getTime()).toBeLessThanOrEqual(c.ari.end.getTime());
      }
    });
  }
  it('expiry and uncovered names still win over a window', () => {
    expect(decide({ start: at(5), end: at(6) }, { ...current, notAfter: at(-1) }).code).toBe('due.expired');
    expect(decide({ start: at(5), end: at(6) }, { ...current, names: ['example.com'] }).code).toBe(
      'due.names-uncovered',
    );
  });
});
