import { describe, expect, it } from 'vitest';
import { backoffDelay } from '../../../shared/util/backoff.js';

const policy = { baseMs: 500, maxDelayMs: 5_000, budgetMs: 60_000 };

describe('backoffDelay', () => {
  it('doubles from the base up to the cap, with half of each step random', () => {
    const low = [1, 2, 3, 4, 5, 6].map((a) => backoffDelay(policy, a, 0, () => 0));
    const high = [1, 2, 3, 4, 5, 6].map((a) => backoffDelay(policy, a, 0, () => 1));
    expect(low).toEqual([250, 500, 1_000, 2_000, 2_500, 2_500]);
    expect(high).toEqual([500, 1_000, 2_000, 4_000, 5_000, 5_000]);
  });

  it('cuts the last wait to end at the budget, then gives up', () => {
    expect(backoffDelay(policy, 9, 59_000, () => 1)).toBe(1_000);
    expect(backoffDelay(policy, 10, 60_000, () => 1)).toBeUndefined();
    expect(backoffDelay({ ...policy, budgetMs: 0 }, 1, 0)).toBeUndefined();
  });

  it('keeps retrying a refusal that lasts 20 s, but not one that outlasts the budget', () => {
    const waitOut = (lastsMs: number, budgetMs: number) => {
      let t = 0;
      for (let attempt = 1; ; attempt++) {
        if (t >= lastsMs) return { ok: true, t };
        const d = backoffDelay({ ...policy, budgetMs }, attempt, t, () => 0.5);
        if (d === undefined) return { ok: false, t };
        t += d;
      }
    };
    expect(waitOut(20_000, 60_000)).toMatchObject({ ok: true });
    expect(waitOut(20_000, 60_000).t).toBeLessThan(25_000);
    expect(waitOut(90_000, 60_000)).toEqual({ ok: false, t: 60_000 });
  });
});
