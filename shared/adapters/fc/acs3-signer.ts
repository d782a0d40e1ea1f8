import { createHash, createHmac, randomUUID } from 'node:crypto';
import type { CloudCredentials } from '../../runtime/credentials.js';

/**
 * Alibaba Cloud's V3 request signature, ACS3-HMAC-SHA256, which Function Compute 3.0's gateway checks on an HTTP
 * trigger with `authType: function` before the function runs. As the V3 signature documentation describes it and
 * @alicloud/openapi-util (the helper the FC docs name for Node) computes it:
 *
 *   CanonicalRequest = METHOD \n CanonicalURI \n CanonicalQueryString \n CanonicalHeaders \n SignedHeaders \n
 *                      hex(sha256(body))
 *   StringToSign     = "ACS3-HMAC-SHA256" \n hex(sha256(CanonicalRequest))
 *   Authorization    = "ACS3-HMAC-SHA256 Credential=<AccessKeyId>,SignedHeaders=<a;b;c>,Signature=<hex HMAC>"
 *
 * Signed headers are `host`, `content-type` and every `x-acs-*` header, lower-cased, values trimmed, sorted by name.
 * The body hash is also sent as `x-acs-content-sha256`, so the body is covered twice. Whether FC's gateway also
 * requires `x-acs-signature-nonce` and `x-acs-content-sha256`, and how long it remembers nonces, is UNCONFIRMED:
 * both are always sent, which the V3 documentation requires for OpenAPI calls.
 */
export const ACS3_ALGORITHM = 'ACS3-HMAC-SHA256';

export interface Acs3SignInput {
  method: string;
  /** The full URL the request goes to; its host (with a non-default port) and query are signed. */
  url: string;
  /** Headers the request will carry anyway; `content-type` and `x-acs-*` among them are signed. */
  headers?: Readonly<Record<string, string>>;
  body?: string | Uint8Array;
  credentials: CloudCredentials;
  /** Injected so a signature is reproducible in tests. */
  now: Date;
  /** Unique per request; random when absent. */
  nonce?: string;
}

/** RFC 3986: keep `A-Z a-z 0-9 - _ . ~`, everything else as `%XY` (space as %20, `*` as %2A). */
export function acs3PercentEncode(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** ISO 8601 UTC without milliseconds, the form `x-acs-date` takes. */
export function acs3Date(now: Date): string {
  return now.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * The headers to add to the request: `x-acs-date`, `x-acs-signature-nonce`, `x-acs-content-sha256`,
 * `x-acs-security-token` (STS credentials only) and `authorization`. The secret never leaves this function.
 */
export function signAcs3Request(input: Acs3SignInput): Record<string, string> {
  const url = new URL(input.url);
  const body = input.body ?? '';
  const added: Record<string, string> = {
    'x-acs-date': acs3Date(input.now),
    'x-acs-signature-nonce': input.nonce ?? randomUUID().replaceAll('-', ''),
    'x-acs-content-sha256': sha256Hex(body),
  };
  if (input.credentials.securityToken) added['x-acs-security-token'] = input.credentials.securityToken;

  const signed = new Map<string, string[]>();
  const sign = (name: string, value: string) => {
    const key = name.toLowerCase();
    if (key !== 'host' && key !== 'content-type' && !key.startsWith('x-acs-')) return;
    signed.set(key, [...(signed.get(key) ?? []), value.trim()]);
  };
  // `host` as the client sends it: URL.host omits the default port, as fetch does in the Host header.
  sign('host', url.host);
  for (const [name, value] of Object.entries(input.headers ?? {})) {
    if (name.toLowerCase() !== 'host') sign(name, value);
  }
  for (const [name, value] of Object.entries(added)) sign(name, value);

  const names = [...signed.keys()].sort();
  const canonicalHeaders = names.map((n) => `${n}:${(signed.get(n) ?? []).sort().join(',')}\n`).join('');
  const signedHeaders = names.join(';');
  const canonicalRequest = [
    input.method.toUpperCase(),
    canonicalUri(url.pathname),
    canonicalQuery(url.searchParams),
    canonicalHeaders,
    signedHeaders,
    added['x-acs-content-sha256'],
  ].join('\n');
  const stringToSign = `${ACS3_ALGORITHM}\n${sha256Hex(canonicalRequest)}`;
  const signature = createHmac('sha256', input.credentials.accessKeySecret).update(stringToSign).digest('hex');
  return {
    ...added,
    authorization: `${ACS3_ALGORITHM} Credential=${input.credentials.accessKeyId},SignedHeaders=${signedHeaders},Signature=${signature}`,
  };
}

/** Each path segment decoded, then encoded the RFC 3986 way, so `/a b` and `/a%20b` sign alike. */
function canonicalUri(pathname: string): string {
  if (pathname === '') return '/';
  return pathname
    .split('/')
    .map((segment) => acs3PercentEncode(safeDecode(segment)))
    .join('/');
}

/** Sorted by key; a key without value signs as `key=`. */
function canonicalQuery(params: URLSearchParams): string {
  return [...params]
    .map(([k, v]) => [acs3PercentEncode(k), acs3PercentEncode(v)] as const)
    .sort(([a, av], [b, bv]) => (a < b ? -1 : a > b ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
