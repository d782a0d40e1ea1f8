import { createHmac } from 'node:crypto';
import type { AlertMessage } from '../alert.js';
import type { Notifier } from '../notifier.js';
import { renderMarkdown } from '../render.js';
import { type ChannelOptions, postToRobot } from './options.js';

// DingTalk documents 20000 bytes for a robot message; keep a margin for the JSON around it.
const MAX_BYTES = 18_000;

/**
 * DingTalk custom robot (`https://oapi.dingtalk.com/robot/send?access_token=…`). With "加签" (signing) enabled the
 * robot wants `timestamp` (ms) and `sign = urlEncode(base64(HMAC-SHA256(key = secret, "{timestamp}\n{secret}")))`
 * in the query, and refuses timestamps more than an hour off with errcode 310000.
 */
export class DingTalkNotifier implements Notifier {
  constructor(private readonly options: ChannelOptions) {}

  async send(message: AlertMessage): Promise<void> {
    const url = new URL(this.options.url);
    if (this.options.secret) {
      const timestamp = String((this.options.clock?.() ?? new Date()).getTime());
      url.searchParams.set('timestamp', timestamp);
      // URLSearchParams percent-encodes the base64 alphabet's + / = as DingTalk requires.
      url.searchParams.set('sign', dingTalkSign(this.options.secret, timestamp));
    }
    const body = {
      msgtype: 'markdown',
      markdown: { title: message.title, text: renderMarkdown(message, { maxBytes: MAX_BYTES }) },
    };
    await postToRobot(url.toString(), body, this.options, 'errcode');
  }
}

export function dingTalkSign(secret: string, timestamp: string): string {
  return createHmac('sha256', secret).update(`${timestamp}\n${secret}`, 'utf8').digest('base64');
}
