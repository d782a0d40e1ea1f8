import { describe, expect, it } from 'vitest';
import { Pacer } from '../../../shared/util/pacer.js';

/** A clock the test moves by hand; sleeps are recorded, not waited. */
function fakeTime() {
  const clock = { t: 1_000_000, sleeps: [] as number[] };
  return {
    clock,
    options: {
      now: () => clock.t,
      sleep: async (ms: number) => {
        clock.sleeps.push(ms);
      },
    },
  };
}

describe('Pacer', () => {
  it('spaces concurrent requests 1/rate apart, the first at once', async () => {
    const { clock, options } = fakeTime();
    const pacer = new Pacer(10, options);
    // Reserved at call time: five callers at once get slots 0, 100, 200, 300, 400 ms from now.
    await Promise.all(Array.from({ length: 5 }, () => pacer.take()));
    expect(clock.sleeps).toEqual([100, 200, 300, 400]);
  });

  it('does not wait when requests are already further apart than the rate', async () => {
    const { clock, options } = fakeTime();
    const pacer = new Pacer(4, options);
    await pacer.take();
    clock.t += 300;
    await pacer.take();
    expect(clock.sleeps).toEqual([]);
    await pacer.take();
    expect(clock.sleeps).toEqual([250]);
  });

  it('refuses a rate that is not a positive number', () => {
    expect(() => new Pacer(0)).toThrow(/requestsPerSecond must be a positive number, not 0/);
    expect(() => new Pacer(Number.NaN)).toThrow(/not NaN/);
  });
});
