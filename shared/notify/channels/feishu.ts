import { createHmac } from 'node:crypto';
import type { AlertMessage } from '../alert.js';
import type { Notifier } from '../notifier.js';
import { renderMarkdown } from '../render.js';
import { type ChannelOptions, postToRobot } from './options.js';

// Feishu caps a robot request at 20 KB; keep a margin for the card around the text.
const MAX_BYTES = 18_000;

/**
 * Feishu / Lark custom robot (`https://open.feishu.cn/open-apis/bot/v2/hook/<token>`, Lark:
 * `open.larksuite.com`). With signature verification enabled the body carries `timestamp` (seconds, as a string) and
 * `sign = base64(HMAC-SHA256(key = "{timestamp}\n{secret}", message = empty))`: the reverse of DingTalk's roles.
 * A refusal is a non-zero `code` (19021 for a wrong signature or a timestamp more than an hour off).
 */
export class FeishuNotifier implements Notifier {
  constructor(private readonly options: ChannelOptions) {}

  async send(message: AlertMessage): Promise<void> {
    const signature = this.options.secret
      ? (() => {
          const timestamp = String(Math.floor((this.options.clock?.() ?? new Date()).getTime() / 1000));
          return { timestamp, sign: feishuSign(this.options.secret, timestamp) };
        })()
      : {};
    const body = {
      ...signature,
      msg_type: 'interactive',
      card: {
        config: { wide_screen_mode: true },
        header: {
          template:
            message.items.some((i) => i.code !== 'expiry.soon') ||
            message.watch.some((w) => w.code !== 'watch.expiring')
              ? 'red'
              : 'orange',
          title: { tag: 'plain_text', content: message.title },
        },
        elements: [{ tag: 'markdown', content: renderMarkdown(message, { maxBytes: MAX_BYTES, heading: false }) }],
      },
    };
    await postToRobot(this.options.url, body, this.options, 'code');
  }
}

export function feishuSign(secret: string, timestamp: string): string {
  return createHmac('sha256', `${timestamp}\n${secret}`).update('').digest('base64');
}
