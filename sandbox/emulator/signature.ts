import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * RPC signature v1 (HMAC-SHA1) as Alibaba Cloud documents it and @alicloud/pop-core 1.8 implements it. Kept free of
 * any server state so it can be checked against the documented test vector on its own.
 */

/** RFC 3986 percent-encoding: keep `A-Z a-z 0-9 - _ . ~`, uppercase hex, space as %20 (never `+`). */
export function percentEncode(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`);
}

/**
 * Sorted `k=v&…` over every parameter except `Signature`. Sorting is by the raw key, as pop-core does; for the ASCII
 * parameter names POP uses that equals sorting the encoded keys.
 */
export function canonicalQueryString(params: Readonly<Record<string, string>>): string {
  return Object.keys(params)
    .filter((k) => k !== 'Signature')
    .sort()
    .map((k) => `${percentEncode(k)}=${percentEncode(params[k] ?? '')}`)
    .join('&');
}

export function stringToSign(method: string, params: Readonly<Record<string, string>>): string {
  return `${method.toUpperCase()}&${percentEncode('/')}&${percentEncode(canonicalQueryString(params))}`;
}

export function computeSignature(
  method: string,
  params: Readonly<Record<string, string>>,
  accessKeySecret: string,
): string {
  return createHmac('sha1', `${accessKeySecret}&`).update(stringToSign(method, params)).digest('base64');
}

/** Constant-time comparison, so a client cannot learn the expected signature byte by byte from response timing. */
export function signatureMatches(
  method: string,
  params: Readonly<Record<string, string>>,
  accessKeySecret: string,
  presented: string,
): boolean {
  const expected = Buffer.from(computeSignature(method, params, accessKeySecret));
  const actual = Buffer.from(presented);
  if (expected.length !== actual.length) {
    // Still do one comparison of equal length so the mismatch path costs about the same.
    timingSafeEqual(expected, expected);
    return false;
  }
  return timingSafeEqual(expected, actual);
}

const TIMESTAMP_RE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})Z$/;

/** Parses the only Timestamp form the reference documents (`YYYY-MM-DDThh:mm:ssZ`); undefined when malformed. */
export function parseTimestamp(value: string): number | undefined {
  const m = TIMESTAMP_RE.exec(value);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s] = m.map(Number) as [number, number, number, number, number, number, number];
  const ms = Date.UTC(y, mo - 1, d, h, mi, s);
  // Date.UTC rolls 2024-02-31 over to March; a real server would reject it.
  const back = new Date(ms);
  if (back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d || h > 23 || mi > 59 || s > 59) return undefined;
  return ms;
}

/** `YYYY-MM-DDThh:mm:ssZ`, the format of Timestamp and of SLB's ExpireTime/CreateTime. */
export function formatTimestamp(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
