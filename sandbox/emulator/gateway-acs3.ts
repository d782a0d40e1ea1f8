import { createHash, createHmac } from 'node:crypto';

/**
 * Server side of the ACS3-HMAC-SHA256 check FC 3.0's gateway makes for an HTTP trigger with `authType: function`,
 * written from the V3 signature documentation on its own (not with the client signer in shared/adapters/fc), so
 * that the two are independent implementations that must agree.
 */
export const ACS3 = 'ACS3-HMAC-SHA256';

export interface ParsedAcs3Authorization {
  accessKeyId: string;
  signedHeaders: string[];
  signature: string;
}

/** `ACS3-HMAC-SHA256 Credential=<id>,SignedHeaders=<a;b>,Signature=<hex>`; undefined when not of that form. */
export function parseAcs3Authorization(value: string | undefined): ParsedAcs3Authorization | undefined {
  if (value === undefined || !value.startsWith(`${ACS3} `)) return undefined;
  const fields = new Map<string, string>();
  for (const part of value.slice(ACS3.length + 1).split(',')) {
    const eq = part.indexOf('=');
    if (eq <= 0) return undefined;
    fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  const accessKeyId = fields.get('Credential');
  const signedHeaders = fields.get('SignedHeaders');
  const signature = fields.get('Signature');
  if (!accessKeyId || !signedHeaders || !signature || !/^[0-9a-f]{64}$/.test(signature)) return undefined;
  return { accessKeyId, signedHeaders: signedHeaders.split(';'), signature };
}

function rfc3986(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function decodeOr(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/**
 * The canonical request from what arrived on the wire: the raw path and query, the headers the client listed as
 * signed (Node gives their names lower-cased), and the body hash.
 */
export function acs3CanonicalRequest(input: {
  method: string;
  rawPath: string;
  rawQuery: string;
  headers: Readonly<Record<string, string | undefined>>;
  signedHeaders: readonly string[];
  payloadHash: string;
}): string {
  const uri =
    input.rawPath
      .split('/')
      .map((s) => rfc3986(decodeOr(s)))
      .join('/') || '/';
  const query = input.rawQuery
    .split('&')
    .filter((p) => p !== '')
    .map((p) => {
      const eq = p.indexOf('=');
      const k = eq < 0 ? p : p.slice(0, eq);
      const v = eq < 0 ? '' : p.slice(eq + 1);
      // A `+` in a query means space (form encoding), as URLSearchParams reads it.
      return [rfc3986(decodeOr(k.replace(/\+/g, ' '))), rfc3986(decodeOr(v.replace(/\+/g, ' ')))] as const;
    })
    .sort(([a, av], [b, bv]) => (a === b ? (av < bv ? -1 : av > bv ? 1 : 0) : a < b ? -1 : 1))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const canonicalHeaders = input.signedHeaders
    .map((name) => `${name}:${(input.headers[name] ?? '').trim()}\n`)
    .join('');
  return [
    input.method.toUpperCase(),
    uri,
    query,
    canonicalHeaders,
    input.signedHeaders.join(';'),
    input.payloadHash,
  ].join('\n');
}

export function acs3ExpectedSignature(canonicalRequest: string, secret: string): string {
  const hashed = createHash('sha256').update(canonicalRequest).digest('hex');
  return createHmac('sha256', secret).update(`${ACS3}\n${hashed}`).digest('hex');
}

export function sha256HexOf(body: Buffer): string {
  return createHash('sha256').update(body).digest('hex');
}

/** `YYYY-MM-DDThh:mm:ssZ` (milliseconds tolerated); NaN when malformed. */
export function parseAcsDate(value: string | undefined): number {
  if (value === undefined || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$/.test(value)) return Number.NaN;
  return Date.parse(value);
}
