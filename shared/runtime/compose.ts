import type { RunPlan } from '../plan/types.js';
import { planRun, type RunRequest, type RunResult, runRotation } from '../rotation/run-rotation.js';
import { afterRun } from '../notify/after-run.js';
import { summarize } from '../rotation/outcome.js';
import { statusRun } from '../status/status-run.js';
import type { StatusReport } from '../status/types.js';
import { type WireOptions, wireRotation } from './wire.js';

/** What a caller may ask to see: the same selection as a run. */
export interface PlanRequest {
  certificates?: string[];
  force?: boolean;
  signal?: AbortSignal;
}

export interface StatusRequest {
  certificates?: string[];
  /** Adds a live TLS check of every target. */
  wire?: boolean;
  signal?: AbortSignal;
}

/** Everything the function, the operator function and the CLI do with the rotator. */
export interface Rotator {
  /** What a run would do now, with reasons and the exact API calls; reads only, never loads acme-client. */
  plan(request: PlanRequest): Promise<RunPlan>;
  /** Every managed certificate: where it is served, expiry, renewAt, state. Reads only. */
  status(request: StatusRequest): Promise<StatusReport>;
  /** A rotation run, then its alert and heartbeat. A run whose trigger is `fanout` is a worker of a fanned-out run. */
  run(request: RunRequest): Promise<RunResult>;
  /**
   * A coordinator that handed the run to workers: checks the watch list (alerting about it) and pings the heartbeat,
   * the failure URL when a partition could not be started. The workers alert about their own certificates.
   */
  afterFanout(input: { certificates: number; ok: boolean; durationMs: number }): Promise<void>;
}

export type ComposeOptions = WireOptions;

/** Due for longer than this is `overdue` in the status: three missed daily runs. */
export const DEFAULT_OVERDUE_AFTER_DAYS = 3;

/** The one composition root: the rotation function, the operator function and the CLI all build the rotator here. */
export function composeRotator(options: ComposeOptions): Rotator {
  const deps = wireRotation(options);
  const { config } = options;
  const after = {
    watch: config.watch,
    alerts: config.alerts,
    heartbeat: config.heartbeat,
    clock: options.clock ?? (() => new Date()),
    logger: options.logger,
  };
  return {
    plan: (request) => planRun(config, request, deps),
    status: (request) =>
      statusRun(
        config,
        {
          ...request,
          overdueAfterDays: config.status?.overdueAfterDays ?? DEFAULT_OVERDUE_AFTER_DAYS,
        },
        deps,
      ),
    async run(request) {
      const result = await runRotation(config, request, deps);
      await afterRun({ ...after, result, role: request.trigger === 'fanout' ? 'worker' : 'run' });
      return result;
    },
    async afterFanout({ certificates, ok, durationMs }) {
      const summary = { ...summarize([], 'timer', durationMs), certificates, ok };
      await afterRun({ ...after, result: { records: [], summary }, role: 'coordinator' });
    },
  };
}
