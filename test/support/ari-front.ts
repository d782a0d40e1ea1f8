/**
 * A test-only ACME Renewal Information front for Pebble 2.4, which has no ARI. An HTTPS server on 127.0.0.1 (with
 * the shared Pebble's TLS files, which the test runner already trusts) serves a copy of Pebble's directory with
 * `renewalInfo` added and answers `GET /renewal-info/<certId>` with what the test set (404 for unknown ids). Every
 * other directory URL still points at Pebble, so acme-client talks to the real CA.
 *
 * Optionally it also fronts `newOrder`, to see the `replaces` a client sends and to refuse orders the way an ARI CA
 * does. Pebble checks that a JWS's `url` header names the URL it was posted to, so a forwarded order is re-signed
 * with the account key the test gave the client (same key, same kid and nonce; only `url` changes).
 */
import { createPrivateKey, type KeyObject, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { pebbleTlsFiles } from './env.js';

export interface AriAnswer {
  status?: number;
  /** Sent as JSON; a string is sent as it is. */
  body?: unknown;
  headers?: Record<string, string>;
  /** Wait this long before answering (to make clients time out). */
  delayMs?: number;
}

export interface AcmeProblemBody {
  type: string;
  detail?: string;
  status: number;
}

export interface AriFrontOptions {
  /** Pebble's directory URL. */
  upstreamDirectoryUrl: string;
  /** Leave `renewalInfo` out of the directory copy: a CA without ARI, but one whose requests are counted. */
  withoutRenewalInfo?: boolean;
  /** Point the directory's `newOrder` at the front, which records each order and forwards it re-signed. */
  proxyNewOrder?: {
    /** The account key the client under test uses (PEM). */
    accountKeyPem: string;
    /** Answer an order with this problem (and these extra headers, e.g. Retry-After) instead of forwarding it. */
    refuse?: (payload: Record<string, unknown>) => (AcmeProblemBody & { headers?: Record<string, string> }) | undefined;
  };
  /** Another certificate for the front itself (e.g. one nobody trusts). Default: the shared Pebble's. */
  tls?: { certPath: string; keyPath: string };
}

export interface AriFront {
  /** The front's directory URL: give it to the client under test. */
  readonly directoryUrl: string;
  /** Base URL of renewal information (`<renewalInfo>/<certId>`). */
  readonly renewalInfoUrl: string;
  /** Certificate ids asked for, in order (known or not). */
  readonly requested: string[];
  /** Number of directory requests served. */
  readonly directoryRequests: () => number;
  /**
   * newOrder payloads received, in order, refused ones included (with `proxyNewOrder`); requests Pebble answered
   * with badNonce are left out, as acme-client sends them again.
   */
  readonly orders: Record<string, unknown>[];
  /** Answer `GET /renewal-info/<certId>` with this window (RFC 9773 body). */
  setWindow(certId: string, window: { start: Date | string; end: Date | string; explanationURL?: string }): void;
  /** Answer `GET /renewal-info/<certId>` with anything (status, raw body, delay). */
  setAnswer(certId: string, answer: AriAnswer): void;
  close(): Promise<void>;
}

const b64urlJson = (text: string): Record<string, unknown> =>
  JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as Record<string, unknown>;

export async function startAriFront(options: AriFrontOptions): Promise<AriFront> {
  const tls = options.tls ?? pebbleTlsFiles();
  const upstreamRes = await fetch(options.upstreamDirectoryUrl);
  if (!upstreamRes.ok) throw new Error(`ari-front: upstream directory answered HTTP ${upstreamRes.status}`);
  const upstream = (await upstreamRes.json()) as Record<string, unknown>;
  const upstreamNewOrder = upstream.newOrder as string;
  const accountKey: KeyObject | undefined = options.proxyNewOrder
    ? createPrivateKey(options.proxyNewOrder.accountKeyPem)
    : undefined;

  const answers = new Map<string, AriAnswer>();
  const requested: string[] = [];
  const orders: Record<string, unknown>[] = [];
  let directoryRequests = 0;
  let base = '';

  const server: Server = createServer(
    { cert: readFileSync(tls.certPath), key: readFileSync(tls.keyPath) },
    (req, res) => {
      const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
        const text = typeof body === 'string' ? body : JSON.stringify(body);
        res.writeHead(status, { 'content-type': 'application/json', ...headers });
        res.end(text);
      };
      const url = new URL(req.url ?? '/', base);
      void (async () => {
        if (req.method === 'GET' && url.pathname === '/dir') {
          directoryRequests++;
          send(200, {
            ...upstream,
            ...(options.withoutRenewalInfo ? {} : { renewalInfo: `${base}/renewal-info` }),
            ...(options.proxyNewOrder ? { newOrder: `${base}/new-order` } : {}),
          });
          return;
        }
        const ari = /^\/renewal-info\/([^/]+)$/.exec(url.pathname);
        if (req.method === 'GET' && ari && !options.withoutRenewalInfo) {
          const certId = decodeURIComponent(ari[1] as string);
          requested.push(certId);
          const answer = answers.get(certId);
          if (!answer) {
            send(
              404,
              { type: 'urn:ietf:params:acme:error:malformed', detail: 'unknown certificate', status: 404 },
              { 'content-type': 'application/problem+json' },
            );
            return;
          }
          if (answer.delayMs) await new Promise((r) => setTimeout(r, answer.delayMs));
          send(answer.status ?? 200, answer.body ?? '', answer.headers);
          return;
        }
        if (req.method === 'POST' && url.pathname === '/new-order' && options.proxyNewOrder && accountKey) {
          const chunks: Buffer[] = [];
          for await (const chunk of req) chunks.push(chunk as Buffer);
          const jws = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, string>;
          const payload = b64urlJson(jws.payload ?? '');
          orders.push(payload);
          const problem = options.proxyNewOrder.refuse?.(payload);
          if (problem) {
            const { headers, ...body } = problem;
            send(problem.status, body, { 'content-type': 'application/problem+json', ...headers });
            return;
          }
          const header: Record<string, unknown> = { ...b64urlJson(jws.protected ?? ''), url: upstreamNewOrder };
          const protectedB64 = Buffer.from(JSON.stringify(header)).toString('base64url');
          const input = Buffer.from(`${protectedB64}.${jws.payload}`);
          const signature =
            header.alg === 'ES256'
              ? sign('sha256', input, { key: accountKey, dsaEncoding: 'ieee-p1363' })
              : sign('sha256', input, accountKey);
          const forwarded = await fetch(upstreamNewOrder, {
            method: 'POST',
            headers: { 'content-type': 'application/jose+json' },
            body: JSON.stringify({
              protected: protectedB64,
              payload: jws.payload,
              signature: signature.toString('base64url'),
            }),
          });
          const headers: Record<string, string> = {};
          for (const name of ['location', 'replay-nonce', 'link', 'content-type', 'retry-after']) {
            const value = forwarded.headers.get(name);
            if (value !== null) headers[name] = value;
          }
          const text = await forwarded.text();
          // Pebble rejects a share of nonces at random and acme-client resends: that is not another order.
          if (forwarded.status === 400 && text.includes('urn:ietf:params:acme:error:badNonce')) orders.pop();
          send(forwarded.status, text, headers);
          return;
        }
        send(404, { type: 'urn:ietf:params:acme:error:malformed', detail: 'no such resource', status: 404 });
      })().catch((err: unknown) => {
        if (!res.headersSent) send(500, { detail: `ari-front: ${String(err)}` });
        else res.destroy();
      });
    },
  );
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  base = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    directoryUrl: `${base}/dir`,
    renewalInfoUrl: `${base}/renewal-info`,
    requested,
    orders,
    directoryRequests: () => directoryRequests,
    setWindow(certId, window) {
      const iso = (d: Date | string) => (typeof d === 'string' ? d : d.toISOString());
      answers.set(certId, {
        status: 200,
        body: {
          suggestedWindow: { start: iso(window.start), end: iso(window.end) },
          ...(window.explanationURL ? { explanationURL: window.explanationURL } : {}),
        },
        headers: { 'retry-after': '21600' },
      });
    },
    setAnswer(certId, answer) {
      answers.set(certId, answer);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
