import { CloudApiError } from '../../../shared/errors.js';
import {
  ASYNC_TASK_ALREADY_EXISTS,
  type FunctionInvoker,
  type InvokeAsyncOptions,
} from '../../../shared/ports/function-invoker.js';

export interface FakeInvocation {
  functionName: string;
  payload: unknown;
  options: InvokeAsyncOptions;
}

/**
 * An in-memory Function Compute as the FunctionInvoker port describes it: each call queues one invocation, and a
 * task id queues at most one, a reuse rejecting with `AsyncTaskAlreadyExists`.
 */
export function fakeInvoker() {
  const queued: FakeInvocation[] = [];
  const refused: FakeInvocation[] = [];
  const taskIds = new Set<string>();
  const invoker: FunctionInvoker = {
    async invokeAsync(functionName, payload, options = {}) {
      const call = { functionName, payload, options };
      if (options.taskId !== undefined) {
        if (taskIds.has(options.taskId)) {
          refused.push(call);
          throw new CloudApiError('invoke', 'InvokeFunction', 'InvokeFunction: the async task id was already used', {
            code: ASYNC_TASK_ALREADY_EXISTS,
            retryable: false,
          });
        }
        taskIds.add(options.taskId);
      }
      queued.push(call);
      return { invocationId: `inv-${queued.length}` };
    },
  };
  return { invoker, queued, refused };
}
