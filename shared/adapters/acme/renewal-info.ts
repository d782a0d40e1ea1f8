/**
 * RenewalInfoSource over RFC 9773 (ACME Renewal Information). ARI is an unauthenticated GET, so this uses the global
 * `fetch` rather than acme-client (which has no ARI support and would load 200 ms of code for one GET). Node's fetch
 * trusts NODE_EXTRA_CA_CERTS like acme-client's axios does, so a private CA's HTTPS works the same for both.
 *
 * Logs and error messages name URLs by their path only: the host adds nothing an operator lacks (it is in the
 * configuration), and transport errors from undici carry addresses that do not belong in shipped logs.
 */
import { AcmeError } from '../../errors.js';
import type { Logger } from '../../log/logger.js';
import type { RenewalInfoSource, RenewalWindow } from '../../ports/renewal-info.js';

export const DEFAULT_ARI_TIMEOUT_MS = 10_000;

/** Larger answers are not renewal information; refusing them keeps a misbehaving server from filling memory. */
const MAX_BODY_CHARS = 64 * 1024;

const PROBLEM_PREFIX = 'urn:ietf:params:acme:error:';

/** base64url "." base64url, as RFC 9773 §4.1 builds it; anything else would change the path it is put into. */
const CERT_ID = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

const TLS_CODE = /CERT|SSL|TLS|SELF_SIGNED|VERIFY/;

export interface AcmeRenewalInfoOptions {
  /** The CA's ACME directory URL; its `renewalInfo` field says whether (and where) the CA offers ARI. */
  directoryUrl: string;
  /** Per HTTP request (the directory, then the renewal information). Default 10 000 ms. */
  timeoutMs?: number | undefined;
  logger?: Logger | undefined;
}

export class AcmeRenewalInfo implements RenewalInfoSource {
  private readonly options: AcmeRenewalInfoOptions;
  private readonly timeoutMs: number;
  private renewalInfoBase: Promise<string | null> | undefined;

  constructor(options: AcmeRenewalInfoOptions) {
    this.options = options;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_ARI_TIMEOUT_MS;
    if (!(this.timeoutMs > 0))
      throw new TypeError(`timeoutMs must be a positive number, not ${String(options.timeoutMs)}`);
  }

  async renewalWindow(certId: string, options: { signal?: AbortSignal } = {}): Promise<RenewalWindow | null> {
    const { signal } = options;
    signal?.throwIfAborted();
    if (!CERT_ID.test(certId)) {
      throw new AcmeError(
        `not an ARI certificate identifier (base64url "." base64url): ${clip(JSON.stringify(certId))}`,
        {
          code: 'ariBadCertId',
        },
      );
    }
    const base = await abortable(this.renewalInfoUrl(), signal);
    if (base === null) return null;

    const url = `${base.replace(/\/+$/, '')}/${certId}`;
    const path = pathOf(url);
    const log = this.options.logger?.child({ component: 'ari' });
    log?.debug({ path }, 'ARI request');
    const res = await this.get(url, `ARI request ${path}`, signal);
    if (res.status === 404) {
      // The CA offers ARI but does not know this certificate (another CA's, or too old): no advice, not a failure.
      log?.debug({ path, status: 404 }, 'ARI: certificate unknown to the CA');
      return null;
    }
    const window = parseRenewalInfo(await this.readJson(res, `ARI request ${path}`), `ARI response for ${path}`);
    log?.debug(
      { path, start: window.start.toISOString(), end: window.end.toISOString() },
      'ARI suggested renewal window',
    );
    return window;
  }

  /** The directory's `renewalInfo`, or null when the CA does not offer ARI. Read once per instance. */
  private renewalInfoUrl(): Promise<string | null> {
    this.renewalInfoBase ??= (async () => {
      const where = `ACME directory ${pathOf(this.options.directoryUrl)}`;
      // No caller signal here: the result is shared, and one caller's abort must not fail another's request.
      const res = await this.get(this.options.directoryUrl, where, undefined);
      const directory = await this.readJson(res, where);
      if (typeof directory !== 'object' || directory === null || Array.isArray(directory)) {
        throw new AcmeError(`${where} is not a JSON object`, { code: 'ariInvalidResponse' });
      }
      const renewalInfo = (directory as Record<string, unknown>).renewalInfo;
      if (renewalInfo === undefined || renewalInfo === null) {
        this.options.logger?.debug({ directory: pathOf(this.options.directoryUrl) }, 'CA offers no ARI');
        return null;
      }
      if (typeof renewalInfo !== 'string' || !isHttpUrl(renewalInfo)) {
        throw new AcmeError(`${where}: renewalInfo is not an http(s) URL`, { code: 'ariInvalidResponse' });
      }
      return renewalInfo;
    })();
    // A CA that was down must not stay "down" for the life of this instance.
    this.renewalInfoBase.catch(() => {
      this.renewalInfoBase = undefined;
    });
    return this.renewalInfoBase;
  }

  /** GET with a timeout; resolves for 2xx and 404, throws an AcmeError for everything else. */
  private async get(url: string, where: string, signal: AbortSignal | undefined): Promise<Response> {
    const timeout = AbortSignal.timeout(this.timeoutMs);
    let res: Response;
    try {
      res = await fetch(url, {
        headers: { accept: 'application/json' },
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      });
    } catch (err) {
      throw transportError(err, where, signal, timeout, this.timeoutMs);
    }
    if (res.ok || res.status === 404) return res;
    const problem = await readProblem(res);
    const type = problem.type?.startsWith(PROBLEM_PREFIX) ? problem.type.slice(PROBLEM_PREFIX.length) : problem.type;
    const code = type ?? `HTTP ${res.status}`;
    throw new AcmeError(`${where} failed: ${code}${problem.detail ? ` (${clip(problem.detail)})` : ''}`, {
      retryable: res.status === 429 || res.status >= 500,
      code,
    });
  }

  private async readJson(res: Response, where: string): Promise<unknown> {
    let text: string;
    try {
      text = await res.text();
    } catch (err) {
      throw transportError(err, where, undefined, undefined, this.timeoutMs);
    }
    if (text.length > MAX_BODY_CHARS) {
      throw new AcmeError(`${where}: answer is larger than ${MAX_BODY_CHARS} characters`, {
        code: 'ariInvalidResponse',
      });
    }
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new AcmeError(`${where}: answer is not JSON (HTTP ${res.status})`, { code: 'ariInvalidResponse' });
    }
  }
}

/**
 * Validate an ARI response body (RFC 9773 §4.2) and turn it into a RenewalWindow. Throws a non-retryable AcmeError
 * (code `ariInvalidResponse`) naming the first problem. An `explanationURL` that is not an http(s) URL is dropped
 * rather than rejected: it is advice for people and does not make the window any less usable.
 */
export function parseRenewalInfo(body: unknown, where = 'ARI response'): RenewalWindow {
  const fail = (problem: string) => new AcmeError(`${where}: ${problem}`, { code: 'ariInvalidResponse' });
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw fail('not a JSON object');
  const { suggestedWindow, explanationURL } = body as Record<string, unknown>;
  if (typeof suggestedWindow !== 'object' || suggestedWindow === null || Array.isArray(suggestedWindow)) {
    throw fail('suggestedWindow is missing or not an object');
  }
  const raw = suggestedWindow as Record<string, unknown>;
  const date = (field: 'start' | 'end'): Date => {
    const value = raw[field];
    if (typeof value !== 'string') throw fail(`suggestedWindow.${field} is missing or not a string`);
    const parsed = parseRfc3339(value);
    if (!parsed)
      throw fail(`suggestedWindow.${field} is not an RFC 3339 date-time: ${clip(JSON.stringify(value), 60)}`);
    return parsed;
  };
  const start = date('start');
  const end = date('end');
  if (end.getTime() <= start.getTime()) {
    throw fail(`suggestedWindow.end (${end.toISOString()}) is not after start (${start.toISOString()})`);
  }
  return {
    start,
    end,
    ...(typeof explanationURL === 'string' && isHttpUrl(explanationURL) ? { explanationUrl: explanationURL } : {}),
  };
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;

/**
 * An RFC 3339 date-time, or undefined. Stricter than Date.parse, which accepts other layouts and rolls 30 February
 * into March. A leap second (:60) counts as :59.999.
 */
export function parseRfc3339(text: string): Date | undefined {
  const m = RFC3339.exec(text);
  if (!m) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const fraction = m[7] ?? '';
  if (mo < 1 || mo > 12 || d < 1 || d > new Date(Date.UTC(y, mo, 0)).getUTCDate()) return undefined;
  if (h > 23 || mi > 59 || s > 60) return undefined;
  const ms = s === 60 ? 999 : Number(fraction.slice(0, 3).padEnd(3, '0'));
  let offsetMinutes = 0;
  if (!m[8]) {
    const oh = Number(m[10]);
    const om = Number(m[11]);
    if (oh > 23 || om > 59) return undefined;
    offsetMinutes = (m[9] === '-' ? -1 : 1) * (oh * 60 + om);
  }
  const utc = new Date(0);
  utc.setUTCFullYear(y, mo - 1, d);
  utc.setUTCHours(h, mi, Math.min(s, 59), ms);
  return new Date(utc.getTime() - offsetMinutes * 60_000);
}

function transportError(
  err: unknown,
  where: string,
  signal: AbortSignal | undefined,
  timeout: AbortSignal | undefined,
  timeoutMs: number,
): unknown {
  // The caller's own abort is not a CA failure: hand its reason back, as the issuance path does.
  if (signal?.aborted) return signal.reason;
  if (timeout?.aborted || (err as { name?: string } | undefined)?.name === 'TimeoutError') {
    return new AcmeError(`${where} failed: no answer within ${timeoutMs} ms`, { retryable: true, code: 'timeout' });
  }
  // undici wraps the socket error in `cause`; its message names the address, so only the code is kept.
  const cause = (err as { cause?: { code?: unknown } } | undefined)?.cause;
  const code =
    (typeof cause?.code === 'string' ? cause.code : undefined) ??
    (typeof (err as { code?: unknown }).code === 'string' ? (err as { code: string }).code : undefined);
  const tls = code !== undefined && TLS_CODE.test(code);
  return new AcmeError(
    `${where} failed: cannot talk to the CA (${code ?? 'network error'})${tls ? '; is the CA’s TLS certificate trusted?' : ''}`,
    { retryable: !tls, code: code ?? 'network' },
  );
}

async function readProblem(res: Response): Promise<{ type?: string; detail?: string }> {
  try {
    const text = await res.text();
    if (text.length > MAX_BODY_CHARS) return {};
    const body = JSON.parse(text) as unknown;
    if (typeof body !== 'object' || body === null) return {};
    const { type, detail } = body as Record<string, unknown>;
    return {
      ...(typeof type === 'string' && type ? { type } : {}),
      ...(typeof detail === 'string' && detail ? { detail } : {}),
    };
  } catch {
    return {};
  }
}

function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  signal.throwIfAborted();
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

function isHttpUrl(text: string): boolean {
  try {
    const u = new URL(text);
    return u.protocol === 'https:' || u.protocol === 'http:';
  } catch {
    return false;
  }
}

function pathOf(url: string): string {
  try {
    return new URL(url).pathname;
  } catch {
    return '(unparseable URL)';
  }
}

function clip(text: string, max = 200): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length > max ? `${oneLine.slice(0, max)}…` : oneLine;
}
