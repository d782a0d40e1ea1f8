import { randomUUID } from 'node:crypto';
import { listen } from './listen.js';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { type CallLog, type Product, redactParams } from './call-log.js';
import type { CredentialStore } from './credentials.js';
import { ApiError, missingParameter } from './errors.js';
import type { Faults } from './faults.js';
import type { Params } from './params.js';
import type { RateQuotas } from './rate-quotas.js';
import { parseTimestamp, signatureMatches } from './signature.js';

/** One emulated product, selected by the `Version` parameter. */
export interface ProductHandler {
  readonly product: Product;
  /** `HostId` in error bodies: the real endpoint host. */
  readonly hostId: string;
  readonly actions: ReadonlySet<string>;
  handle(action: string, params: Params): Promise<Record<string, unknown>> | Record<string, unknown>;
}

export interface RpcServerOptions {
  host: string;
  port: number;
  clock: () => number;
  credentials: CredentialStore;
  /** Keyed by API version, e.g. `2014-05-15`. */
  products: ReadonlyMap<string, ProductHandler>;
  faults: Faults;
  calls: CallLog;
  /** Published per-API rate quotas, enforced before the call reaches its product. */
  rateQuotas: RateQuotas;
}

export interface RpcServer {
  readonly endpoint: string;
  readonly port: number;
  close(): Promise<void>;
}

/** ±15 minutes, the documented window; outside it the real service answers IllegalTimestamp. */
export const MAX_CLOCK_SKEW_MS = 15 * 60_000;
const MAX_BODY_BYTES = 2 * 1024 * 1024;

const REQUIRED_COMMON = ['Action', 'Version', 'AccessKeyId', 'SignatureMethod', 'SignatureVersion', 'SignatureNonce'];

/**
 * Remembers nonces for twice the skew window: a replay older than that fails the timestamp check anyway, so the set
 * stays bounded without weakening replay protection.
 */
class NonceCache {
  private readonly seen = new Map<string, number>();

  constructor(private readonly clock: () => number) {}

  /** False when the nonce was already used with this key. */
  use(accessKeyId: string, nonce: string): boolean {
    const now = this.clock();
    if (this.seen.size > 10_000) {
      for (const [k, exp] of this.seen) if (exp <= now) this.seen.delete(k);
    }
    const key = `${accessKeyId}\u0000${nonce}`;
    const exp = this.seen.get(key);
    if (exp !== undefined && exp > now) return false;
    this.seen.set(key, now + 2 * MAX_CLOCK_SKEW_MS);
    return true;
  }
}

export async function startRpcServer(options: RpcServerOptions): Promise<RpcServer> {
  const nonces = new NonceCache(options.clock);
  const server = createServer((req, res) => {
    handleRequest(options, nonces, req, res).catch((err: unknown) => {
      // Only reached if writing the response itself failed; never print params (they may hold a private key).
      console.error('[emulator] failed to answer a request:', err instanceof Error ? err.message : String(err));
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  const port = await listen(server, options.port, options.host);
  return {
    endpoint: `http://${options.host}:${port}`,
    port,
    close: () => closeServer(server),
  };
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    // Keep-alive sockets from pop-core's agent would otherwise hold close() open for seconds.
    server.closeAllConnections();
  });
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > MAX_BODY_BYTES) throw new ApiError('RequestTooLarge', 'The request body is too large.', 413);
    chunks.push(buf);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Query and form body merged (POP signs both together); on a repeated name the body wins. */
function collectParams(url: URL, body: string, contentType: string | undefined): Record<string, string> {
  const params: Record<string, string> = {};
  for (const [k, v] of url.searchParams) params[k] = v;
  const isForm = contentType === undefined || contentType.toLowerCase().includes('application/x-www-form-urlencoded');
  if (body !== '' && isForm) for (const [k, v] of new URLSearchParams(body)) params[k] = v;
  return params;
}

async function handleRequest(
  options: RpcServerOptions,
  nonces: NonceCache,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const requestId = randomUUID().toUpperCase();
  const time = options.clock();
  const method = (req.method ?? 'GET').toUpperCase();
  let params: Record<string, string> = {};
  let handler: ProductHandler | undefined;
  let injected = false;

  const respond = (status: number, body: Record<string, unknown>, errorCode: string | undefined) => {
    options.calls.add({
      requestId,
      product: handler?.product,
      action: params.Action ?? '',
      time,
      method,
      params: redactParams(params),
      status,
      errorCode,
      injected,
    });
    const text = JSON.stringify(body);
    res.writeHead(status, {
      'content-type': 'application/json;charset=utf-8',
      'content-length': Buffer.byteLength(text),
      'x-acs-request-id': requestId,
    });
    res.end(text);
  };

  try {
    if (method !== 'GET' && method !== 'POST') {
      // Code UNCONFIRMED; pop-core only ever sends GET or POST.
      throw new ApiError('UnsupportedHTTPMethod', `The HTTP method ${method} is not supported.`, 405);
    }
    const url = new URL(req.url ?? '/', 'http://emulator');
    const body = method === 'POST' ? await readBody(req) : '';
    params = collectParams(url, body, req.headers['content-type']);
    handler = options.products.get(params.Version ?? '');

    authenticate(options, nonces, method, params);

    if (handler === undefined) {
      // Code and status UNCONFIRMED: the real gateway picks the product by host, so it never sees this case.
      throw new ApiError('InvalidVersion', 'Specified parameter Version is not valid.', 400);
    }
    const action = params.Action ?? '';
    if (!handler.actions.has(action)) {
      // Code and status UNCONFIRMED (the usual POP answer for an unknown action).
      throw new ApiError(
        'InvalidAction.NotFound',
        'Specified api is not found, please check your url and method.',
        404,
      );
    }

    options.rateQuotas.admit(handler.product, action);
    const visible = redactParams(params);
    await options.faults.delay(handler.product, action, visible);
    const before = options.faults.failure(handler.product, action, visible, 'before');
    if (before) {
      injected = true;
      throw before;
    }
    const result = await handler.handle(action, params);
    const after = options.faults.failure(handler.product, action, visible, 'after');
    if (after) {
      injected = true;
      throw after;
    }
    const tampered = options.faults.tamper(handler.product, action, visible, { RequestId: requestId, ...result });
    respond(200, tampered, undefined);
  } catch (err) {
    const apiErr =
      err instanceof ApiError
        ? err
        : new ApiError('InternalError', 'The request processing has failed due to some unknown error.', 500);
    if (!(err instanceof ApiError)) {
      console.error('[emulator] handler bug:', err instanceof Error ? (err.stack ?? err.message) : String(err));
    }
    const product = handler?.product === 'alidns' ? 'Alidns' : 'Slb';
    respond(
      apiErr.status,
      {
        RequestId: requestId,
        HostId: handler?.hostId ?? req.headers.host ?? 'aliyuncs.com',
        Code: apiErr.code,
        Message: apiErr.message,
        Recommend: `https://api.aliyun.com/troubleshoot?q=${encodeURIComponent(apiErr.code)}&product=${product}&requestId=${requestId}`,
      },
      apiErr.code,
    );
  }
}

/** Signature v1 checks, in the order a client is most helped by: shape, timestamp, key, signature, nonce. */
function authenticate(
  options: RpcServerOptions,
  nonces: NonceCache,
  method: string,
  params: Readonly<Record<string, string>>,
): void {
  for (const name of REQUIRED_COMMON) {
    if (params[name] === undefined || params[name] === '') throw missingParameter(name);
  }
  if (params.Signature === undefined || params.Signature === '') {
    throw new ApiError('IncompleteSignature', 'The request signature does not conform to Aliyun standards.');
  }
  // Code UNCONFIRMED for a wrong method/version; IncompleteSignature is the documented "not to standard" answer.
  if (params.SignatureMethod !== 'HMAC-SHA1' || params.SignatureVersion !== '1.0') {
    throw new ApiError(
      'IncompleteSignature',
      'The request signature does not conform to Aliyun standards. Only SignatureMethod HMAC-SHA1 and SignatureVersion 1.0 are supported.',
    );
  }
  if (params.Format !== undefined && params.Format.toUpperCase() !== 'JSON') {
    throw new ApiError('InvalidParameter', 'The emulator only answers Format=JSON.');
  }
  const timestamp = params.Timestamp;
  if (timestamp === undefined || timestamp === '') throw missingParameter('Timestamp');
  const ts = parseTimestamp(timestamp);
  if (ts === undefined || Math.abs(options.clock() - ts) > MAX_CLOCK_SKEW_MS) {
    throw new ApiError(
      'IllegalTimestamp',
      'The input parameter "Timestamp" that is mandatory for processing this request is not supplied or is out of the allowed window (UTC YYYY-MM-DDThh:mm:ssZ, within 15 minutes).',
    );
  }
  const accessKeyId = params.AccessKeyId ?? '';
  const secret = options.credentials.secretFor(accessKeyId, params.SecurityToken);
  // The real message goes on with "server string to sign is: …"; omitted here because for STS that string holds
  // the SecurityToken.
  if (!signatureMatches(method, params, secret, params.Signature)) {
    throw new ApiError('SignatureDoesNotMatch', 'Specified signature is not matched with our calculation.', 400);
  }
  // Only a correctly signed request consumes its nonce, so a forged request cannot burn a legitimate one.
  if (!nonces.use(accessKeyId, params.SignatureNonce ?? '')) {
    throw new ApiError('SignatureNonceUsed', 'Specified signature nonce was used already.');
  }
}
