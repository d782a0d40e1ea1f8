import { createHmac } from 'node:crypto';
import type { AlertMessage } from '../alert.js';
import { DEFAULT_TIMEOUT_MS, request } from '../http.js';
import type { Notifier } from '../notifier.js';
import { type ChannelOptions, secretsOf } from './options.js';

export const SIGNATURE_HEADER = 'x-signature';

/**
 * A generic JSON webhook: the alert object itself as the body. With a secret, `X-Signature: sha256=<hex>` carries
 * HMAC-SHA256(secret, raw body bytes), the GitHub convention, so a receiver can check it before parsing. Any 2xx is
 * a delivery.
 */
export class WebhookNotifier implements Notifier {
  constructor(private readonly options: ChannelOptions) {}

  async send(message: AlertMessage): Promise<void> {
    const body = JSON.stringify(message);
    const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8' };
    if (this.options.secret) headers[SIGNATURE_HEADER] = webhookSignature(this.options.secret, body);
    await request(this.options.url, {
      method: 'POST',
      body,
      headers,
      timeoutMs: this.options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      secrets: secretsOf(this.options),
    });
  }
}

export function webhookSignature(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body, 'utf8').digest('hex')}`;
}
