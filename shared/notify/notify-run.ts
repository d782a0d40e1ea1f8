import type { Logger } from '../log/logger.js';
import type { AlertMessage } from './alert.js';
import { buildRunAlert, type RunAlertInput } from './build-alert.js';
import { createNotifier } from './channels/create-notifier.js';
import { endpointForLog } from './endpoint.js';
import { describeFailure } from './notifier.js';
import type { Notifier } from './notifier.js';
import type { AlertSettings } from './settings.js';

export interface NotifyRunInput extends Omit<RunAlertInput, 'expiryWarningDays' | 'now'> {
  /** `config.alerts`; nothing is sent without it. */
  alerts: AlertSettings | undefined;
  clock: () => Date;
  logger: Logger;
  timeoutMs?: number;
}

export interface NotifyRunResult {
  alert: AlertMessage | null;
  /** `type#index` of each channel, as in the log lines. */
  delivered: string[];
  failed: string[];
}

/**
 * Builds the run's alert and sends it to every configured channel at once. Never throws and never rejects: a
 * notification that fails is logged (channel, endpoint origin, reason) and the rotation's result stands.
 */
export async function notifyRun(input: NotifyRunInput): Promise<NotifyRunResult> {
  const { alerts, logger } = input;
  if (!alerts || alerts.channels.length === 0) return { alert: null, delivered: [], failed: [] };
  let alert: AlertMessage | null;
  try {
    alert = buildRunAlert({ ...input, expiryWarningDays: alerts.expiryWarningDays, now: input.clock() });
  } catch (err) {
    logger.error({ error: describeFailure(err) }, 'alert could not be built; no notification sent');
    return { alert: null, delivered: [], failed: alerts.channels.map((c, i) => `${c.type}#${i}`) };
  }
  if (!alert) {
    logger.debug({ channels: alerts.channels.length }, 'nothing to alert about');
    return { alert: null, delivered: [], failed: [] };
  }
  const targets = alerts.channels.map((c, i) => ({
    channel: `${c.type}#${i}`,
    endpoint: endpointForLog(c.url),
    notifier: createNotifier(c, { clock: input.clock, ...(input.timeoutMs ? { timeoutMs: input.timeoutMs } : {}) }),
  }));
  return { alert, ...(await deliver(alert, targets, logger)) };
}

export interface DeliveryTarget {
  channel: string;
  endpoint: string;
  notifier: Notifier;
}

/** Sends one alert to every target concurrently; each failure is logged, none is thrown. */
export async function deliver(
  alert: AlertMessage,
  targets: readonly DeliveryTarget[],
  logger: Logger,
): Promise<Omit<NotifyRunResult, 'alert'>> {
  const results = await Promise.allSettled(
    targets.map(async (t) => {
      // Inside the async function, so a notifier that throws synchronously is a rejection like any other.
      await t.notifier.send(alert);
    }),
  );
  const delivered: string[] = [];
  const failed: string[] = [];
  results.forEach((r, i) => {
    const { channel, endpoint } = targets[i] as DeliveryTarget;
    const codes = alert.items.map((item) => item.code);
    if (r.status === 'fulfilled') {
      delivered.push(channel);
      logger.info({ event: 'notify.sent', channel, endpoint, codes }, 'alert sent');
    } else {
      failed.push(channel);
      logger.error(
        { event: 'notify.failed', channel, endpoint, codes, error: describeFailure(r.reason) },
        'alert not delivered',
      );
    }
  });
  return { delivered, failed };
}
