/** How long to keep retrying one kind of transient refusal, and how fast the waits grow. */
export interface BackoffPolicy {
  /** The first wait before jitter; doubles with each attempt. */
  baseMs: number;
  /** No single wait is longer than this. */
  maxDelayMs: number;
  /** Give up once this much time has passed since the first refusal of this kind. */
  budgetMs: number;
}

/**
 * The wait before retry number `attempt` (1 for the first retry), or undefined when the budget is spent. Half the
 * exponential step is fixed and half random ("equal jitter"): callers that were refused together do not retry
 * together, and no wait collapses to nothing while the provider is still busy. The last wait is cut to end exactly
 * at the budget, so the final attempt is made on time rather than skipped.
 */
export function backoffDelay(
  policy: BackoffPolicy,
  attempt: number,
  elapsedMs: number,
  random: () => number = Math.random,
): number | undefined {
  const remaining = policy.budgetMs - elapsedMs;
  if (remaining <= 0) return undefined;
  const step = Math.min(policy.maxDelayMs, policy.baseMs * 2 ** Math.max(0, attempt - 1));
  const delay = step / 2 + random() * (step / 2);
  return Math.min(delay, remaining);
}
