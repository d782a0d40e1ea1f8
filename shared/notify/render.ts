import { parseEndpoint } from '../watch/settings.js';
import type { AlertItem, AlertMessage, WatchAlertItem } from './alert.js';

/**
 * Pure: the alert as chat markdown. DingTalk, WeCom and Feishu cards each render a different subset of markdown;
 * headings, bold and plain `- ` lines are the part all three show, so nothing else is used.
 *
 * Each platform caps the message (WeCom: 4096 bytes of markdown content; DingTalk and Feishu take more), so lines are
 * added until `maxBytes` would be exceeded and the rest is counted in a last line instead of being cut mid-word.
 */
export function renderMarkdown(message: AlertMessage, options: { maxBytes: number; heading?: boolean }): string {
  const head = options.heading === false ? [] : [`#### ${message.title}`, ''];
  const tail = ['', runLine(message)];
  const lines = [...head];
  const size = (extra: string[]) => Buffer.byteLength([...lines, ...extra].join('\n'), 'utf8');
  // Watched endpoints after the managed certificates: the rotator can act on the latter, only a person on the former.
  const all = [...message.items.map(itemLine), ...message.watch.map(watchLine)];
  for (const [i, line] of all.entries()) {
    const rest = all.length - i - 1;
    const reserve = rest > 0 ? [`- … and ${rest} more`] : [];
    if (size([line, ...reserve, ...tail]) > options.maxBytes) {
      lines.push(`- … and ${all.length - i} more`);
      break;
    }
    lines.push(line);
  }
  return [...lines, ...tail].join('\n');
}

function itemLine(item: AlertItem): string {
  const what =
    item.stage !== undefined ? `${item.code} at stage ${item.stage}${item.retryable ? ' (retryable)' : ''}` : item.code;
  const targets = item.targets?.length ? ` [${item.targets.join(', ')}]` : '';
  return `- **${item.certificate}** (${item.region}) ${what}: ${oneLine(item.detail)}${targets}`;
}

function watchLine(item: WatchAlertItem): string {
  // The SNI name defaults to the host as the configuration parsed it (lower case, no trailing dot).
  const parsed = parseEndpoint(item.endpoint);
  const sni = 'host' in parsed && item.servername === parsed.host ? '' : ` (SNI ${item.servername})`;
  return `- watched **${item.endpoint}**${sni} ${item.code}: ${oneLine(item.detail)}`;
}

function runLine(message: AlertMessage): string {
  const counts = Object.entries(message.run.counts)
    .filter(([, n]) => n > 0)
    .map(([outcome, n]) => `${outcome} ${n}`)
    .join(', ');
  return `${message.run.trigger} run at ${message.time}: ${message.run.certificates} certificate(s)${counts ? `; ${counts}` : ''}`;
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}
