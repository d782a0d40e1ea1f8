import { type ClientRequest, Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { AsyncLocalStorage } from 'node:async_hooks';
import { createHmac, randomUUID } from 'node:crypto';
import PopCore from '@alicloud/pop-core';
import { CloudApiError, type Stage } from '../../errors.js';
import { registerTransientSecret } from '../../log/secret-values.js';
import { type CloudCredentials, type CredentialsProvider, registerCredentials } from '../../runtime/credentials.js';
import { backoffDelay, type BackoffPolicy } from '../../util/backoff.js';
import type { RequestPacer } from '../../util/pacer.js';

/** Idle keep-alive sockets are closed after this (servers commonly close theirs at 5 s). */
const IDLE_SOCKET_MS = 4_000;

type PopRpcClient = {
  request<T>(action: string, params: Record<string, unknown>, opts?: Record<string, unknown>): Promise<T>;
};
// pop-core's typings declare accessKeyId/accessKeySecret as required and lack `credentialsProvider`, which it supports.
const RPCClient = PopCore as unknown as new (config: Record<string, unknown>) => PopRpcClient;

/** The account or API is over its request rate: waited out with `throttlingWaitMs`. */
const THROTTLING_CODES = new Set(['Throttling', 'Throttling.User', 'Throttling.Api']);
/**
 * The resource is still applying an earlier change (CLB takes seconds to tens of seconds after a listener or domain
 * extension write): waited out with `configuringWaitMs`, not with the few attempts of a transient fault.
 */
const BUSY_CODES = new Set(['ServiceIsConfiguring', 'OperationBusy', 'BackendServer.configuring', 'SystemBusy']);
/** Codes after which the request was certainly not carried out and a later identical request may succeed. */
const RETRYABLE_CODES = new Set([
  ...THROTTLING_CODES,
  ...BUSY_CODES,
  'ServiceUnavailable',
  'InternalError',
  'UnknownError',
]);

/** Default wait budgets: long enough to outlast a busy minute of the real service, short against FC's time-out. */
export const DEFAULT_THROTTLING_WAIT_MS = 30_000;
export const DEFAULT_CONFIGURING_WAIT_MS = 60_000;
const TRANSPORT_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EAI_AGAIN', 'EPIPE', 'ENOTFOUND']);

/**
 * The credentials one request is signed with. pop-core asks its provider for credentials inside `request`; it must get
 * the very ones this client computed the signature from, even when the provider would now hand out fresh ones.
 */
const signingCredentials = new AsyncLocalStorage<CloudCredentials>();
/** Whether the call's last request went out on a kept-alive socket (set by the agent, read when it fails). */
const sentOn = new AsyncLocalStorage<{ reusedSocket: boolean }>();

/**
 * Notes, for the call in progress, whether its request was given an idle kept-alive socket. A server may close such a
 * socket just as a request is written on it (ECONNRESET): that request never reached the server, and Node's
 * documentation advises sending it again, whatever it was. pop-core does not expose its requests, its agent sees them.
 */
function noteReusedSockets<A extends HttpAgent>(agent: A): A {
  const addRequest = (agent as unknown as { addRequest: (req: ClientRequest, ...rest: unknown[]) => void }).addRequest;
  (agent as unknown as { addRequest: (req: ClientRequest, ...rest: unknown[]) => void }).addRequest = function (
    this: A,
    req,
    ...rest
  ) {
    addRequest.call(this, req, ...rest);
    const note = sentOn.getStore();
    if (note) note.reusedSocket = req.reusedSocket;
  };
  return agent;
}

export interface RpcClientOptions {
  endpoint: string;
  apiVersion: string;
  credentials: CredentialsProvider;
  /** Per-request time-out. pop-core's default of 3 s is too short for UploadServerCertificate. */
  timeoutMs?: number;
  /** Attempts for calls that are safe to repeat, after a transient fault (not throttling, not "configuring"). */
  attempts?: number;
  /** Shared by every client of one product, so concurrent certificates together stay under its request rates. */
  pacer?: RequestPacer;
  /** How long to keep retrying `Throttling` (exponential backoff with jitter). Default 30 s. */
  throttlingWaitMs?: number;
  /** How long to keep retrying `ServiceIsConfiguring`, `OperationBusy` and the like. Default 60 s. */
  configuringWaitMs?: number;
  /** Injected together: the wait budgets are measured on `now`, so a test's `sleep` must advance it. */
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
  random?: () => number;
}

export interface CallOptions {
  stage: Stage;
  /** Whether repeating the call after an unknown result is harmless (reads, and writes that set a value). */
  idempotent: boolean;
}

/**
 * A pop-core client that always POSTs (with GET, pop-core puts every signed parameter, the private key included,
 * into the URL and from there into its error messages), retries what can be retried, and turns every failure into a
 * CloudApiError built from the error code and message only. Before each request it registers the credentials and the
 * signature the request will carry, so an endpoint that echoes the request cannot put them into a message, a record
 * or a log line in any form.
 */
export class AliyunRpcClient {
  readonly #client: PopRpcClient;
  readonly #credentials: CredentialsProvider;
  readonly #apiVersion: string;
  readonly #timeoutMs: number;
  readonly #attempts: number;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #now: () => number;
  readonly #random: () => number;
  readonly #pacer: RequestPacer | undefined;
  readonly #throttling: BackoffPolicy;
  readonly #configuring: BackoffPolicy;
  readonly product: string;
  readonly #agent: HttpAgent;

  constructor(options: RpcClientOptions) {
    this.#credentials = options.credentials;
    this.#apiVersion = options.apiVersion;
    this.#client = new RPCClient({
      endpoint: options.endpoint,
      apiVersion: options.apiVersion,
      credentialsProvider: {
        getCredentials: async () => signingCredentials.getStore() ?? options.credentials.getCredentials(),
      },
    });
    this.#agent = noteReusedSockets(
      new (new URL(options.endpoint).protocol === 'http:' ? HttpAgent : HttpsAgent)({
        keepAlive: true,
        // An idle socket is dropped before a server's usual 5 s keep-alive timeout, so that a reset on a reused
        // socket (retried below) stays rare.
        timeout: IDLE_SOCKET_MS,
      }),
    );
    this.#timeoutMs = options.timeoutMs ?? 20_000;
    this.#attempts = options.attempts ?? 4;
    this.#sleep = options.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    this.#now = options.now ?? Date.now;
    this.#random = options.random ?? Math.random;
    this.#pacer = options.pacer;
    this.#throttling = {
      baseMs: 1_000,
      maxDelayMs: 10_000,
      budgetMs: options.throttlingWaitMs ?? DEFAULT_THROTTLING_WAIT_MS,
    };
    this.#configuring = {
      baseMs: 500,
      maxDelayMs: 5_000,
      budgetMs: options.configuringWaitMs ?? DEFAULT_CONFIGURING_WAIT_MS,
    };
    this.product = new URL(options.endpoint).hostname;
  }

  async call<T>(action: string, params: Record<string, unknown>, options: CallOptions): Promise<T> {
    // Each kind of refusal has its own clock and count: a throttled retry must not eat the "configuring" budget.
    const waits = new Map<'throttled' | 'busy', { since: number; attempts: number }>();
    let note = { reusedSocket: false };
    for (let attempt = 1; ; attempt++) {
      try {
        await this.#pacer?.take(action);
        const credentials = await this.#credentials.getCredentials();
        // Registered here as well as where credentials are read: a provider may come from elsewhere (tests, the FC
        // adapter) or hand out refreshed STS credentials.
        registerCredentials(credentials);
        const signed = this.#sign(action, params, credentials);
        note = { reusedSocket: false };
        return await sentOn.run(note, () =>
          signingCredentials.run(credentials, () =>
            this.#client.request<T>(action, signed, {
              method: 'POST',
              timeout: this.#timeoutMs,
              formatParams: false,
              agent: this.#agent,
            }),
          ),
        );
      } catch (err) {
        const mapped = this.#map(action, err, options, note.reusedSocket);
        if (!mapped.retryable) throw mapped;
        const kind = THROTTLING_CODES.has(mapped.code ?? '')
          ? 'throttled'
          : BUSY_CODES.has(mapped.code ?? '')
            ? 'busy'
            : undefined;
        if (kind === undefined) {
          if (attempt >= this.#attempts) throw mapped;
          // Exponential backoff with full jitter: 0.5 s, 1 s, 2 s … capped, so a fleet does not retry in step.
          await this.#sleep(this.#random() * Math.min(8000, 500 * 2 ** (attempt - 1)));
          continue;
        }
        const now = this.#now();
        const wait = waits.get(kind) ?? { since: now, attempts: 0 };
        waits.set(kind, wait);
        wait.attempts++;
        const policy = kind === 'throttled' ? this.#throttling : this.#configuring;
        const delay = backoffDelay(policy, wait.attempts, now - wait.since, this.#random);
        if (delay === undefined) throw this.#gaveUp(mapped, kind, now - wait.since, wait.attempts);
        await this.#sleep(delay);
      }
    }
  }

  /** The provider's error, saying how long the rotator waited and which setting governs that wait. */
  #gaveUp(error: CloudApiError, kind: 'throttled' | 'busy', waitedMs: number, attempts: number): CloudApiError {
    const what = kind === 'throttled' ? 'still throttled' : 'still applying an earlier change';
    return new CloudApiError(
      error.stage,
      error.action,
      `${error.message} (${what} after ${attempts} attempt(s) over ${Math.round(waitedMs / 100) / 10} s)`,
      {
        cause: error,
        retryable: true,
        ...(error.code ? { code: error.code } : {}),
        ...(error.requestId ? { requestId: error.requestId } : {}),
      },
    );
  }

  /**
   * Fixes the two values pop-core would otherwise choose itself (nonce and timestamp; its own defaults are overridden
   * by request parameters), recomputes the signature pop-core will send from exactly those parameters, and registers
   * it. A new nonce for every attempt: the service rejects a reused one.
   */
  #sign(action: string, params: Record<string, unknown>, credentials: CloudCredentials): Record<string, unknown> {
    const signed = { SignatureNonce: randomUUID(), Timestamp: popTimestamp(new Date()), ...params };
    const sent = {
      Action: action.slice(0, 1).toUpperCase() + action.slice(1),
      Format: 'JSON',
      Version: this.#apiVersion,
      SignatureMethod: 'HMAC-SHA1',
      SignatureVersion: '1.0',
      AccessKeyId: credentials.accessKeyId,
      ...(credentials.securityToken ? { SecurityToken: credentials.securityToken } : {}),
      ...signed,
    };
    registerTransientSecret(popSignatureV1('POST', sent, credentials.accessKeySecret));
    return signed;
  }

  #map(action: string, err: unknown, options: CallOptions, reusedSocket: boolean): CloudApiError {
    const e = err as {
      code?: unknown;
      data?: { Code?: string; Message?: string; RequestId?: string };
      name?: string;
      message?: string;
    };
    if (e?.data?.Code) {
      const code = String(e.data.Code);
      return new CloudApiError(
        options.stage,
        action,
        // The provider's code, message and request id may echo the request: CloudApiError redacts all three.
        `${action} failed: ${code}: ${String(e.data.Message ?? '')}`,
        {
          code,
          retryable: RETRYABLE_CODES.has(code),
          ...(e.data.RequestId ? { requestId: String(e.data.RequestId) } : {}),
        },
      );
    }
    const transport = typeof e?.code === 'string' && TRANSPORT_CODES.has(e.code);
    const timeout = e?.name === 'RequestTimeoutError' || /timeout/i.test(String(e?.message ?? ''));
    const nonJson = e?.name === 'SyntaxError';
    // After a time-out the request may have been carried out: only repeat it when that is harmless.
    // A reset of a kept-alive socket as the request was written: the server closed it idle, the request never arrived.
    const staleSocket = reusedSocket && (e?.code === 'ECONNRESET' || e?.code === 'EPIPE');
    const retryable =
      (transport || timeout || nonJson) && (options.idempotent || e?.code === 'ECONNREFUSED' || staleSocket);
    const what = timeout
      ? `no answer within ${this.#timeoutMs} ms`
      : nonJson
        ? 'the answer was not JSON (a gateway error page?)'
        : `${String(e?.code ?? e?.name ?? 'error')}: ${String(e?.message ?? err)}`;
    return new CloudApiError(options.stage, action, `${action} to ${this.product} failed: ${what}`, {
      retryable,
      code: typeof e?.code === 'string' ? e.code : timeout ? 'Timeout' : nonJson ? 'NonJsonResponse' : undefined,
    });
  }
}

/** pop-core's timestamp: UTC, whole seconds. */
function popTimestamp(now: Date): string {
  return `${now.toISOString().slice(0, 19)}Z`;
}

/** pop-core's `encode`: RFC 3986, so ! ' ( ) * are percent-encoded too. `String()` as encodeURIComponent would. */
function popEncode(value: unknown): string {
  return encodeURIComponent(String(value)).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** pop-core's `flatParams`: arrays become `Key.1`, `Key.1.Sub`, … */
function flattenParams(params: Record<string, unknown>): Record<string, unknown> {
  const flat: Record<string, unknown> = {};
  const repeat = (key: string, list: unknown[]): void => {
    list.forEach((item, i) => {
      const at = `${key}.${i + 1}`;
      if (Array.isArray(item)) repeat(at, item);
      else if (item && typeof item === 'object') {
        for (const [sub, value] of Object.entries(item)) {
          if (Array.isArray(value)) repeat(`${at}.${sub}`, value);
          else flat[`${at}.${sub}`] = value;
        }
      } else flat[at] = item;
    });
  };
  for (const [key, value] of Object.entries(params)) {
    if (Array.isArray(value)) repeat(key, value);
    else flat[key] = value;
  }
  return flat;
}

/**
 * Signature version 1 exactly as pop-core 1.8 computes it (lib/rpc.js: sorted, RFC 3986-encoded canonical query;
 * `METHOD&%2F&encode(query)`; HMAC-SHA1 keyed with `secret&`; base64). Only ever used to know the value to redact:
 * pop-core signs the request itself.
 */
export function popSignatureV1(method: string, params: Record<string, unknown>, accessKeySecret: string): string {
  const flat = flattenParams(params);
  const canonical = Object.keys(flat)
    .sort()
    .map((key) => `${popEncode(key)}=${popEncode(flat[key])}`)
    .join('&');
  const stringToSign = `${method}&${popEncode('/')}&${popEncode(canonical)}`;
  return createHmac('sha1', `${accessKeySecret}&`).update(stringToSign).digest('base64');
}
