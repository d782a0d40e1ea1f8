import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StsCredentials } from './credentials.js';

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

/** A function as the emulator runs it: a handler in this process, or a bundle in its own Node process as FC does. */
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

const runtime = new URL('../fc-local-runtime.cjs', import.meta.url).pathname;

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
 * Through sandbox/fc-local-runtime.cjs, the same loader `npm start` uses: a fresh Node process per invocation,
 * the bundle `require`d, its stdout kept as the invocation's log. The context file holds the STS credentials: it
 * is written with mode 0600 in a private directory that is removed afterwards.
 */
async function runBundle(
  input: RunInput,
  bundle: string,
  env: Record<string, string>,
  timeoutMs: number,
): Promise<RunResult> {
  const dir = await mkdtemp(join(tmpdir(), 'emu-fc-'));
  try {
    const eventFile = join(dir, 'event');
    const contextFile = join(dir, 'context.json');
    const resultFile = join(dir, 'result.json');
    await writeFile(eventFile, input.event);
    const ctx = context(input, console);
    await writeFile(
      contextFile,
      JSON.stringify({
        requestId: ctx.requestId,
        region: ctx.region,
        accountId: ctx.accountId,
        functionName: ctx.function.name,
        timeout: ctx.function.timeout,
        memory: ctx.function.memory,
        qualifier: input.qualifier,
        credentials: ctx.credentials,
      }),
      { mode: 0o600 },
    );
    const { stdout, stderr, failure } = await new Promise<{ stdout: string; stderr: string; failure?: string }>(
      (resolve) => {
        execFile(
          process.execPath,
          [runtime, bundle, eventFile, contextFile, resultFile],
          {
            env: { ...process.env, ...env },
            maxBuffer: 16 * 1024 * 1024,
            timeout: timeoutMs,
            killSignal: 'SIGKILL',
            signal: input.kill ? AbortSignal.any([input.signal, input.kill]) : input.signal,
          },
          (err, out, errOut) => {
            const failure = err
              ? input.kill?.aborted
                ? 'ProcessKilled'
                : (err as { killed?: boolean }).killed || err.name === 'AbortError'
                  ? 'FunctionTimeout'
                  : 'ProcessExited'
              : undefined;
            resolve({ stdout: String(out), stderr: String(errOut), ...(failure ? { failure } : {}) });
          },
        );
      },
    );
    const logs = stdout + stderr;
    const written = await readFile(resultFile, 'utf8').catch(() => undefined);
    if (failure === 'ProcessKilled') {
      return { ok: false, errorType: 'ProcessKilled', errorMessage: 'the function process was killed', logs };
    }
    if (written !== undefined) {
      const parsed = JSON.parse(written) as
        { ok: true; result: unknown } | { ok: false; errorType: string; errorMessage: string };
      return { ...parsed, logs };
    }
    return failure === 'FunctionTimeout'
      ? {
          ok: false,
          errorType: 'FunctionTimeout',
          errorMessage: `Function timed out after ${timeoutMs / 1000} s`,
          logs,
        }
      : { ok: false, errorType: 'ProcessExited', errorMessage: 'the function process exited without a result', logs };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
