/**
 * Starts another run of a Function Compute function without waiting for it: the operator API answers `202` with the
 * invocation id, and a coordinator fans partitions out to workers.
 */
export interface InvokeAsyncOptions {
  /**
   * Idempotency key for the asynchronous invocation: Function Compute starts at most one task per id, so a caller
   * that retries after a lost answer does not start the work twice. A reused id rejects with a CloudApiError whose
   * code is `AsyncTaskAlreadyExists`, whatever code the service used.
   */
  taskId?: string;
  /** Version or alias to invoke; the latest code when absent. */
  qualifier?: string;
}

export interface FunctionInvoker {
  /** Resolves once Function Compute has queued the event (not when the function has run). */
  invokeAsync(functionName: string, payload: unknown, options?: InvokeAsyncOptions): Promise<{ invocationId: string }>;
}

/** The code a FunctionInvoker reports for a task id that was already used. */
export const ASYNC_TASK_ALREADY_EXISTS = 'AsyncTaskAlreadyExists';
