import { randomUUID } from 'node:crypto';
import { listen } from './listen.js';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { setTimeout as delay } from 'node:timers/promises';
import type { CredentialStore } from './credentials.js';
import { ApiError } from './errors.js';
import { type FcFunctionSpec, type RunResult, runFunction } from './fc-function-runner.js';
import { FcInstances } from './fc-instance.js';
import {
  contentMd5Matches,
  fcSignature,
  fcStringToSign,
  parseFcAuthorization,
  sameSecretString,
} from './fc-signature.js';

/**
 * Function Compute 3.0's InvokeFunction on loopback: `POST /2023-03-30/functions/<name>/invocations`, signed the
 * way @alicloud/fc2 signs (the `FC` scheme), sync or async (`x-fc-invocation-type`), with `x-fc-async-task-id`
 * deduplication. It runs registered functions with an FC 3.0 context whose credentials are fresh STS credentials
 * of the emulator, so a function can call the emulated SLB/Alidns exactly as it would from FC.
 */
export const FC_API_VERSION = '2023-03-30';

/** ±15 minutes between `date` and the server's clock (the FC signature doc's window; 403 outside it). */
export const FC_MAX_CLOCK_SKEW_MS = 15 * 60_000;
const MAX_BODY_BYTES = 6 * 1024 * 1024;

export type InvocationStatus = 'queued' | 'running' | 'succeeded' | 'failed';

/** One invocation as tests see it. `event` is the payload as sent; credentials are never kept. */
export interface FcInvocation {
  requestId: string;
  functionName: string;
  qualifier: string;
  type: 'Sync' | 'Async' | 'HttpTrigger';
  taskId: string | undefined;
  status: InvocationStatus;
  event: string;
  /** What the handler returned (set when succeeded). */
  result?: unknown;
  /** Set when failed: the error's name and message, as FC reports an unhandled error. */
  error?: { type: string; message: string };
  /** The function's stdout and stderr (what FC would ship to Log Service), of every attempt. */
  logs: string;
  /** How many times the function was run: 1 plus the retries of a failed asynchronous invocation. */
  attempts: number;
  /** Why each failed attempt failed, oldest first (the last one is also `error` when every attempt failed). */
  attemptErrors: { type: string; message: string }[];
}

/** One attempt of an asynchronous invocation, as `killAsyncAttempt` sees it. */
export interface AsyncAttempt {
  requestId: string;
  functionName: string;
  taskId: string | undefined;
  /** 1 for the first run, 2 for the first retry, … */
  attempt: number;
  /** The event, as sent: every attempt gets the same one. */
  event: string;
}

export interface FcServiceOptions {
  clock: () => number;
  credentials: CredentialStore;
  accountId: string;
  region: string;
  /** Retries of a failed asynchronous invocation when its function's spec sets none; FC's default is 3. */
  maxAsyncRetryAttempts?: number;
  /**
   * Called as each attempt of an asynchronous invocation starts. A returned promise kills that attempt (SIGKILL of
   * its process) when it resolves: a test's way to crash a worker at a moment it chooses.
   */
  killAsyncAttempt?: (attempt: AsyncAttempt) => Promise<void> | undefined;
  /** How long a bundle's instance may stay idle before it is reclaimed; DEFAULT_IDLE_INSTANCE_MS when absent. */
  idleInstanceMs?: number;
}

/** Registered functions, invocations, and the run itself; shared by the API endpoint and the HTTP trigger gateway. */
export class FcService {
  readonly accountId: string;
  readonly region: string;
  readonly #functions = new Map<string, FcFunctionSpec>();
  readonly #invocations: FcInvocation[] = [];
  readonly #tasks = new Map<string, string>();
  readonly #running = new Set<Promise<void>>();
  readonly #waiters = new Map<string, Array<(inv: FcInvocation) => void>>();
  readonly #stop = new AbortController();
  readonly #instances: FcInstances;

  constructor(private readonly options: FcServiceOptions) {
    this.accountId = options.accountId;
    this.region = options.region;
    this.#instances = new FcInstances(options.idleInstanceMs);
  }

  register(spec: FcFunctionSpec): void {
    if (!/^[A-Za-z_][A-Za-z0-9_-]{0,63}$/.test(spec.name)) throw new Error(`not an FC function name: ${spec.name}`);
    const old = this.#functions.get(spec.name);
    // As a function update in FC: later invocations run the new code and configuration, in new instances.
    if (old !== undefined && old !== spec) this.#instances.retire(old);
    this.#functions.set(spec.name, spec);
  }

  /** How many instance processes of bundled functions exist, busy or idle. */
  get instanceCount(): number {
    return this.#instances.count;
  }

  has(name: string): boolean {
    return this.#functions.has(name);
  }

  invocations(functionName?: string): FcInvocation[] {
    return this.#invocations
      .filter((i) => functionName === undefined || i.functionName === functionName)
      .map((i) => structuredClone(i));
  }

  /** Resolves when the invocation has finished (succeeded or failed). */
  waitFor(requestId: string, timeoutMs = 30_000): Promise<FcInvocation> {
    const inv = this.#invocations.find((i) => i.requestId === requestId);
    if (inv === undefined) return Promise.reject(new Error(`no invocation ${requestId}`));
    if (inv.status === 'succeeded' || inv.status === 'failed') return Promise.resolve(structuredClone(inv));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`invocation ${requestId} still ${inv.status} after ${timeoutMs} ms`)),
        timeoutMs,
      );
      const list = this.#waiters.get(requestId) ?? [];
      list.push((done) => {
        clearTimeout(timer);
        resolve(structuredClone(done));
      });
      this.#waiters.set(requestId, list);
    });
  }

  /**
   * Queues an async run. A task id already used for this function is refused: 409 with `ResourceAlreadyExists`.
   * The code FC 3.0 really answers for a reused x-fc-async-task-id is UNCONFIRMED (409 "already exists" is the
   * documented pattern of its other resources).
   */
  invokeAsync(name: string, qualifier: string, event: Buffer, taskId: string | undefined): FcInvocation {
    const spec = this.#spec(name);
    if (taskId !== undefined) {
      const key = `${name}\u0000${taskId}`;
      if (this.#tasks.has(key)) {
        throw new ApiError('ResourceAlreadyExists', `async task ${taskId} of function ${name} already exists`, 409);
      }
      this.#tasks.set(key, '');
    }
    const inv = this.#record(name, qualifier, 'Async', taskId, event);
    const run = (async () => {
      // FC answers 202 before the function starts: let the response go out first.
      await new Promise((r) => setImmediate(r));
      // As FC's async system does: a failed run (an error, a time-out, a crashed process) is run again with the
      // same event and request id, up to maxAsyncRetryAttempts more times. maxAsyncEventAgeInSeconds is not emulated.
      const retries = spec.maxAsyncRetryAttempts ?? this.options.maxAsyncRetryAttempts ?? 3;
      for (let attempt = 1; attempt <= 1 + retries; attempt++) {
        if (attempt > 1 && !(await this.#retryDelay(attempt - 1))) {
          // Stopped while waiting for the retry: the last attempt's failure is the invocation's.
          inv.status = 'failed';
          inv.error = inv.attemptErrors.at(-1) ?? { type: 'Stopped', message: 'the emulator stopped' };
          break;
        }
        const kill = new AbortController();
        const when = this.options.killAsyncAttempt?.({
          requestId: inv.requestId,
          functionName: name,
          taskId,
          attempt,
          event: inv.event,
        });
        void when?.then(
          () => kill.abort(),
          () => undefined,
        );
        const result = await this.#execute(spec, inv, event, kill.signal, attempt <= retries);
        if (result.ok || this.#stop.signal.aborted) break;
      }
      this.#settled(inv);
    })();
    this.#running.add(run);
    void run.finally(() => this.#running.delete(run));
    return structuredClone(inv);
  }

  /**
   * Waits before the n-th retry; false when the emulator stopped meanwhile. FC documents its schedule only for the
   * failures it retries for up to 5 hours (concurrency limit, system error): the first retry 0.5 s after the
   * failure, then 1, 2, 4, 8 s and so on. For a function's own error it documents the count, not the wait, so the same
   * schedule is used here (UNCONFIRMED). Retrying at once would be kinder than FC: a killed attempt's last request,
   * still being served, would then meet its retry far more often than it can in the service.
   */
  async #retryDelay(retry: number): Promise<boolean> {
    await delay(500 * 2 ** (retry - 1), undefined, { signal: this.#stop.signal }).catch(() => undefined);
    return !this.#stop.signal.aborted;
  }

  /** Runs to the end and returns the finished invocation. */
  async invokeSync(
    name: string,
    qualifier: string,
    event: Buffer,
    type: 'Sync' | 'HttpTrigger' = 'Sync',
    requestId?: string,
  ): Promise<{ invocation: FcInvocation; run: RunResult }> {
    const spec = this.#spec(name);
    const inv = this.#record(name, qualifier, type, undefined, event, requestId);
    const run = this.#execute(spec, inv, event);
    this.#running.add(run.then(() => undefined));
    const result = await run;
    this.#settled(inv);
    return { invocation: structuredClone(inv), run: result };
  }

  /** Kills running bundles and idle instances, and waits for every invocation to settle and every instance to end. */
  async close(): Promise<void> {
    this.#stop.abort();
    await Promise.allSettled([...this.#running]);
    await this.#instances.close();
  }

  #spec(name: string): FcFunctionSpec {
    const spec = this.#functions.get(name);
    if (spec === undefined) throw new ApiError('FunctionNotFound', `function '${name}' does not exist`, 404);
    return spec;
  }

  #record(
    name: string,
    qualifier: string,
    type: FcInvocation['type'],
    taskId: string | undefined,
    event: Buffer,
    requestId = `1-${randomUUID()}`,
  ) {
    const inv: FcInvocation = {
      requestId,
      functionName: name,
      qualifier,
      type,
      taskId,
      status: 'queued',
      event: event.toString('utf8'),
      logs: '',
      attempts: 0,
      attemptErrors: [],
    };
    this.#invocations.push(inv);
    return inv;
  }

  async #execute(
    spec: FcFunctionSpec,
    inv: FcInvocation,
    event: Buffer,
    kill?: AbortSignal,
    retryFollows = false,
  ): Promise<RunResult> {
    inv.status = 'running';
    inv.attempts += 1;
    const result = await runFunction({
      spec,
      event,
      requestId: inv.requestId,
      region: this.region,
      accountId: this.accountId,
      qualifier: inv.qualifier,
      // What FC hands every invocation: the function role's temporary credentials.
      credentials: this.options.credentials.issueSts(),
      signal: this.#stop.signal,
      ...(kill ? { kill } : {}),
      instances: this.#instances,
    });
    inv.logs += result.logs;
    if (result.ok) {
      inv.status = 'succeeded';
      inv.result = result.result;
      delete inv.error;
    } else {
      const error = { type: result.errorType, message: result.errorMessage };
      inv.attemptErrors.push(error);
      // Between attempts the invocation is waiting for its retry, not finished: waiters must not see `failed` yet.
      if (retryFollows && !this.#stop.signal.aborted) inv.status = 'queued';
      else {
        inv.status = 'failed';
        inv.error = error;
      }
    }
    return result;
  }

  /** Tells the waiters: only once no retry follows. */
  #settled(inv: FcInvocation): void {
    for (const w of this.#waiters.get(inv.requestId) ?? []) w(inv);
    this.#waiters.delete(inv.requestId);
  }
}

export interface FcApiServer {
  /** `http://127.0.0.1:PORT`: fc2's `endpoint` (ROTATOR_FC_ENDPOINT). */
  readonly endpoint: string;
  close(): Promise<void>;
}

/** The FC 3.0 API endpoint in front of an FcService. */
export async function startFcApiServer(
  service: FcService,
  options: { host: string; port: number; clock: () => number; credentials: CredentialStore },
): Promise<FcApiServer> {
  const server = createServer((req, res) => {
    handle(service, options, req, res).catch((err: unknown) => {
      console.error('[emulator fc] failed to answer a request:', err instanceof Error ? err.message : String(err));
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  const port = await listen(server, options.port, options.host);
  return { endpoint: `http://${options.host}:${port}`, close: () => closeServer(server) };
}

export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

export async function readBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > limit) throw new ApiError('EntityTooLarge', 'the request body is too large', 413);
    chunks.push(buf);
  }
  return Buffer.concat(chunks);
}

/** FC 3.0's error body. */
export function sendFcError(res: ServerResponse, requestId: string, err: unknown): void {
  const e = err instanceof ApiError ? err : new ApiError('InternalError', 'the request processing has failed', 500);
  if (!(err instanceof ApiError)) console.error('[emulator fc] bug:', err instanceof Error ? err.stack : String(err));
  const text = JSON.stringify({ Code: e.code, Message: e.message, RequestId: requestId });
  res.writeHead(e.status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    'x-fc-request-id': requestId,
  });
  res.end(text);
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v.join(',') : v;
}

const INVOKE_PATH = new RegExp(`^/${FC_API_VERSION}/functions/([^/]+)/invocations$`);

async function handle(
  service: FcService,
  options: { clock: () => number; credentials: CredentialStore },
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  let requestId = `1-${randomUUID()}`;
  try {
    const url = new URL(req.url ?? '/', 'http://emulator');
    const body = await readBody(req);
    authenticateFc(options, req, url, body, service.accountId);
    const m = INVOKE_PATH.exec(url.pathname);
    if (!m) throw new ApiError('ResourceNotFound', 'the emulator serves only InvokeFunction', 404);
    if (req.method !== 'POST') throw new ApiError('MethodNotAllowed', 'InvokeFunction is POST', 405);
    const name = decodeURIComponent(m[1] as string);
    const qualifier = url.searchParams.get('qualifier') ?? 'LATEST';
    const type = (header(req, 'x-fc-invocation-type') ?? 'Sync').toLowerCase();
    if (type === 'async') {
      const inv = service.invokeAsync(name, qualifier, body, header(req, 'x-fc-async-task-id'));
      requestId = inv.requestId;
      res.writeHead(202, { 'x-fc-request-id': requestId, 'content-length': 0 });
      res.end();
      return;
    }
    if (type !== 'sync') throw new ApiError('InvalidArgument', 'x-fc-invocation-type must be Sync or Async', 400);
    const { invocation, run } = await service.invokeSync(name, qualifier, body);
    requestId = invocation.requestId;
    // As FC documents for a sync call: a function error is still HTTP 200, flagged by x-fc-error-type.
    const payload = run.ok
      ? typeof run.result === 'string'
        ? run.result
        : JSON.stringify(run.result)
      : JSON.stringify({ errorMessage: run.errorMessage, errorType: run.errorType });
    res.writeHead(200, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(payload),
      'x-fc-request-id': requestId,
      ...(run.ok ? {} : { 'x-fc-error-type': 'UnhandledInvocationError' }),
    });
    res.end(payload);
  } catch (err) {
    sendFcError(res, requestId, err);
  }
}

/**
 * The `FC` signature checks, each failing with 403 before anything runs. Error codes are UNCONFIRMED for FC 3.0;
 * the names follow FC's documented error list (SignatureNotMatch, RequestTimeTooSkewed, InvalidAccessKeyID).
 */
function authenticateFc(
  options: { clock: () => number; credentials: CredentialStore },
  req: IncomingMessage,
  url: URL,
  body: Buffer,
  accountId: string,
): void {
  const auth = parseFcAuthorization(header(req, 'authorization'));
  if (!auth)
    throw new ApiError(
      'MissingRequiredHeader',
      'the Authorization header is missing or not "FC <id>:<signature>"',
      403,
    );
  const date = header(req, 'date');
  const at = date === undefined ? Number.NaN : Date.parse(date);
  if (Number.isNaN(at) || Math.abs(options.clock() - at) > FC_MAX_CLOCK_SKEW_MS) {
    throw new ApiError(
      'RequestTimeTooSkewed',
      'the Date header is missing or more than 15 minutes from the server time',
      403,
    );
  }
  let secret: string;
  try {
    secret = options.credentials.secretFor(auth.accessKeyId, header(req, 'x-fc-security-token'));
  } catch (err) {
    if (err instanceof ApiError) {
      const code = err.code === 'InvalidAccessKeyId.NotFound' ? 'InvalidAccessKeyID' : err.code;
      throw new ApiError(code, err.message, 403);
    }
    throw err;
  }
  const headers: Record<string, string | undefined> = {};
  for (const name of Object.keys(req.headers)) headers[name] = header(req, name);
  const expected = fcSignature(fcStringToSign(req.method ?? 'GET', url.pathname, headers, url.searchParams), secret);
  if (!sameSecretString(expected, auth.signature)) {
    throw new ApiError(
      'SignatureNotMatch',
      'the request signature we calculated does not match the signature you provided',
      403,
    );
  }
  const md5 = headers['content-md5'];
  if (body.length > 0 && (md5 === undefined || !contentMd5Matches(md5, body))) {
    // Without this the body could be swapped under a valid signature. Code UNCONFIRMED.
    throw new ApiError('InvalidArgument', 'Content-MD5 is missing or does not match the body', 400);
  }
  const account = headers['x-fc-account-id'];
  if (account !== undefined && account !== accountId) {
    throw new ApiError('AccessDenied', 'x-fc-account-id does not name the account of this endpoint', 403);
  }
}
