/**
 * Keeps requests to one API product within a rate quota of the form Alibaba Cloud publishes ("60/1(s)": at most N
 * calls in one second), across every caller sharing the pacer: at most `requestsPerSecond` requests start in any
 * window of one second. Requests within the quota go at once (a single certificate's few reads and writes never
 * wait); a burst beyond it waits for the window to move on. Concurrent certificates would otherwise send bursts
 * that the provider answers with `Throttling`, and each throttled request costs a backoff far longer than the wait.
 *
 * A rate below 1 allows one request per `1 / requestsPerSecond` seconds.
 */
export class Pacer {
  /** Requests allowed per window. */
  readonly #capacity: number;
  readonly #windowMs: number;
  readonly #now: () => number;
  readonly #sleep: (ms: number) => Promise<void>;
  /** Start times of the last `capacity` requests, oldest first; never decreasing, so callers go in call order. */
  readonly #starts: number[] = [];

  constructor(requestsPerSecond: number, options: { now?: () => number; sleep?: (ms: number) => Promise<void> } = {}) {
    if (!(requestsPerSecond > 0) || !Number.isFinite(requestsPerSecond)) {
      throw new RangeError(`requestsPerSecond must be a positive number, not ${String(requestsPerSecond)}`);
    }
    this.#capacity = Math.max(1, Math.floor(requestsPerSecond));
    this.#windowMs = (this.#capacity * 1000) / requestsPerSecond;
    this.#now = options.now ?? Date.now;
    this.#sleep = options.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
  }

  /** Resolves when the caller may send its request; the slot is reserved at call time, so callers go in call order. */
  async take(): Promise<void> {
    const now = this.#now();
    const latest = this.#starts.at(-1) ?? -Infinity;
    // The window holding the last `capacity` starts must have moved past the oldest of them.
    const oldest = this.#starts.length >= this.#capacity ? (this.#starts[0] ?? -Infinity) : -Infinity;
    const at = Math.max(now, latest, oldest + this.#windowMs);
    this.#starts.push(at);
    if (this.#starts.length > this.#capacity) this.#starts.shift();
    if (at > now) await this.#sleep(at - now);
  }
}

/** Something that says when a request to one API of a product may start (a Pacer ignores the API). */
export interface RequestPacer {
  take(api: string): Promise<void>;
}

/**
 * A quota per API, which is how Alibaba Cloud counts them (per account and API, "60/1(s)" each): one Pacer per API
 * name, made on first use. Uploads, moves and reads of one product then do not queue behind each other.
 */
export class PacerPerApi implements RequestPacer {
  readonly #pacers = new Map<string, Pacer>();
  readonly #make: () => Pacer;

  constructor(requestsPerSecond: number, options: { now?: () => number; sleep?: (ms: number) => Promise<void> } = {}) {
    // Made once here so a bad rate fails at start-up, not at the first request.
    new Pacer(requestsPerSecond, options);
    this.#make = () => new Pacer(requestsPerSecond, options);
  }

  take(api: string): Promise<void> {
    let pacer = this.#pacers.get(api);
    if (!pacer) {
      pacer = this.#make();
      this.#pacers.set(api, pacer);
    }
    return pacer.take();
  }
}
