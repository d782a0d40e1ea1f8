import type { Outcome } from '../rotation/outcome.js';
import type { Stage } from '../errors.js';
import type { WatchStatus } from '../status/types.js';

/**
 * The one message a run sends when something needs a person. Field names and codes are a contract: the generic
 * webhook receives this object as JSON, and receivers route on `items[].code`.
 */
export const ALERT_CODES = [
  'outcome.failed',
  'outcome.rolled-back',
  'outcome.mismatch',
  'outcome.regressed',
  'expiry.soon',
  'expiry.expired',
] as const;
export type AlertCode = (typeof ALERT_CODES)[number];

/** An item's `detail` is at most this long: a reason can hold a whole API error, and chat messages are capped. */
export const MAX_DETAIL = 300;

export function clipDetail(text: string): string {
  return text.length <= MAX_DETAIL ? text : `${text.slice(0, MAX_DETAIL - 1)}…`;
}

/** The outcomes that always alert, whatever the expiry. */
export const ALERTING_OUTCOMES = ['failed', 'rolled-back', 'mismatch', 'regressed'] as const satisfies Outcome[];

export interface AlertItem {
  code: AlertCode;
  certificate: string;
  region: string;
  /** What happened, in words (the outcome's reason, or the days left). */
  detail: string;
  /** For `outcome.failed` and `outcome.rolled-back`. */
  stage?: Stage;
  retryable?: boolean;
  /** For `expiry.*`: the served certificate's notAfter (ISO-8601) and days left (negative once expired). */
  expireTime?: string;
  daysLeft?: number;
  /** For `expiry.*`: the targets that serve it, when known. */
  targets?: string[];
}

/**
 * A watched endpoint (`watch[]`) that needs a person: the rotator does not manage it, so it is listed apart from
 * the managed certificates' items, with its own codes, one per state other than `ok`.
 */
export const WATCH_ALERT_CODES = ['watch.expired', 'watch.invalid', 'watch.unreachable', 'watch.expiring'] as const;
export type WatchAlertCode = (typeof WATCH_ALERT_CODES)[number];

export interface WatchAlertItem {
  code: WatchAlertCode;
  /** `host:port` as configured. */
  endpoint: string;
  servername: string;
  state: Exclude<WatchStatus['state'], 'ok'>;
  /** Every problem found, in words (the check's reason). */
  detail: string;
  /** notAfter of the certificate the endpoint served (ISO-8601); null when none was read (unreachable). */
  expireTime: string | null;
  daysLeft: number | null;
}

export interface AlertMessage {
  event: 'rotation.alert';
  /** ISO-8601: when the alert was built (the run's clock). */
  time: string;
  /** One line for a notification title: the counts by code. */
  title: string;
  /** The run, as in its `rotation.summary` record. */
  run: {
    trigger: string;
    certificates: number;
    counts: Record<Outcome, number>;
    ok: boolean;
  };
  /** Days of warning configured (`alerts.expiryWarningDays`). */
  expiryWarningDays: number;
  /** Outcome items first (in the order of the run), then expiry items (soonest first). */
  items: AlertItem[];
  /** Watched endpoints with a problem, in the order of the `watch` list; empty when there is none. */
  watch: WatchAlertItem[];
}
