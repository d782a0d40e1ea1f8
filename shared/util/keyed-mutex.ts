/**
 * Mutual exclusion per key (a load balancer id): CLB answers `ServiceIsConfiguring` to a write while it is still
 * applying the previous one, so one certificate's moves on a load balancer finish before another's begin. Several
 * keys are taken in sorted order, so two holders that need the same keys can never wait for each other in a cycle.
 * Not reentrant: a holder must not ask again for a key it holds.
 */
export class KeyedMutex {
  readonly #tails = new Map<string, Promise<void>>();

  async run<T>(keys: Iterable<string>, fn: () => Promise<T>): Promise<T> {
    const releases: (() => void)[] = [];
    try {
      for (const key of [...new Set(keys)].sort()) releases.push(await this.#acquire(key));
      return await fn();
    } finally {
      for (const release of releases.reverse()) release();
    }
  }

  /** Keys held or waited for now (for tests and diagnostics). */
  get size(): number {
    return this.#tails.size;
  }

  #acquire(key: string): Promise<() => void> {
    const previous = this.#tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((resolve) => {
      release = resolve;
    });
    const tail = previous.then(() => mine);
    this.#tails.set(key, tail);
    return previous.then(() => () => {
      release();
      // The last holder leaves no entry behind: a run with thousands of load balancers keeps no garbage.
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    });
  }
}
