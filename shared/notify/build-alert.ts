import { daysBetween } from '../policy/compare.js';
import type { OutcomeRecord, SummaryRecord } from '../rotation/outcome.js';
import type { WatchStatus } from '../status/types.js';
import {
  ALERTING_OUTCOMES,
  clipDetail,
  type AlertCode,
  type AlertItem,
  type AlertMessage,
  type WatchAlertCode,
  type WatchAlertItem,
} from './alert.js';
import { watchAlertItems } from './watch-items.js';

/** A certificate a target serves now, as the status report or the run's gather saw it. */
export interface ServedCertificate {
  certificate: string;
  region: string;
  /** notAfter in epoch milliseconds (SLB's `ExpireTimeStamp`); null when nothing is served. */
  expireTimeStamp: number | null;
  /** The target that serves it (`lb-…:443`), when known. */
  target?: string;
}

export interface RunAlertInput {
  records: readonly OutcomeRecord[];
  summary: SummaryRecord;
  /**
   * What the targets serve now. For the certificates named here this list is the truth about expiry; for the others
   * the records say it: the new certificate after `rotated`, the one in use before the run otherwise.
   */
  served?: readonly ServedCertificate[];
  /** This run's check of the `watch` list; each endpoint that is not `ok` is part of the alert. */
  watch?: readonly WatchStatus[];
  expiryWarningDays: number;
  now: Date;
}

const DAY_MS = 86_400_000;

/**
 * Pure: the run's one alert, or null when there is nothing to say. A run alerts when any certificate `failed`,
 * `rolled-back`, `mismatch`ed or `regressed`, or when any served certificate expires within `expiryWarningDays`,
 * whatever the reason (a rotation that keeps being "not due" because of a bad policy still warns in time), or
 * when a watched endpoint is anything but `ok`.
 */
export function buildRunAlert(input: RunAlertInput): AlertMessage | null {
  const outcomeItems: AlertItem[] = [];
  for (const r of input.records) {
    if (!(ALERTING_OUTCOMES as readonly string[]).includes(r.outcome)) continue;
    outcomeItems.push({
      code: `outcome.${r.outcome}` as AlertCode,
      certificate: r.certificate,
      region: r.region,
      detail: clipDetail(r.reason),
      ...(r.stage !== undefined ? { stage: r.stage } : {}),
      ...(r.retryable !== undefined ? { retryable: r.retryable } : {}),
    });
  }

  const expiryItems = expiringServed(input).sort(
    (a, b) => (a.daysLeft ?? 0) - (b.daysLeft ?? 0) || a.certificate.localeCompare(b.certificate),
  );
  const items = [...outcomeItems, ...expiryItems];
  const watch = watchAlertItems(input.watch ?? []);
  if (items.length === 0 && watch.length === 0) return null;

  const { summary } = input;
  return {
    event: 'rotation.alert',
    time: input.now.toISOString(),
    title: titleOf(items, watch),
    run: { trigger: summary.trigger, certificates: summary.certificates, counts: summary.counts, ok: summary.ok },
    expiryWarningDays: input.expiryWarningDays,
    items,
    watch,
  };
}

function expiringServed(input: RunAlertInput): AlertItem[] {
  const now = input.now.getTime();
  const listed = new Set((input.served ?? []).map((s) => key(s.certificate, s.region)));
  const served: ServedCertificate[] = [...(input.served ?? [])];
  for (const r of input.records) {
    if (listed.has(key(r.certificate, r.region))) continue;
    const inUse = r.outcome === 'rotated' ? r.current : r.previous;
    if (inUse) served.push({ certificate: r.certificate, region: r.region, expireTimeStamp: inUse.expireTimeStamp });
  }

  // Several targets may serve the same certificate: one item per certificate and expiry, listing the targets.
  const byExpiry = new Map<string, AlertItem>();
  for (const s of served) {
    if (s.expireTimeStamp === null || !Number.isFinite(s.expireTimeStamp)) continue;
    if (s.expireTimeStamp - now > input.expiryWarningDays * DAY_MS) continue;
    const id = `${key(s.certificate, s.region)}\u0000${s.expireTimeStamp}`;
    let item = byExpiry.get(id);
    if (!item) {
      const expired = s.expireTimeStamp <= now;
      const daysLeft = daysBetween(now, s.expireTimeStamp);
      const expireTime = new Date(s.expireTimeStamp).toISOString();
      item = {
        code: expired ? 'expiry.expired' : 'expiry.soon',
        certificate: s.certificate,
        region: s.region,
        detail: expired
          ? `the served certificate expired ${-daysLeft} day(s) ago (${expireTime})`
          : `the served certificate expires in ${daysLeft} day(s) (${expireTime}); warning at ${input.expiryWarningDays}`,
        expireTime,
        daysLeft,
      };
      byExpiry.set(id, item);
    }
    if (s.target !== undefined) item.targets = [...(item.targets ?? []), s.target];
  }
  return [...byExpiry.values()];
}

const TITLE_WORDS: Record<AlertCode | WatchAlertCode, string> = {
  'outcome.failed': 'failed',
  'outcome.rolled-back': 'rolled back',
  'outcome.mismatch': 'mismatch',
  'outcome.regressed': 'regressed',
  'expiry.expired': 'expired',
  'expiry.soon': 'expiring soon',
  'watch.expired': 'watched expired',
  'watch.invalid': 'watched invalid',
  'watch.unreachable': 'watched unreachable',
  'watch.expiring': 'watched expiring',
};

function titleOf(items: readonly AlertItem[], watch: readonly WatchAlertItem[]): string {
  const counts = new Map<AlertCode | WatchAlertCode, number>();
  for (const i of [...items, ...watch]) counts.set(i.code, (counts.get(i.code) ?? 0) + 1);
  const parts = [...counts].map(([code, n]) => `${n} ${TITLE_WORDS[code]}`);
  return `slb-cert-rotator: ${parts.join(', ')}`;
}

function key(certificate: string, region: string): string {
  return `${certificate}\u0000${region}`;
}
