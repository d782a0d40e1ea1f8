import { describe, expect, it } from 'vitest';
import { Pacer, PacerPerApi } from '../../../shared/util/pacer.js';

/** A clock the test moves by hand; a sleep moves it (as a real sleep would), and is recorded. */
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
  it.each([
    // [requests per second, callers at once, expected sleeps (ms from the call)]
    [10, 10, []],
    [10, 13, [1000, 1000, 1000]],
    [3, 7, [1000, 1000, 1000, 2000]],
    [2.5, 5, [800, 800, 1600]],
    [0.5, 3, [2000, 4000]],
  ])('at %s per second, %s callers at once: the ones beyond the quota wait %j', async (rate, callers, sleeps) => {
    const { clock, options } = fakeTime();
    const pacer = new Pacer(rate, options);
    // Reserved at call time, in call order.
    await Promise.all(Array.from({ length: callers }, () => pacer.take()));
    expect(clock.sleeps).toEqual(sleeps);
  });

  it('never lets more than the quota start in any one-second window', async () => {
    const { clock, options } = fakeTime();
    const starts: number[] = [];
    const pacer = new Pacer(5, {
      now: options.now,
      sleep: async (ms) => {
        clock.t += ms;
      },
    });
    // Callers arriving irregularly, some in bursts: 40 requests over a few seconds.
    for (let i = 0; i < 40; i++) {
      clock.t += [0, 0, 30, 450, 0, 120][i % 6] ?? 0;
      await pacer.take();
      starts.push(clock.t);
    }
    for (const s of starts) {
      expect(starts.filter((t) => t >= s && t < s + 1000).length).toBeLessThanOrEqual(5);
    }
  });

  it('does not wait when earlier requests have left the window', async () => {
    const { clock, options } = fakeTime();
    const pacer = new Pacer(2, options);
    await pacer.take();
    await pacer.take();
    clock.t += 1000;
    await pacer.take();
    expect(clock.sleeps).toEqual([]);
    await pacer.take();
    await pacer.take();
    // The window now holds the starts at +1000 and +1000 (the third and fourth): the fifth waits for them to leave.
    expect(clock.sleeps).toEqual([1000]);
  });

  it('refuses a rate that is not a positive number', () => {
    expect(() => new Pacer(0)).toThrow(/requestsPerSecond must be a positive number, not 0/);
    expect(() => new Pacer(Number.NaN)).toThrow(/not NaN/);
    expect(() => new Pacer(Infinity)).toThrow(/not Infinity/);
  });
});

describe('PacerPerApi', () => {
  it('counts each API against its own quota: a burst of one does not hold up another', async () => {
    const { clock, options } = fakeTime();
    const pacer = new PacerPerApi(2, options);
    await Promise.all([
      pacer.take('UploadServerCertificate'),
      pacer.take('UploadServerCertificate'),
      pacer.take('SetLoadBalancerHTTPSListenerAttribute'),
      pacer.take('SetLoadBalancerHTTPSListenerAttribute'),
    ]);
    expect(clock.sleeps).toEqual([]);
    await Promise.all([pacer.take('UploadServerCertificate'), pacer.take('DescribeServerCertificates')]);
    expect(clock.sleeps).toEqual([1000]);
  });

  it('refuses a bad rate at once, before any request', () => {
    expect(() => new PacerPerApi(-1)).toThrow(/requestsPerSecond must be a positive number, not -1/);
  });
});
