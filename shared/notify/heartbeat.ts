import type { Logger } from '../log/logger.js';
import { endpointForLog } from './endpoint.js';
import { DEFAULT_TIMEOUT_MS, request } from './http.js';
import { describeFailure } from './notifier.js';
import type { HeartbeatSettings } from './settings.js';

export interface HeartbeatInput {
  /** `config.heartbeat`; nothing is sent without it. */
  heartbeat: HeartbeatSettings | undefined;
  /** The run's `summary.ok`: false pings the failure URL. */
  ok: boolean;
  logger: Logger;
  timeoutMs?: number;
}

export type HeartbeatResult = 'sent' | 'failed' | 'skipped';

/**
 * The dead-man's switch: after every completed run, a GET to the monitor (healthchecks.io, Better Stack, Uptime
 * Kuma push). The monitor alerts when the pings stop, which is the one failure the run cannot report itself: the
 * function not running at all. Never throws: a failed ping is logged and the run's result stands.
 */
export async function sendHeartbeat(input: HeartbeatInput): Promise<HeartbeatResult> {
  const { heartbeat, logger } = input;
  if (!heartbeat) return 'skipped';
  const url = input.ok ? heartbeat.url : (heartbeat.failUrl ?? failUrlOf(heartbeat.url));
  const endpoint = endpointForLog(url);
  try {
    await request(url, {
      method: 'GET',
      timeoutMs: input.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      secrets: [heartbeat.url, ...(heartbeat.failUrl ? [heartbeat.failUrl] : []), ...lastSegments(heartbeat)],
    });
    logger.info({ event: 'heartbeat.sent', endpoint, ok: input.ok }, 'heartbeat sent');
    return 'sent';
  } catch (err) {
    logger.error(
      { event: 'heartbeat.failed', endpoint, ok: input.ok, error: describeFailure(err) },
      'heartbeat not delivered',
    );
    return 'failed';
  }
}

/** healthchecks.io and Better Stack: the same URL with `/fail` appended to the path (a query stays a query). */
export function failUrlOf(url: string): string {
  const u = new URL(url);
  u.pathname = `${u.pathname.replace(/\/+$/, '')}/fail`;
  return u.toString();
}

function lastSegments(h: HeartbeatSettings): string[] {
  return [h.url, h.failUrl]
    .filter((u): u is string => u !== undefined)
    .map((u) => new URL(u).pathname.split('/').filter(Boolean).pop() ?? '')
    .filter((s) => s.length >= 8);
}
