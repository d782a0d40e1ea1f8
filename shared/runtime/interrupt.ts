/**
 * The reason an AbortController is aborted with when an operator stops a run (Ctrl-C, `kill`), as opposed to the
 * function running out of time. The core reads it through `interruptionOf` so the outcome says "interrupted by
 * SIGTERM" rather than "ran out of time": the two call for different actions (nothing to fix vs. a longer timeout).
 */
export class Interrupted {
  constructor(readonly signal: string) {}
}

/** "interrupted by SIGTERM" when `signal` was aborted with an `Interrupted` reason; undefined otherwise. */
export function interruptionOf(signal?: AbortSignal): string | undefined {
  if (!signal?.aborted) return undefined;
  const reason: unknown = signal.reason;
  return reason instanceof Interrupted ? `interrupted by ${reason.signal}` : undefined;
}
