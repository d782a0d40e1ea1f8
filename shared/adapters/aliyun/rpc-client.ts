import PopCore from '@alicloud/pop-core';
import { CloudApiError, type Stage } from '../../errors.js';
import { redact } from '../../log/redact.js';
import type { CredentialsProvider } from '../../runtime/credentials.js';

type PopRpcClient = {
  request<T>(action: string, params: Record<string, unknown>, opts?: Record<string, unknown>): Promise<T>;
};
// pop-core's typings declare accessKeyId/accessKeySecret as required and lack `credentialsProvider`, which it supports.
const RPCClient = PopCore as unknown as new (config: Record<string, unknown>) => PopRpcClient;

/** Codes after which the request was certainly not carried out and a later identical request may succeed. */
const RETRYABLE_CODES = new Set([
  'Throttling',
  'Throttling.User',
  'Throttling.Api',
  'ServiceUnavailable',
  'OperationBusy',
  'ServiceIsConfiguring',
  'SystemBusy',
  'BackendServer.configuring',
  'InternalError',
  'UnknownError',
]);
const TRANSPORT_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EAI_AGAIN', 'EPIPE', 'ENOTFOUND']);

export interface RpcClientOptions {
  endpoint: string;
  apiVersion: string;
  credentials: CredentialsProvider;
  /** Per-request time-out. pop-core's default of 3 s is too short for UploadServerCertificate. */
  timeoutMs?: number;
  /** Attempts for calls that are safe to repeat. */
  attempts?: number;
  sleep?: (ms: number) => Promise<void>;
}

export interface CallOptions {
  stage: Stage;
  /** Whether repeating the call after an unknown result is harmless (reads, and writes that set a value). */
  idempotent: boolean;
}

/**
 * A pop-core client that always POSTs (with GET, pop-core puts every signed parameter, the private key included,
 * into the URL and from there into its error messages), retries what can be retried, and turns every failure into a
 * CloudApiError built from the error code and message only.
 */
export class AliyunRpcClient {
  readonly #client: PopRpcClient;
  readonly #timeoutMs: number;
  readonly #attempts: number;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly product: string;

  constructor(options: RpcClientOptions) {
    this.#client = new RPCClient({
      endpoint: options.endpoint,
      apiVersion: options.apiVersion,
      credentialsProvider: options.credentials,
    });
    this.#timeoutMs = options.timeoutMs ?? 20_000;
    this.#attempts = options.attempts ?? 4;
    this.#sleep = options.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    this.product = new URL(options.endpoint).hostname;
  }

  async call<T>(action: string, params: Record<string, unknown>, options: CallOptions): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#client.request<T>(action, params, {
          method: 'POST',
          timeout: this.#timeoutMs,
          formatParams: false,
        });
      } catch (err) {
        const mapped = this.#map(action, err, options);
        if (!mapped.retryable || attempt >= this.#attempts) throw mapped;
        // Exponential backoff with full jitter: 0.5 s, 1 s, 2 s … capped, so a throttled fleet does not retry in step.
        await this.#sleep(Math.random() * Math.min(8000, 500 * 2 ** (attempt - 1)));
      }
    }
  }

  #map(action: string, err: unknown, options: CallOptions): CloudApiError {
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
        `${action} failed: ${code}: ${redact(String(e.data.Message ?? ''))}`,
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
    const retryable = (transport || timeout || nonJson) && (options.idempotent || e?.code === 'ECONNREFUSED');
    const what = timeout
      ? `no answer within ${this.#timeoutMs} ms`
      : nonJson
        ? 'the answer was not JSON (a gateway error page?)'
        : `${String(e?.code ?? e?.name ?? 'error')}: ${redact(String(e?.message ?? err))}`;
    return new CloudApiError(options.stage, action, `${action} to ${this.product} failed: ${what}`, {
      retryable,
      code: typeof e?.code === 'string' ? e.code : timeout ? 'Timeout' : nonJson ? 'NonJsonResponse' : undefined,
    });
  }
}
