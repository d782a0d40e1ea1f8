import type { WatchStatus } from '../status/types.js';
import { mapConcurrent } from '../util/map-concurrent.js';
import { type CheckEndpointOptions, checkEndpoint } from './check-endpoint.js';
import type { WatchTarget } from './settings.js';

/** Enough to hide a few slow endpoints behind each other, few enough not to look like a scan from one address. */
export const DEFAULT_WATCH_CONCURRENCY = 8;

export interface CheckWatchListOptions extends CheckEndpointOptions {
  /** How many endpoints are checked at the same time. */
  concurrency?: number;
}

/** Checks every endpoint, at most `concurrency` at a time; results in the order of the list. */
export async function checkWatchList(
  list: readonly WatchTarget[],
  options: CheckWatchListOptions,
): Promise<WatchStatus[]> {
  const concurrency = options.concurrency ?? DEFAULT_WATCH_CONCURRENCY;
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new RangeError(`watch concurrency must be a whole number of at least 1, got ${String(concurrency)}`);
  }
  return mapConcurrent(list, concurrency, (target) => checkEndpoint(target, options));
}
