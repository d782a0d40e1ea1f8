import { ConfigError } from '../errors.js';

type Env = Readonly<Record<string, string | undefined>>;

export const FANOUT_MODES = ['never', 'auto', 'always'] as const;
export type FanoutMode = (typeof FANOUT_MODES)[number];

/**
 * How the timer's run is fanned out. These are deployment settings, not certificate settings: they depend on the
 * function's timeout and on the worker function s.yaml declares, so they live in the function's environment next to
 * those, not in rotator.yaml (which the CLI reads too, and the CLI never fans out).
 */
export interface FanoutSettings {
  mode: FanoutMode;
  /** The function the workers run in; the invoked function's own name when absent. */
  workerFunction: string | undefined;
  /** Explicit bound on certificates per worker; derived from the timeout and the estimate when absent. */
  maxPerWorker: number | undefined;
  /** What one certificate is assumed to take: DNS propagation and validation dominate. */
  secondsPerCertificate: number;
}

export const FANOUT_VARIABLES = {
  mode: 'ROTATOR_FANOUT',
  workerFunction: 'ROTATOR_FANOUT_FUNCTION',
  maxPerWorker: 'ROTATOR_FANOUT_MAX_PER_WORKER',
  secondsPerCertificate: 'ROTATOR_FANOUT_SECONDS_PER_CERTIFICATE',
} as const;

/** One DNS-01 round (record, propagation to every authoritative server, validation) plus upload and wire check. */
export const DEFAULT_SECONDS_PER_CERTIFICATE = 60;
/** A worker event's certificate list holds at most this many names (the run request's own limit). */
export const MAX_CERTIFICATES_PER_WORKER = 100;
/** Part of a time budget planned for work; the rest is left for a slow provider and for reporting. */
const BUDGET_SHARE = 0.8;

/** Every bad variable is named at once; an empty value means the default, as for every other variable. */
export function fanoutSettingsFromEnvironment(env: Env): FanoutSettings {
  const problems: string[] = [];
  const value = (name: string) => {
    const v = env[name]?.trim();
    return v === undefined || v === '' ? undefined : v;
  };
  const modeText = value(FANOUT_VARIABLES.mode);
  let mode: FanoutMode = 'auto';
  if (modeText !== undefined) {
    if ((FANOUT_MODES as readonly string[]).includes(modeText)) mode = modeText as FanoutMode;
    else problems.push(`${FANOUT_VARIABLES.mode}: must be one of ${FANOUT_MODES.join(', ')}`);
  }
  const workerFunction = value(FANOUT_VARIABLES.workerFunction);
  if (workerFunction !== undefined && !/^[A-Za-z_][A-Za-z0-9_-]{0,63}$/.test(workerFunction)) {
    problems.push(`${FANOUT_VARIABLES.workerFunction}: not a Function Compute function name`);
  }
  const integer = (name: string, min: number, max: number): number | undefined => {
    const text = value(name);
    if (text === undefined) return undefined;
    const n = Number(text);
    if (!/^\d+$/.test(text) || n < min || n > max) {
      problems.push(`${name}: must be a whole number from ${min} to ${max}`);
      return undefined;
    }
    return n;
  };
  const maxPerWorker = integer(FANOUT_VARIABLES.maxPerWorker, 1, MAX_CERTIFICATES_PER_WORKER);
  const secondsPerCertificate =
    integer(FANOUT_VARIABLES.secondsPerCertificate, 1, 3600) ?? DEFAULT_SECONDS_PER_CERTIFICATE;
  if (problems.length > 0) throw new ConfigError(problems);
  return { mode, workerFunction, maxPerWorker, secondsPerCertificate };
}

/**
 * Certificates one worker can finish in its function timeout: 80% of the timeout divided by the estimate (900 s and
 * 60 s give 12), at least 1 and at most 100.
 */
export function maxPerWorker(settings: FanoutSettings, functionTimeoutSeconds: number): number {
  if (settings.maxPerWorker !== undefined) return settings.maxPerWorker;
  const fit = Math.floor((functionTimeoutSeconds * BUDGET_SHARE) / settings.secondsPerCertificate);
  return Math.min(MAX_CERTIFICATES_PER_WORKER, Math.max(1, fit));
}

export type FanoutDecision = { fanOut: true; reason: string } | { fanOut: false; reason: string };

/**
 * Whether the timer's run fans out. `auto` fans out when the due certificates times the estimate do not fit in
 * 80% of what is left of this invocation; the time left is passed in, never read from a clock here.
 */
export function decideFanout(settings: FanoutSettings, dueCount: number, remainingMs: number): FanoutDecision {
  const needed = dueCount * settings.secondsPerCertificate;
  const available = Math.floor((remainingMs / 1000) * BUDGET_SHARE);
  const estimate = `${dueCount} due × ${settings.secondsPerCertificate} s = ${needed} s against ${available} s (80% of the time left)`;
  if (settings.mode === 'never') return { fanOut: false, reason: `${FANOUT_VARIABLES.mode}=never` };
  if (dueCount === 0) return { fanOut: false, reason: 'nothing is due' };
  if (settings.mode === 'always') return { fanOut: true, reason: `${FANOUT_VARIABLES.mode}=always; ${estimate}` };
  return needed > available
    ? { fanOut: true, reason: `does not fit one invocation: ${estimate}` }
    : { fanOut: false, reason: `fits one invocation: ${estimate}` };
}
