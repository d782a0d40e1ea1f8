/**
 * A loopback stand-in for the chat platforms' robot endpoints, a generic webhook receiver and a heartbeat monitor.
 * It checks each request the way the platform documents it (recomputing every signature from the secret it was
 * given, refusing timestamps more than an hour off) and answers the way the platform does: HTTP 200 with a non-zero
 * `errcode`/`code` for a refusal. A wrong signature therefore shows up as a failed notification, as in production.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type SinkPlatform = 'dingtalk' | 'feishu' | 'wecom' | 'webhook' | 'heartbeat';

export interface WebhookSinkOptions {
  dingtalk?: { accessToken: string; secret?: string };
  feishu?: { token: string; secret?: string };
  wecom?: { key: string };
  webhook?: { path: string; secret?: string };
  heartbeat?: { token: string };
  /** The platforms' clock, for the one-hour timestamp window. */
  now?: () => Date;
}

export interface SinkCall {
  platform: SinkPlatform | 'unknown';
  method: string;
  path: string;
  query: Record<string, string>;
  headers: IncomingMessage['headers'];
  rawBody: string;
  /** The parsed JSON body; undefined when it was not JSON. */
  body: unknown;
  status: number;
  /** What the sink answered (the parsed JSON it sent, or the text). */
  answer: unknown;
  /** True when the platform would have delivered the message. */
  accepted: boolean;
}

export interface WebhookSink {
  /** A URL per configured platform, token included, as the platform would hand it out. */
  urls: Record<SinkPlatform, string>;
  /** The origin, e.g. `http://127.0.0.1:40123`. */
  origin: string;
  calls: SinkCall[];
  /** The next request to this platform gets this HTTP status (or never an answer, for `hang`). */
  failNext(platform: SinkPlatform, failure: number | 'hang'): void;
  close(): Promise<void>;
}

const HOUR_MS = 3_600_000;

export async function startWebhookSink(options: WebhookSinkOptions): Promise<WebhookSink> {
  const now = options.now ?? (() => new Date());
  const calls: SinkCall[] = [];
  const failures = new Map<SinkPlatform, number | 'hang'>();
  const hanging = new Set<ServerResponse>();

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://sink');
      const rawBody = Buffer.concat(chunks).toString('utf8');
      let body: unknown;
      try {
        body = rawBody ? JSON.parse(rawBody) : undefined;
      } catch {
        body = undefined;
      }
      const platform = platformOf(url.pathname, options);
      const call: SinkCall = {
        platform,
        method: req.method ?? '',
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        headers: req.headers,
        rawBody,
        body,
        status: 0,
        answer: undefined,
        accepted: false,
      };
      calls.push(call);

      const failure = platform === 'unknown' ? undefined : failures.get(platform);
      if (failure !== undefined && platform !== 'unknown') {
        failures.delete(platform);
        if (failure === 'hang') {
          hanging.add(res);
          return;
        }
        answer(res, call, failure, { error: 'injected failure' }, false);
        return;
      }

      const verdict = judge(platform, req, url, rawBody, body, options, now().getTime());
      answer(res, call, verdict.status, verdict.answer, verdict.accepted);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    origin,
    urls: {
      dingtalk: `${origin}/robot/send?access_token=${encodeURIComponent(options.dingtalk?.accessToken ?? 'none')}`,
      feishu: `${origin}/open-apis/bot/v2/hook/${options.feishu?.token ?? 'none'}`,
      wecom: `${origin}/cgi-bin/webhook/send?key=${encodeURIComponent(options.wecom?.key ?? 'none')}`,
      webhook: `${origin}${options.webhook?.path ?? '/hooks/none'}`,
      heartbeat: `${origin}/ping/${options.heartbeat?.token ?? 'none'}`,
    },
    calls,
    failNext(platform, failure) {
      failures.set(platform, failure);
    },
    async close() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function platformOf(path: string, o: WebhookSinkOptions): SinkCall['platform'] {
  if (path === '/robot/send') return 'dingtalk';
  if (path.startsWith('/open-apis/bot/v2/hook/')) return 'feishu';
  if (path === '/cgi-bin/webhook/send') return 'wecom';
  if (path.startsWith('/ping/')) return 'heartbeat';
  if (o.webhook && path === o.webhook.path) return 'webhook';
  return 'unknown';
}

interface Verdict {
  status: number;
  answer: unknown;
  accepted: boolean;
}

const ok = (answer: unknown): Verdict => ({ status: 200, answer, accepted: true });
// The chat platforms refuse with HTTP 200 and a code in the body.
const refuse = (answer: unknown): Verdict => ({ status: 200, answer, accepted: false });

function judge(
  platform: SinkCall['platform'],
  req: IncomingMessage,
  url: URL,
  rawBody: string,
  body: unknown,
  o: WebhookSinkOptions,
  nowMs: number,
): Verdict {
  const b = (body ?? {}) as Record<string, unknown>;
  switch (platform) {
    case 'dingtalk': {
      const cfg = o.dingtalk;
      if (req.method !== 'POST') return { status: 405, answer: 'method not allowed', accepted: false };
      if (!cfg || url.searchParams.get('access_token') !== cfg.accessToken) {
        return refuse({ errcode: 300001, errmsg: 'token is not exist' });
      }
      if (cfg.secret) {
        // DingTalk: timestamp in ms, within an hour; sign = base64(HMAC-SHA256(secret, "{ts}\n{secret}")), URL-encoded
        // in the query (URLSearchParams has decoded it here, as the platform's server does).
        const ts = url.searchParams.get('timestamp') ?? '';
        const sign = url.searchParams.get('sign') ?? '';
        if (!/^\d{13}$/.test(ts) || Math.abs(nowMs - Number(ts)) > HOUR_MS) {
          return refuse({ errcode: 310000, errmsg: 'invalid timestamp' });
        }
        const expected = createHmac('sha256', cfg.secret).update(`${ts}\n${cfg.secret}`).digest('base64');
        if (!same(sign, expected)) return refuse({ errcode: 310000, errmsg: 'sign not match' });
      }
      const md = b.markdown as Record<string, unknown> | undefined;
      if (b.msgtype !== 'markdown' || typeof md?.title !== 'string' || typeof md.text !== 'string' || !md.text) {
        return refuse({ errcode: 40035, errmsg: 'missing parameter markdown.title / markdown.text' });
      }
      return ok({ errcode: 0, errmsg: 'ok' });
    }
    case 'feishu': {
      const cfg = o.feishu;
      if (req.method !== 'POST') return { status: 405, answer: 'method not allowed', accepted: false };
      if (!cfg || url.pathname.split('/').pop() !== cfg.token) {
        return refuse({ code: 19001, data: {}, msg: 'param invalid: incoming webhook access token invalid' });
      }
      if (cfg.secret) {
        // Feishu: timestamp in seconds (a string) and sign in the body; sign = base64(HMAC-SHA256(key =
        // "{ts}\n{secret}", message = empty)); a timestamp more than an hour off fails the same way as a bad sign.
        const failed = {
          code: 19021,
          data: {},
          msg: 'sign match fail or timestamp is not within one hour from current time',
        };
        const ts = typeof b.timestamp === 'string' ? b.timestamp : '';
        const sign = typeof b.sign === 'string' ? b.sign : '';
        if (!/^\d{10}$/.test(ts) || Math.abs(nowMs - Number(ts) * 1000) > HOUR_MS) return refuse(failed);
        const expected = createHmac('sha256', `${ts}\n${cfg.secret}`).update('').digest('base64');
        if (!same(sign, expected)) return refuse(failed);
      }
      const card = b.card as Record<string, unknown> | undefined;
      if (b.msg_type === 'interactive' && (!card || !Array.isArray(card.elements))) {
        return refuse({ code: 11246, data: {}, msg: 'create card content failed' });
      }
      if (!['text', 'post', 'interactive', 'share_chat', 'image'].includes(String(b.msg_type))) {
        return refuse({ code: 19002, data: {}, msg: 'params error, msg_type need' });
      }
      return ok({ StatusCode: 0, StatusMessage: 'success', code: 0, data: {}, msg: 'success' });
    }
    case 'wecom': {
      const cfg = o.wecom;
      if (req.method !== 'POST') return { status: 405, answer: 'method not allowed', accepted: false };
      if (!cfg || url.searchParams.get('key') !== cfg.key) {
        return refuse({ errcode: 93000, errmsg: 'invalid webhook url, hint: key is invalid' });
      }
      const md = b.markdown as Record<string, unknown> | undefined;
      if (b.msgtype !== 'markdown' || typeof md?.content !== 'string' || !md.content) {
        return refuse({ errcode: 40008, errmsg: 'invalid message type' });
      }
      if (Buffer.byteLength(md.content, 'utf8') > 4096) {
        return refuse({ errcode: 40058, errmsg: 'markdown.content exceed max length 4096' });
      }
      return ok({ errcode: 0, errmsg: 'ok' });
    }
    case 'webhook': {
      if (req.method !== 'POST') return { status: 405, answer: 'method not allowed', accepted: false };
      if (o.webhook?.secret) {
        const header = String(req.headers['x-signature'] ?? '');
        const expected = `sha256=${createHmac('sha256', o.webhook.secret).update(rawBody, 'utf8').digest('hex')}`;
        if (!same(header, expected)) return { status: 401, answer: { error: 'bad signature' }, accepted: false };
      }
      if (body === undefined) return { status: 400, answer: { error: 'not JSON' }, accepted: false };
      return ok({ received: true });
    }
    case 'heartbeat': {
      const token = o.heartbeat?.token;
      const path = url.pathname;
      if (req.method !== 'GET' && req.method !== 'HEAD' && req.method !== 'POST') {
        return { status: 405, answer: 'method not allowed', accepted: false };
      }
      if (!token || (path !== `/ping/${token}` && path !== `/ping/${token}/fail`)) {
        return { status: 404, answer: 'not found', accepted: false };
      }
      return ok('OK');
    }
    default:
      return { status: 404, answer: 'not found', accepted: false };
  }
}

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function answer(res: ServerResponse, call: SinkCall, status: number, body: unknown, accepted: boolean): void {
  call.status = status;
  call.answer = body;
  call.accepted = accepted;
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { 'content-type': typeof body === 'string' ? 'text/plain' : 'application/json' });
  res.end(text);
}
