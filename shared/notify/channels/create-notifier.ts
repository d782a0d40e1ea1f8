import type { Notifier } from '../notifier.js';
import type { ChannelSettings } from '../settings.js';
import { DingTalkNotifier } from './dingtalk.js';
import { FeishuNotifier } from './feishu.js';
import type { ChannelOptions } from './options.js';
import { WebhookNotifier } from './webhook.js';
import { WeComNotifier } from './wecom.js';

/** The adapter for one configured channel. */
export function createNotifier(
  channel: ChannelSettings,
  options: Pick<ChannelOptions, 'clock' | 'timeoutMs'> = {},
): Notifier {
  const all: ChannelOptions = { ...options, url: channel.url, ...(channel.secret ? { secret: channel.secret } : {}) };
  switch (channel.type) {
    case 'dingtalk':
      return new DingTalkNotifier(all);
    case 'feishu':
      return new FeishuNotifier(all);
    case 'wecom':
      return new WeComNotifier(all);
    case 'webhook':
      return new WebhookNotifier(all);
  }
}
