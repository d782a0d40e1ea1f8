import { writeSync } from 'node:fs';
import { redactDeep } from '../log/redact.js';
import type { FanoutMode } from './settings.js';

/** One partition as the coordinator started it. Exactly one of invocationId, alreadyStarted and error is set. */
export interface FanoutPartitionRecord {
  key: string;
  taskId: string;
  region: string;
  certificates: string[];
  loadBalancers: string[];
  /** Function Compute's request id of the asynchronous invocation this coordinator started. */
  invocationId?: string;
  /** True when the task id was already used: an earlier attempt of this coordinator started the partition. */
  alreadyStarted?: boolean;
  /** Why the partition could not be started (the coordinator's invocation then fails, and FC retries it). */
  error?: string;
}

/** What the coordinator did: written once per coordinated run, before the workers' own records. */
export interface FanoutRecord {
  event: 'rotation.fanout';
  runId: string;
  trigger: string;
  mode: FanoutMode;
  /** Why the run was fanned out, with the estimate. */
  reason: string;
  /** The function the workers run in. */
  function: string;
  maxPerWorker: number;
  /** Certificates handed to workers (due, or unreadable so a worker retries and records them). */
  certificates: number;
  /** Selected certificates that were not due: no worker handles them and no outcome record is written for them. */
  notDue: number;
  partitions: FanoutPartitionRecord[];
  /** False when a partition could not be started. */
  ok: boolean;
  durationMs: number;
}

/** Every field of the two records, for the README's table (a test compares them). */
export const FANOUT_FIELDS = [
  'event',
  'runId',
  'trigger',
  'mode',
  'reason',
  'function',
  'maxPerWorker',
  'certificates',
  'notDue',
  'partitions',
  'ok',
  'durationMs',
] as const satisfies readonly (keyof FanoutRecord)[];
export const FANOUT_PARTITION_FIELDS = [
  'key',
  'taskId',
  'region',
  'certificates',
  'loadBalancers',
  'invocationId',
  'alreadyStarted',
  'error',
] as const satisfies readonly (keyof FanoutPartitionRecord)[];
type Unlisted<T, L extends readonly PropertyKey[]> = Exclude<keyof T, L[number]>;
export const FANOUT_FIELD_LISTS_COMPLETE: [Unlisted<FanoutRecord, typeof FANOUT_FIELDS>] extends [never]
  ? [Unlisted<FanoutPartitionRecord, typeof FANOUT_PARTITION_FIELDS>] extends [never]
    ? true
    : never
  : never = true;

/**
 * A JSON line on `fd`, redacted and stamped with `time` like every outcome record (the outcome sink's type takes
 * outcome and summary records only).
 */
export function fanoutLineWriter(fd: number, clock: () => Date = () => new Date()): (record: FanoutRecord) => void {
  return (record) => {
    writeSync(fd, `${JSON.stringify(redactDeep({ time: clock().toISOString(), ...record }))}\n`);
  };
}
