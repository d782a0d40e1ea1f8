import type { ManagedCertificate } from '../config/types.js';
import { RotatorError } from '../errors.js';
import type { RunPlan } from '../plan/types.js';
import { ASYNC_TASK_ALREADY_EXISTS, type FunctionInvoker } from '../ports/function-invoker.js';
import type { FanoutPartitionRecord, FanoutRecord } from './fanout-record.js';
import { dueCertificates, fleetMembers, partitionFleet } from './partition.js';
import type { FanoutMode } from './settings.js';

/** The event a worker is invoked with; shared/fc/run-request.ts accepts exactly this shape. */
export interface WorkerEvent {
  mode: 'worker';
  certificates: string[];
  /** Only when the coordinator's own run was forced: the worker must then order even for a certificate not due. */
  force?: true;
  fanout: { runId: string; partition: string; taskId: string };
}

export interface CoordinateInput {
  runId: string;
  trigger: string;
  mode: FanoutMode;
  reason: string;
  /** The selected certificates (configuration order) and the plan made for them. */
  certificates: readonly ManagedCertificate[];
  plan: RunPlan;
  maxPerWorker: number;
  workerFunction: string;
  force: boolean;
  invoker: FunctionInvoker;
  write: (record: FanoutRecord) => void;
  clock: () => Date;
}

/** The async task id of one partition of one run: the same for every attempt of the coordinator. */
export function partitionTaskId(runId: string, partitionKey: string): string {
  return `${runId}-${partitionKey}`;
}

/**
 * Starts one asynchronous invocation per partition and writes the run's `rotation.fanout` record. A task id that
 * was already used means an earlier attempt of this coordinator started that partition: it is recorded as
 * `alreadyStarted`, not as a failure, and not started again. A partition that could not be started is recorded with
 * its error, and the record's `ok` is false: the caller fails the invocation, so that Function Compute retries it and
 * the retry starts exactly the partitions that are missing.
 */
export async function coordinateFanout(input: CoordinateInput): Promise<FanoutRecord> {
  const startedAt = input.clock().getTime();
  const due = dueCertificates(input.plan);
  const partitions = partitionFleet(fleetMembers(input.certificates, input.plan), due, input.maxPerWorker);
  const started = await Promise.all(
    partitions.map(async (p): Promise<FanoutPartitionRecord> => {
      const taskId = partitionTaskId(input.runId, p.key);
      const event: WorkerEvent = {
        mode: 'worker',
        certificates: p.certificates,
        ...(input.force ? { force: true as const } : {}),
        fanout: { runId: input.runId, partition: p.key, taskId },
      };
      const base = {
        key: p.key,
        taskId,
        region: p.region,
        certificates: p.certificates,
        loadBalancers: p.loadBalancers,
      };
      try {
        const { invocationId } = await input.invoker.invokeAsync(input.workerFunction, event, { taskId });
        return { ...base, invocationId };
      } catch (err) {
        if (err instanceof RotatorError && err.code === ASYNC_TASK_ALREADY_EXISTS)
          return { ...base, alreadyStarted: true };
        return { ...base, error: err instanceof Error ? err.message : String(err) };
      }
    }),
  );
  const handed = started.reduce((n, p) => n + p.certificates.length, 0);
  const record: FanoutRecord = {
    event: 'rotation.fanout',
    runId: input.runId,
    trigger: input.trigger,
    mode: input.mode,
    reason: input.reason,
    function: input.workerFunction,
    maxPerWorker: input.maxPerWorker,
    certificates: handed,
    notDue: input.certificates.length - handed,
    partitions: started,
    ok: started.every((p) => p.error === undefined),
    durationMs: input.clock().getTime() - startedAt,
  };
  input.write(record);
  return record;
}
