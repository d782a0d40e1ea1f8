import { randomUUID } from 'node:crypto';
import { listen } from './listen.js';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { CredentialStore } from './credentials.js';
import { ApiError } from './errors.js';
import { closeServer, type FcInvocation, type FcService, readBody, sendFcError } from './fc.js';
import { sameSecretString } from './fc-signature.js';
import {
  acs3CanonicalRequest,
  acs3ExpectedSignature,
  parseAcs3Authorization,
  parseAcsDate,
  sha256HexOf,
} from './gateway-acs3.js';

/**
 * An HTTP trigger on loopback, as FC 3.0's gateway serves `https://<trigger>.<region>.fcapp.run`: real HTTP in,
 * the FC 3.0 HTTP event (a Buffer) to the function, its `{statusCode, headers, body, isBase64Encoded}` back out.
 * With `authType: 'function'` the ACS3-HMAC-SHA256 signature is checked first and a failure is a 403 that never
 * reaches the function; `anonymous` lets everything through.
 */
export type HttpTriggerAuthType = 'function' | 'anonymous';

/** ±15 minutes for x-acs-date: the window of Alibaba Cloud's other signatures; FC's own is UNCONFIRMED. */
export const ACS3_MAX_CLOCK_SKEW_MS = 15 * 60_000;

export interface HttpTriggerOptions {
  functionName: string;
  authType: HttpTriggerAuthType;
  host: string;
  port: number;
  clock: () => number;
  credentials: CredentialStore;
}

export interface HttpTrigger {
  /** `http://127.0.0.1:PORT`: the trigger's URL. */
  readonly url: string;
  readonly authType: HttpTriggerAuthType;
  /** Requests refused before the function ran (status and code), oldest first. */
  readonly refusals: readonly { status: number; code: string }[];
  close(): Promise<void>;
}

export async function startHttpTrigger(service: FcService, options: HttpTriggerOptions): Promise<HttpTrigger> {
  const nonces = new Map<string, number>();
  const refusals: { status: number; code: string }[] = [];
  const triggerId = randomUUID();
  const server = createServer((req, res) => {
    const requestId = `1-${randomUUID()}`;
    serve(req, res, requestId).catch((err: unknown) => {
      if (err instanceof ApiError) refusals.push({ status: err.status, code: err.code });
      if (!res.headersSent) sendFcError(res, requestId, err);
      else res.end();
    });
  });

  async function serve(req: IncomingMessage, res: ServerResponse, requestId: string): Promise<void> {
    const body = await readBody(req);
    if (options.authType === 'function') authenticate(req, body);
    const event = httpEvent(req, body, requestId, options.clock(), service, triggerId, options.authType);
    const { invocation } = await service.invokeSync(
      options.functionName,
      'LATEST',
      Buffer.from(JSON.stringify(event)),
      'HttpTrigger',
      requestId,
    );
    respond(res, invocation);
  }

  function authenticate(req: IncomingMessage, body: Buffer): void {
    const headers = lowerHeaders(req);
    const auth = parseAcs3Authorization(headers.authorization);
    // Code UNCONFIRMED: FC documents only that unsigned or wrongly signed calls get 403.
    const deny = (code: string, message: string) => new ApiError(code, message, 403);
    if (!auth) throw deny('AccessDenied', 'the request is not signed with ACS3-HMAC-SHA256');
    const at = parseAcsDate(headers['x-acs-date']);
    if (Number.isNaN(at) || Math.abs(options.clock() - at) > ACS3_MAX_CLOCK_SKEW_MS) {
      throw deny('RequestTimeTooSkewed', 'x-acs-date is missing or more than 15 minutes from the server time');
    }
    // Every x-acs-* header the request carries, and host, must be signed: an unsigned one could be swapped.
    const signed = new Set(auth.signedHeaders);
    const unsigned = Object.keys(headers).filter((h) => (h.startsWith('x-acs-') || h === 'host') && !signed.has(h));
    if (unsigned.length > 0 || !signed.has('x-acs-date')) {
      throw deny('AccessDenied', `headers that must be signed are not: ${unsigned.join(', ') || 'x-acs-date'}`);
    }
    const actualHash = sha256HexOf(body);
    const claimed = headers['x-acs-content-sha256'];
    if (claimed !== undefined && claimed !== actualHash) {
      throw deny('ContentSHA256Mismatch', 'x-acs-content-sha256 does not match the body');
    }
    let secret: string;
    try {
      secret = options.credentials.secretFor(auth.accessKeyId, headers['x-acs-security-token']);
    } catch (err) {
      if (err instanceof ApiError) throw deny(err.code, err.message);
      throw err;
    }
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const canonical = acs3CanonicalRequest({
      method: req.method ?? 'GET',
      rawPath: q < 0 ? url : url.slice(0, q),
      rawQuery: q < 0 ? '' : url.slice(q + 1),
      headers,
      signedHeaders: auth.signedHeaders,
      payloadHash: actualHash,
    });
    if (!sameSecretString(acs3ExpectedSignature(canonical, secret), auth.signature)) {
      throw deny('SignatureDoesNotMatch', 'the request signature does not match');
    }
    // Only a correctly signed request consumes its nonce, so a forged request cannot burn a legitimate one.
    const nonce = headers['x-acs-signature-nonce'];
    if (nonce !== undefined) {
      const now = options.clock();
      for (const [k, exp] of nonces) if (exp <= now) nonces.delete(k);
      const key = `${auth.accessKeyId}\u0000${nonce}`;
      if (nonces.has(key)) throw deny('SignatureNonceUsed', 'x-acs-signature-nonce was used already');
      nonces.set(key, now + 2 * ACS3_MAX_CLOCK_SKEW_MS);
    }
  }

  const port = await listen(server, options.port, options.host);
  return {
    url: `http://${options.host}:${port}`,
    authType: options.authType,
    get refusals() {
      return [...refusals];
    },
    close: () => closeServer(server),
  };
}

function lowerHeaders(req: IncomingMessage): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(req.headers)) out[k] = Array.isArray(v) ? v.join(',') : v;
  return out;
}

/**
 * Headers the function never sees behind a signed (`function`) trigger: the caller's signature and STS token are
 * credentials the gateway consumed, and a function that logs its event must not be able to leak them. Behind an
 * anonymous trigger they pass through: there the function does its own authentication (a bearer token). Whether FC's
 * gateway strips them in either mode is UNCONFIRMED.
 */
const WITHHELD = new Set(['authorization', 'x-acs-security-token']);

/** The FC 3.0 HTTP event (shape from the FC HTTP trigger doc and the fc3 component's template). */
export function httpEvent(
  req: IncomingMessage,
  body: Buffer,
  requestId: string,
  now: number,
  service: Pick<FcService, 'accountId' | 'region'>,
  triggerId: string,
  authType: HttpTriggerAuthType = 'function',
): Record<string, unknown> {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const rawPath = q < 0 ? url : url.slice(0, q);
  // Header names as the client sent them; repeated headers comma-joined, as FC delivers them.
  const headers: Record<string, string> = {};
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i] as string;
    if (authType === 'function' && WITHHELD.has(name.toLowerCase())) continue;
    const value = req.rawHeaders[i + 1] as string;
    headers[name] = headers[name] === undefined ? value : `${headers[name]},${value}`;
  }
  const queryParameters: Record<string, string> = {};
  for (const [k, v] of new URLSearchParams(q < 0 ? '' : url.slice(q + 1))) {
    queryParameters[k] = queryParameters[k] === undefined ? v : `${queryParameters[k]},${v}`;
  }
  // Text goes as is, anything that is not valid UTF-8 as base64 (FC's exact rule is UNCONFIRMED).
  const text = body.toString('utf8');
  const binary = !Buffer.from(text, 'utf8').equals(body);
  let path = rawPath;
  try {
    path = decodeURIComponent(rawPath);
  } catch {
    // Keep the raw form when it does not decode.
  }
  const domainName = `${triggerId}.${service.region}.fcapp.run`;
  return {
    version: 'v1',
    rawPath,
    body: binary ? body.toString('base64') : text,
    isBase64Encoded: binary,
    headers,
    queryParameters,
    requestContext: {
      accountId: service.accountId,
      domainName,
      domainPrefix: triggerId,
      http: {
        method: req.method ?? 'GET',
        path,
        protocol: `HTTP/${req.httpVersion}`,
        sourceIp: req.socket.remoteAddress ?? '',
        userAgent: req.headers['user-agent'] ?? '',
      },
      requestId,
      time: new Date(now).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      timeEpoch: String(now),
      triggerId,
    },
  };
}

/**
 * The function's `{statusCode, headers, body, isBase64Encoded}` back onto the wire. Another shape is sent as a 200
 * JSON body, and an unhandled error as 502 (what FC does in both cases is UNCONFIRMED).
 */
function respond(res: ServerResponse, inv: FcInvocation): void {
  const base = { 'x-fc-request-id': inv.requestId };
  if (inv.status !== 'succeeded') {
    const text = JSON.stringify({ errorMessage: inv.error?.message ?? '', errorType: inv.error?.type ?? 'Error' });
    res.writeHead(502, { ...base, 'content-type': 'application/json', 'x-fc-error-type': 'UnhandledInvocationError' });
    res.end(text);
    return;
  }
  const r = inv.result as { statusCode?: unknown; headers?: unknown; body?: unknown; isBase64Encoded?: unknown } | null;
  if (r && typeof r === 'object' && typeof r.statusCode === 'number') {
    const headers: Record<string, string> = {};
    if (r.headers && typeof r.headers === 'object') {
      for (const [k, v] of Object.entries(r.headers as Record<string, unknown>)) headers[k] = String(v);
    }
    const body =
      r.body === undefined || r.body === null
        ? Buffer.alloc(0)
        : r.isBase64Encoded === true
          ? Buffer.from(String(r.body), 'base64')
          : Buffer.from(typeof r.body === 'string' ? r.body : JSON.stringify(r.body), 'utf8');
    res.writeHead(r.statusCode, { ...headers, ...base, 'content-length': body.length });
    res.end(body);
    return;
  }
  const text = typeof inv.result === 'string' ? inv.result : JSON.stringify(inv.result ?? null);
  res.writeHead(200, { ...base, 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
