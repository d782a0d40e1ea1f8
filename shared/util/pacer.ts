/**
 * Spaces requests to one API product at least `1000 / requestsPerSecond` ms apart, across every caller sharing the
 * pacer. Concurrent certificates would otherwise send bursts that the provider answers with `Throttling`, and each
 * throttled request costs a backoff far longer than the spacing.
 */
export class Pacer {
  readonly #intervalMs: number;
  readonly #now: () => number;
  readonly #sleep: (ms: number) => Promise<void>;
  #next = -Infinity;

  constructor(requestsPerSecond: number, options: { now?: () => number; sleep?: (ms: number) => Promise<void> } = {}) {
    if (!(requestsPerSecond > 0)) {
      throw new RangeError(`requestsPerSecond must be a positive number, not ${String(requestsPerSecond)}`);
    }
    this.#intervalMs = 1000 / requestsPerSecond;
    this.#now = options.now ?? Date.now;
    this.#sleep = options.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
  }

  /** Resolves when the caller may send its request; the slot is reserved at call time, so callers go in call order. */
  async take(): Promise<void> {
    const now = this.#now();
    const at = Math.max(now, this.#next);
    this.#next = at + this.#intervalMs;
    if (at > now) await this.#sleep(at - now);
  }
}
