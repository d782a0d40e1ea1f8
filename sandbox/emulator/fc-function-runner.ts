import type { StsCredentials } from './credentials.js';
import type { FcInstances } from './fc-instance.js';

/** The context FC 3.0's Node runtime passes next to the event (the fields the FC context doc lists). */
export interface FcContext {
  requestId: string;
  region: string;
  accountId: string;
  credentials: { accessKeyId: string; accessKeySecret: string; securityToken: string };
  function: { name: string; handler: string; memory: number; timeout: number };
  service: { name: string; logProject: string; logStore: string; qualifier: string; versionId: string };
  logger: Pick<Console, 'info' | 'warn' | 'error' | 'debug' | 'log'>;
}

export type FcHandler = (event: Buffer, context: FcContext) => unknown;

/** A function as the emulator runs it: a handler in this process, or a bundle in its own instances as FC does. */
export type FcFunctionCode =
  | { handler: FcHandler }
  | {
      /** A CommonJS file exporting `handler`, e.g. dist/rotate/index.js. */
      bundle: string;
      /** The function's environment variables, on top of this process's environment. */
      env?: Record<string, string>;
    };

export interface FcFunctionSpec {
  name: string;
  code: FcFunctionCode;
  /** Seconds; FC's default is 3, the rotator's s.yaml says 900. Default here 60. */
  timeout?: number;
  memory?: number;
  /**
   * How often a failed asynchronous invocation is tried again (FC's asyncInvokeConfig.maxAsyncRetryAttempts, 0–8);
   * the emulator's default (FC's: 3) when absent.
   */
  maxAsyncRetryAttempts?: number;
}

export type RunResult =
  { ok: true; result: unknown; logs: string } | { ok: false; errorType: string; errorMessage: string; logs: string };

export interface RunInput {
  spec: FcFunctionSpec;
  event: Buffer;
  requestId: string;
  region: string;
  accountId: string;
  qualifier: string;
  credentials: StsCredentials;
  signal: AbortSignal;
  /** Aborted to SIGKILL this one attempt, as an instance that crashes or is reclaimed mid-run. */
  kill?: AbortSignal;
  /** Where a bundle runs: the warm instances of the emulator's functions. */
  instances: FcInstances;
}

/** Runs one invocation to its end; never throws: a failing function is a result, as FC records it. */
export async function runFunction(input: RunInput): Promise<RunResult> {
  const timeoutMs = (input.spec.timeout ?? 60) * 1000;
  if ('handler' in input.spec.code) return runInProcess(input, input.spec.code.handler, timeoutMs);
  return runBundle(input, input.spec.code.bundle, input.spec.code.env ?? {}, timeoutMs);
}

function context(input: RunInput, logger: FcContext['logger']): FcContext {
  const { accessKeyId, accessKeySecret, securityToken } = input.credentials;
  return {
    requestId: input.requestId,
    region: input.region,
    accountId: input.accountId,
    credentials: { accessKeyId, accessKeySecret, securityToken },
    function: {
      name: input.spec.name,
      handler: 'index.handler',
      memory: input.spec.memory ?? 512,
      timeout: input.spec.timeout ?? 60,
    },
    service: { name: '', logProject: '', logStore: '', qualifier: input.qualifier, versionId: '' },
    logger,
  };
}

async function runInProcess(input: RunInput, handler: FcHandler, timeoutMs: number): Promise<RunResult> {
  const lines: string[] = [];
  const log =
    (level: string) =>
    (...args: unknown[]) =>
      lines.push(`${level} ${args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' ')}`);
  const logger = { info: log('INFO'), warn: log('WARN'), error: log('ERROR'), debug: log('DEBUG'), log: log('INFO') };
  let timer: NodeJS.Timeout | undefined;
  try {
    const result = await Promise.race([
      Promise.resolve().then(() => handler(input.event, context(input, logger))),
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(Object.assign(new Error('Function timed out'), { name: 'FunctionTimeout' })),
          timeoutMs,
        );
        // A handler in this process cannot be killed: its result is ignored instead, as if its process had died.
        input.kill?.addEventListener('abort', () =>
          reject(Object.assign(new Error('the function process was killed'), { name: 'ProcessKilled' })),
        );
      }),
    ]);
    return { ok: true, result: result ?? null, logs: lines.join('\n') };
  } catch (err) {
    const e = err as { name?: unknown; message?: unknown };
    return {
      ok: false,
      errorType: typeof e?.name === 'string' ? e.name : 'Error',
      errorMessage: typeof e?.message === 'string' ? e.message : String(err),
      logs: lines.join('\n'),
    };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * In a warm instance (fc-instance.ts): an idle one of this registration, or a new Node process that `require`s the
 * bundle through the same loader `npm start` uses (sandbox/fc-local-runtime.cjs). The context, STS credentials
 * included, goes to the instance over its IPC channel, never through a file.
 */
function runBundle(
  input: RunInput,
  bundle: string,
  env: Record<string, string>,
  timeoutMs: number,
): Promise<RunResult> {
  const ctx = context(input, console);
  return input.instances.run(input.spec, bundle, env, {
    event: input.event,
    context: {
      requestId: ctx.requestId,
      region: ctx.region,
      accountId: ctx.accountId,
      functionName: ctx.function.name,
      timeout: ctx.function.timeout,
      memory: ctx.function.memory,
      qualifier: input.qualifier,
      credentials: ctx.credentials,
    },
    timeoutMs,
    signal: input.signal,
    ...(input.kill ? { kill: input.kill } : {}),
  });
}
