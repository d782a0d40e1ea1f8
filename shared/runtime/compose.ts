import type { RotatorConfig } from '../config/types.js';
import type { Logger } from '../log/logger.js';
import type { OutcomeSink } from '../log/outcome-sink.js';
import type { RunPlan } from '../plan/types.js';
import { type RunRequest, type RunResult, runRotation } from '../rotation/run-rotation.js';
import type { StatusReport } from '../status/types.js';
import type { CredentialsProvider } from './credentials.js';
import { wireRotation } from './wire.js';

/** What a caller may ask to see: the same selection as a run. */
export interface PlanRequest {
  certificates?: string[];
  force?: boolean;
}

export interface StatusRequest {
  certificates?: string[];
  /** Adds a live TLS check of every target. */
  wire?: boolean;
}

/** Everything the function, the operator function and the CLI do with the rotator. */
export interface Rotator {
  /** What a run would do now, with reasons and the exact API calls; reads only. */
  plan(request: PlanRequest): Promise<RunPlan>;
  /** Every managed certificate: where it is served, expiry, renewAt, state. Reads only. */
  status(request: StatusRequest): Promise<StatusReport>;
  /** A rotation run (`dryRun` answers with the plan and changes nothing). */
  run(request: RunRequest): Promise<RunResult>;
}

export interface ComposeOptions {
  config: RotatorConfig;
  env: Readonly<Record<string, string | undefined>>;
  credentials: CredentialsProvider;
  logger: Logger;
  sink: OutcomeSink;
  clock?: () => Date;
}

/** The one composition root: the rotation function, the operator function and the CLI all build the rotator here. */
export function composeRotator(options: ComposeOptions): Rotator {
  const deps = wireRotation(options);
  return {
    plan: () => Promise.reject(new Error('plan: not built yet')),
    status: () => Promise.reject(new Error('status: not built yet')),
    run: (request) => runRotation(options.config, request, deps),
  };
}
