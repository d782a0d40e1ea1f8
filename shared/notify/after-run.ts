import type { Logger } from '../log/logger.js';
import type { RunResult } from '../rotation/run-rotation.js';
import type { WatchStatus } from '../status/types.js';
import { checkWatchList, type CheckWatchListOptions } from '../watch/check-watch-list.js';
import type { WatchTarget } from '../watch/settings.js';
import { type HeartbeatResult, sendHeartbeat } from './heartbeat.js';
import { notifyRun, type NotifyRunResult } from './notify-run.js';
import type { AlertSettings, HeartbeatSettings } from './settings.js';

export interface AfterRunInput {
  /** The configuration's `watch`, `alerts` and `heartbeat` sections. */
  watch: readonly WatchTarget[] | undefined;
  alerts: AlertSettings | undefined;
  heartbeat: HeartbeatSettings | undefined;
  result: RunResult;
  clock: () => Date;
  logger: Logger;
  /** How the watched endpoints are checked (tests shorten the time-out). */
  watchOptions?: Omit<CheckWatchListOptions, 'now'>;
  /**
   * Which part of a run this is. `run` (default): a whole run. A fanned-out run is a `coordinator` (it started the
   * workers; `result` has no records and its summary's `ok` says whether every partition started) and one `worker`
   * per partition. The coordinator checks the watch list and pings the heartbeat; each worker alerts about its own
   * certificates and pings only the failure URL, only when its partition was not ok: a worker that succeeded after
   * another failed must not turn the monitor green again.
   */
  role?: 'run' | 'coordinator' | 'worker';
}

export interface AfterRunResult {
  watched: WatchStatus[];
  notified: NotifyRunResult;
  heartbeat: HeartbeatResult;
}

/**
 * After every completed run: check the watched endpoints, send the run's one alert (outcomes, served expiry and
 * watch problems together), ping the heartbeat. None of it can fail the run: each part logs its own failures.
 *
 * The heartbeat follows the run's own `ok` only. A watched endpoint is someone else's certificate: when it is
 * unreachable, invalid or expiring, the alert says so, but the rotator did its job, and a failure ping would page
 * the rotator's owner for a partner's outage (and, repeated daily, teach them to ignore the monitor).
 */
export async function afterRun(input: AfterRunInput): Promise<AfterRunResult> {
  const { result, clock, logger } = input;
  const role = input.role ?? 'run';
  const watch = role === 'worker' ? undefined : input.watch;
  const watched = watch?.length ? await checkWatchList(watch, { ...input.watchOptions, now: clock() }) : [];
  const notified = await notifyRun({
    records: result.records,
    summary: result.summary,
    watch: watched,
    alerts: input.alerts,
    clock,
    logger,
  });
  const heartbeat =
    role === 'worker' && result.summary.ok
      ? 'skipped'
      : await sendHeartbeat({ heartbeat: input.heartbeat, ok: result.summary.ok, logger });
  return { watched, notified, heartbeat };
}
