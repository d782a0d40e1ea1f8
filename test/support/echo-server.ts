import { createHmac } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * How the endpoint puts the request it received into its answer. Real services and gateways do each of these: an
 * API gateway that dumps the parsed request as JSON, a debug page with `key: value` lines, a proxy that quotes the
 * raw form body, a message that quotes it once more percent-encoded, SignatureDoesNotMatch with the server's string
 * to sign, a server that knows the key pair and names the HMAC key it used.
 */
export const ECHO_SHAPES = [
  'json',
  'text',
  'query',
  'query-twice',
  'base64-values',
  'string-to-sign',
  'hmac-key',
  'code-and-request-id',
  'throttled-json',
] as const;
export type EchoShape = (typeof ECHO_SHAPES)[number];

export interface EchoedRequest {
  /** The form body exactly as it arrived (percent-encoded once). */
  body: string;
  params: Record<string, string>;
  /** What the endpoint answered. */
  answer: string;
}

export interface EchoServer {
  /** `http://127.0.0.1:PORT`: an RPC endpoint for pop-core. */
  url: string;
  shape: EchoShape;
  requests: EchoedRequest[];
  close(): Promise<void>;
}

export interface EchoServerOptions {
  shape: EchoShape;
  /** The secret of each access key id, as the real service knows it (for `string-to-sign` and `hmac-key`). */
  secrets?: Record<string, string>;
}

/**
 * A loopback RPC endpoint that answers every request with an error whose fields echo that request. It speaks just
 * enough of the protocol for the real pop-core: a form-encoded POST in, a JSON `{Code, Message, RequestId}` out.
 */
export async function startEchoServer(options: EchoServerOptions): Promise<EchoServer> {
  const requests: EchoedRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const params = Object.fromEntries(new URLSearchParams(body));
      const answer = JSON.stringify(errorBody(echo.shape, body, params, options.secrets ?? {}));
      requests.push({ body, params, answer });
      res.writeHead(echo.shape === 'throttled-json' ? 503 : 400, { 'content-type': 'application/json' });
      res.end(answer);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const echo: EchoServer = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    shape: options.shape,
    requests,
    close() {
      // pop-core keeps connections alive: close() alone would wait for them.
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return echo;
}

function errorBody(
  shape: EchoShape,
  body: string,
  params: Record<string, string>,
  secrets: Record<string, string>,
): { Code: string; Message: string; RequestId: string } {
  const requestId = '5C1F4E2B-ECHO-4B8B-9A51-000000000000';
  const lines = (encode: (v: string) => string) =>
    Object.entries(params)
      .map(([k, v]) => `${k}: ${encode(v)}`)
      .join('\n');
  switch (shape) {
    case 'json':
      return {
        Code: 'InvalidParameter',
        Message: `The request ${JSON.stringify(params)} is invalid.`,
        RequestId: requestId,
      };
    case 'text':
      return { Code: 'InvalidParameter', Message: `Request received:\n${lines((v) => v)}`, RequestId: requestId };
    case 'query':
      return { Code: 'InvalidParameter', Message: `Rejected form body: ${body}`, RequestId: requestId };
    case 'query-twice':
      return { Code: 'InvalidParameter', Message: `Rejected: body=${encodeURIComponent(body)}`, RequestId: requestId };
    case 'base64-values':
      return {
        Code: 'InvalidParameter',
        Message: `Request (values base64):\n${lines((v) => Buffer.from(v).toString('base64'))}`,
        RequestId: requestId,
      };
    case 'string-to-sign':
      return {
        Code: 'SignatureDoesNotMatch',
        Message: `Specified signature is not matched with our calculation. server string to sign is:${stringToSign(params)}`,
        RequestId: requestId,
      };
    case 'hmac-key': {
      const secret = secrets[params.AccessKeyId ?? ''] ?? '(unknown key)';
      const ours = createHmac('sha1', `${secret}&`).update(stringToSign(params)).digest('base64');
      return {
        Code: 'SignatureDoesNotMatch',
        Message: `Expected signature ${ours}, computed with HMAC-SHA1 key "${secret}&"; you sent ${params.Signature}`,
        RequestId: requestId,
      };
    }
    case 'code-and-request-id':
      // Fields that code reads apart from Message: a gateway may fill them from the request too.
      return {
        Code: `InvalidSecurityToken.${params.SecurityToken ?? ''}`,
        Message: 'The security token is invalid.',
        RequestId: params.Signature ?? requestId,
      };
    case 'throttled-json':
      // Retryable: every attempt carries a new signature, and every one must be hidden.
      return { Code: 'Throttling', Message: `Request was denied: ${JSON.stringify(params)}`, RequestId: requestId };
  }
}

/** Signature v1's string to sign, as the service computes it from the received parameters. */
function stringToSign(params: Record<string, string>): string {
  const encode = (s: string) =>
    encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  const canonical = Object.keys(params)
    .filter((k) => k !== 'Signature')
    .sort()
    .map((k) => `${encode(k)}=${encode(params[k] as string)}`)
    .join('&');
  return `POST&${encode('/')}&${encode(canonical)}`;
}
