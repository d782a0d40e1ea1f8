import type { AlertMessage } from '../alert.js';
import type { Notifier } from '../notifier.js';
import { renderMarkdown } from '../render.js';
import { type ChannelOptions, postToRobot } from './options.js';

// WeCom refuses markdown content over 4096 bytes (UTF-8).
const MAX_BYTES = 4096;

/**
 * WeCom (企业微信) group robot (`https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…`). The key in the URL is the
 * only credential: there is no signing. A refusal is a non-zero `errcode` (93000 for an invalid key).
 */
export class WeComNotifier implements Notifier {
  constructor(private readonly options: ChannelOptions) {}

  async send(message: AlertMessage): Promise<void> {
    const body = { msgtype: 'markdown', markdown: { content: renderMarkdown(message, { maxBytes: MAX_BYTES }) } };
    await postToRobot(this.options.url, body, this.options, 'errcode');
  }
}
