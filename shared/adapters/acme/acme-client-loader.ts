/**
 * Loads acme-client on first use (it costs ~200 ms at start-up, wasted on runs with nothing due) and gives each
 * operation a private "call context" that sees what acme-client hides: its thrown errors carry only the problem's
 * `detail`, not its `type` or HTTP status, and a network or TLS failure surfaces as a TypeError about `config`.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

export type AcmeModule = typeof import('acme-client');

/** An RFC 8555 problem document as the CA sent it (or as found in an invalid challenge/order). */
export interface AcmeProblem {
  type?: string;
  detail?: string;
  status?: number;
  subproblems?: { type?: string; detail?: string; identifier?: { value?: string } }[];
}

export interface AcmeCallContext {
  /** Last problem document seen in this context. */
  problem: AcmeProblem | undefined;
  /** Last transport-level failure acme-client retried (`ECONNREFUSED`, `UNABLE_TO_VERIFY_LEAF_SIGNATURE`, `HTTP 503`). */
  transport: string | undefined;
  debug: ((msg: string) => void) | undefined;
}

const contexts = new AsyncLocalStorage<AcmeCallContext>();
let loading: Promise<AcmeModule> | undefined;

export function loadAcmeClient(): Promise<AcmeModule> {
  loading ??= import('acme-client').then((mod) => {
    // CommonJS through import(): Node gives named exports and `default`; bundlers may give either.
    const acme = ((mod as { default?: AcmeModule }).default ?? mod) as AcmeModule;
    install(acme);
    return acme;
  });
  loading.catch(() => {
    loading = undefined;
  });
  return loading;
}

/** Run `fn` with a fresh call context (nested calls get their own; parallel branches do not share one). */
export function withAcmeContext<T>(
  debug: ((msg: string) => void) | undefined,
  fn: (ctx: AcmeCallContext) => Promise<T>,
): Promise<T> {
  const ctx: AcmeCallContext = { problem: undefined, transport: undefined, debug };
  return contexts.run(ctx, () => fn(ctx));
}

/**
 * acme-client retries 429 and 5xx answers (and dropped connections) up to five times, waiting 5, 10, 15… s, or what
 * Retry-After says, however long. A rate limit's Retry-After runs to hours (Let's Encrypt: until its window frees),
 * which would hold the certificate, and the invocation, far past the function's time-out. An answer that asks for a
 * longer wait than this is not retried within the run: it fails as the CA's problem (`rateLimited`, retryable), and
 * the next run is the retry.
 */
export const MAX_RETRY_AFTER_SECONDS = 30;

/** Seconds a Retry-After value asks for (delay-seconds or an HTTP-date), undefined when absent or unreadable. */
export function retryAfterSeconds(value: unknown, nowMs: number): number | undefined {
  if (typeof value !== 'string' || value.trim() === '') return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim());
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, (at - nowMs) / 1000);
}

function install(acme: AcmeModule): void {
  acme.setLogger((msg) => {
    const ctx = contexts.getStore();
    if (!ctx) return;
    const transport = /^Caught (\S+(?: \d+)?), retry attempt/.exec(msg);
    if (transport) ctx.transport = transport[1];
    ctx.debug?.(msg);
  });
  // Response transforms run before any interceptor, on error answers too; `this` is the request's config, whose
  // `retryAttempt` acme-client counts up to its maximum: past it, the answer is not retried.
  const transforms = acme.axios.defaults.transformResponse;
  acme.axios.defaults.transformResponse = [
    ...(Array.isArray(transforms) ? transforms : transforms ? [transforms] : []),
    function boundRetryAfter(this: object, data: unknown, headers: unknown, status?: number) {
      if (status === 429 || (status !== undefined && status >= 500)) {
        const header = (headers as { get?: (name: string) => unknown } | undefined)?.get?.('retry-after');
        const seconds = retryAfterSeconds(header, Date.now());
        if (seconds !== undefined && seconds > MAX_RETRY_AFTER_SECONDS) {
          (this as { retryAttempt?: number }).retryAttempt = Number.POSITIVE_INFINITY;
          contexts.getStore()?.debug?.(`the CA asks to retry after ${Math.round(seconds)} s: not within this run`);
        }
      }
      return data;
    },
  ];
  // Runs after acme-client's own interceptor, which turns every response (error statuses included) into a
  // fulfilled one, so this sees each response acme-client acts on.
  acme.axios.interceptors.response.use((resp) => {
    const ctx = contexts.getStore();
    const data = resp?.data as Record<string, unknown> | undefined;
    if (ctx && data && typeof data === 'object') {
      if (resp.status >= 400) {
        ctx.problem = { ...(data as AcmeProblem), status: resp.status };
      } else if (data.status === 'invalid' && data.error && typeof data.error === 'object') {
        ctx.problem = { ...(data.error as AcmeProblem) };
      }
    }
    return resp;
  });
}
