import { createHash } from 'node:crypto';

/**
 * The id of one coordinated run, part of every worker's async task id. It must be the same when Function Compute
 * retries the coordinator's invocation, or the retry would start every partition a second time. A timer trigger's
 * event carries the time it fired (`triggerTime`), and FC's retry of that asynchronous invocation delivers the same
 * event: the trigger's name and that time identify the run. Any other start (a direct invocation) has only the FC
 * request id, which a retry of the same asynchronous invocation keeps as well.
 */
export function fanoutRunId(source: { triggerName: string; triggerTime: string } | { requestId: string }): string {
  if ('triggerTime' in source) {
    const name = clean(source.triggerName) || 'timer';
    const time = source.triggerTime.replace(/[^A-Za-z0-9]/g, '');
    return bounded(`${name}-${time || hash(source.triggerTime)}`);
  }
  return bounded(clean(source.requestId) || hash(source.requestId));
}

/** Letters, digits and `-` only: the id becomes part of an x-fc-async-task-id header. */
function clean(text: string): string {
  return text.replace(/[^A-Za-z0-9-]/g, '');
}

/** Task ids are at most 128 characters; a run id of at most 64 leaves room for the partition key. */
function bounded(id: string): string {
  return id.length <= 64 ? id : `${id.slice(0, 51)}-${hash(id)}`;
}

function hash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 12);
}
