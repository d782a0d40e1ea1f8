import { CloudApiError } from '../errors.js';
import { ASYNC_TASK_ALREADY_EXISTS, type FunctionInvoker } from '../ports/function-invoker.js';
import type { RotationStart, RotationStarted } from './router.js';

/**
 * `POST /rotate`'s effect: an asynchronous invocation of the rotation function with the request as its payload. With
 * a task id, a second start under the same id is reported as `alreadyStarted`, not as a failure: that is the
 * retry the id exists for, and the run it names was queued by the first request.
 * How FC answers a reused `x-fc-async-task-id` (HTTP 409 is assumed, as the emulator answers) is UNCONFIRMED; the
 * FunctionInvoker adapter turns that answer into `AsyncTaskAlreadyExists`, and anything else stays a failure here,
 * so an unexpected answer is reported rather than taken for "already started".
 */
export function rotationStarter(
  invoker: FunctionInvoker,
  functionName: string,
): (request: RotationStart, options?: { taskId?: string }) => Promise<RotationStarted> {
  return async (request, options = {}) => {
    try {
      // The rotation function reads the same {certificates?, force?} from a direct invocation's payload.
      return await invoker.invokeAsync(
        functionName,
        request,
        options.taskId !== undefined ? { taskId: options.taskId } : {},
      );
    } catch (err) {
      if (options.taskId !== undefined && err instanceof CloudApiError && err.code === ASYNC_TASK_ALREADY_EXISTS) {
        return { alreadyStarted: true };
      }
      throw err;
    }
  };
}
