import { redact } from '../log/redact.js';
import { NotificationError } from './notifier.js';

export const DEFAULT_TIMEOUT_MS = 10_000;

export interface RequestOptions {
  method: 'GET' | 'POST';
  body?: string;
  headers?: Record<string, string>;
  timeoutMs: number;
  /** Values to scrub from anything the far end answers (the URL's token, the signing secret). */
  secrets: readonly string[];
}

/**
 * One HTTP call to a notification endpoint, with a time-out. Resolves with the answer's text on 2xx; rejects with a
 * `NotificationError` whose message never contains the URL (fetch's own errors can: "Failed to parse URL from …").
 */
export async function request(url: string, options: RequestOptions): Promise<string> {
  let response: Response;
  try {
    response = await fetch(url, {
      method: options.method,
      ...(options.body !== undefined ? { body: options.body } : {}),
      headers: options.headers ?? {},
      signal: AbortSignal.timeout(options.timeoutMs),
      // A redirect would replay a signed request somewhere nobody configured.
      redirect: 'error',
    });
  } catch (err) {
    throw new NotificationError(describeFetchError(err, options.timeoutMs));
  }
  let text: string;
  try {
    text = await response.text();
  } catch (err) {
    throw new NotificationError(`reading the answer failed: ${describeFetchError(err, options.timeoutMs)}`);
  }
  if (!response.ok) {
    const snippet = scrub(text, options.secrets);
    throw new NotificationError(`HTTP ${response.status}${snippet ? `: ${snippet}` : ''}`);
  }
  return text;
}

/**
 * DingTalk (`errcode`), Feishu (`code`) and WeCom (`errcode`) answer 200 even when they refuse a message; the
 * refusal is a non-zero code in the JSON body, next to `errmsg`/`msg`.
 */
export function checkPlatformAnswer(text: string, codeField: 'errcode' | 'code', secrets: readonly string[]): void {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new NotificationError(`the answer is not JSON: ${scrub(text, secrets)}`);
  }
  const record = (body && typeof body === 'object' ? body : {}) as Record<string, unknown>;
  // Feishu's older hooks answered {"StatusCode":0,"StatusMessage":"success"} instead of {"code":0}.
  const code = record[codeField] ?? (codeField === 'code' ? record.StatusCode : undefined);
  if (code === 0) return;
  const text2 = record.errmsg ?? record.msg ?? record.StatusMessage;
  const message = typeof text2 === 'string' ? `: ${scrub(text2, secrets)}` : '';
  throw new NotificationError(
    code === undefined ? `the answer has no ${codeField}` : `${codeField} ${String(code)}${message}`,
  );
}

function describeFetchError(err: unknown, timeoutMs: number): string {
  const e = err as { name?: string; cause?: { code?: string; name?: string } };
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError') return `no answer within ${timeoutMs} ms`;
  const cause = e?.cause?.code ?? e?.cause?.name;
  return `request failed${cause ? ` (${cause})` : ''}`;
}

function scrub(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of [...secrets].filter((v) => v.length > 0).sort((a, b) => b.length - a.length)) {
    out = out.split(s).join('[redacted]');
  }
  out = redact(out).replace(/\s+/g, ' ').trim();
  return out.length > 200 ? `${out.slice(0, 199)}…` : out;
}
