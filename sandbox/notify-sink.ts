/**
 * A loopback receiver for the sandbox's alerts (a generic `webhook` channel) and heartbeat pings, so `npm start` can
 * show what a run sends. It checks the webhook's `X-Signature` the way the README tells receivers to. The tokens in
 * its URLs stand for the secrets real URLs carry, so what it records never includes them.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SinkDelivery {
  kind: 'alert' | 'heartbeat' | 'unknown';
  method: string;
  /** The path with the token replaced by `<token>`. */
  path: string;
  /** For alerts: whether X-Signature matched the shared secret. */
  signatureValid?: boolean;
  /** For alerts: the parsed JSON body. */
  body?: unknown;
}

export interface NotifySink {
  alertUrl: string;
  alertSecret: string;
  heartbeatUrl: string;
  deliveries: SinkDelivery[];
  close(): Promise<void>;
}

/** The environment variables the sandbox's configuration reads the receiver's URLs and secret from. */
export function sinkEnvironment(sink: NotifySink): Record<string, string> {
  return {
    ROTATOR_SANDBOX_ALERT_URL: sink.alertUrl,
    ROTATOR_SANDBOX_ALERT_SECRET: sink.alertSecret,
    ROTATOR_SANDBOX_HEARTBEAT_URL: sink.heartbeatUrl,
  };
}

/** The configuration's `alerts` and `heartbeat` sections, sending to the receiver (see sinkEnvironment). */
export const SINK_SETTINGS = {
  alerts: {
    expiryWarningDays: 14,
    channels: [
      {
        type: 'webhook',
        url: { env: 'ROTATOR_SANDBOX_ALERT_URL' },
        secret: { env: 'ROTATOR_SANDBOX_ALERT_SECRET' },
      },
    ],
  },
  heartbeat: { url: { env: 'ROTATOR_SANDBOX_HEARTBEAT_URL' } },
};

export async function startNotifySink(
  options: { onDelivery?: (delivery: SinkDelivery) => void } = {},
): Promise<NotifySink> {
  const token = randomBytes(12).toString('hex');
  const alertSecret = randomBytes(24).toString('base64url');
  const deliveries: SinkDelivery[] = [];
  const record = (d: SinkDelivery) => {
    deliveries.push(d);
    options.onDelivery?.(d);
  };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = new URL(req.url ?? '/', 'http://sink').pathname;
      const shown = path.split(token).join('<token>');
      const raw = Buffer.concat(chunks);
      if (req.method === 'POST' && path === `/hooks/${token}`) {
        const expected = Buffer.from(`sha256=${createHmac('sha256', alertSecret).update(raw).digest('hex')}`);
        const given = Buffer.from(String(req.headers['x-signature'] ?? ''));
        const signatureValid = given.length === expected.length && timingSafeEqual(given, expected);
        let body: unknown;
        try {
          body = JSON.parse(raw.toString('utf8'));
        } catch {
          body = undefined;
        }
        record({ kind: 'alert', method: 'POST', path: shown, signatureValid, body });
        res.writeHead(signatureValid ? 200 : 401).end();
        return;
      }
      if (req.method === 'GET' && (path === `/ping/${token}` || path === `/ping/${token}/fail`)) {
        record({ kind: 'heartbeat', method: 'GET', path: shown });
        res.writeHead(200).end('OK');
        return;
      }
      record({ kind: 'unknown', method: req.method ?? '', path: shown });
      res.writeHead(404).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    alertUrl: `${origin}/hooks/${token}`,
    alertSecret,
    heartbeatUrl: `${origin}/ping/${token}`,
    deliveries,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** One delivery in words, for a terminal: an alert's title and items, or a heartbeat's path. */
export function describeDelivery(d: SinkDelivery): string {
  if (d.kind === 'heartbeat') return `heartbeat ${d.method} ${d.path}`;
  if (d.kind === 'alert') {
    const body = d.body as { title?: string; items?: { code: string; certificate: string; detail: string }[] };
    return [
      `alert ${d.method} ${d.path} (X-Signature ${d.signatureValid ? 'valid' : 'INVALID'}): ${body?.title ?? '?'}`,
      ...(body?.items ?? []).map((i) => `  ${i.code} ${i.certificate}: ${i.detail}`),
    ].join('\n');
  }
  return `unexpected ${d.method} ${d.path}`;
}
