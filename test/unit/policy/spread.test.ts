import { describe, expect, it } from 'vitest';
import type { RenewalPolicy } from '../../../shared/config/types.js';
import { decideRenewal } from '../../../shared/policy/renewal.js';

const DAY = 86_400_000;
const now = new Date('2026-11-22T00:00:00Z');
const at = (days: number) => new Date(now.getTime() + days * DAY);
const names = ['example.com'];
/** The default policy: one third of the lifetime, spread 2 %. */
const policy: RenewalPolicy = { remainingFraction: 1 / 3, spread: 0.02 };
/** One fleet's certificates, all issued the same second for the same 90 days: only the spread tells them apart. */
const sameDates = { notBefore: at(-30), notAfter: at(60), uploadedAt: at(-30), names };
const fleet = Array.from({ length: 40 }, (_, i) => `cn-hangzhou/shop-${i}`);

function renewAt(spreadKey: string, p: RenewalPolicy = policy): number {
  const d = decideRenewal({ current: sameDates, domains: names, policy: p, force: false, now, spreadKey });
  if (d.due) throw new Error(`expected not due: ${d.reason}`);
  return d.renewAt.getTime();
}

describe('renewal spread', () => {
  it('different certificates with the same dates renew at different points', () => {
    const points = fleet.map((key) => renewAt(key));
    // 40 keys over a 1.8-day range: a hash collision to the millisecond would be a broken hash, not bad luck.
    expect(new Set(points).size).toBe(fleet.length);
    // Spread out, not bunched: the fleet covers most of the 2 % (1.8 days) before the one-third point.
    const span = Math.max(...points) - Math.min(...points);
    expect(span).toBeGreaterThan(0.5 * 0.02 * 90 * DAY);
  });

  it('stays inside [one third + spread, one third] of the lifetime before expiry', () => {
    const latest = sameDates.notAfter.getTime() - (90 * DAY) / 3;
    const earliest = latest - 0.02 * 90 * DAY;
    for (const key of fleet) {
      const point = renewAt(key);
      expect(point).toBeGreaterThanOrEqual(earliest);
      expect(point).toBeLessThanOrEqual(latest);
    }
  });

  it('the same certificate always renews at the same point, run after run', () => {
    for (const key of fleet.slice(0, 5)) {
      const first = renewAt(key);
      for (let run = 0; run < 3; run++) expect(renewAt(key)).toBe(first);
    }
  });

  it('spread 0 puts the whole fleet on one instant (the case the spread exists to avoid)', () => {
    const points = fleet.map((key) => renewAt(key, { remainingFraction: 1 / 3, spread: 0 }));
    expect(new Set(points).size).toBe(1);
  });
});
