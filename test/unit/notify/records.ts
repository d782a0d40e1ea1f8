import { type Outcome, type OutcomeRecord, type SummaryRecord, summarize } from '../../../shared/rotation/outcome.js';

export const NOW = new Date('2026-11-22T03:17:00.000Z');
export const DAY = 86_400_000;

/** An outcome record as the rotation writes it, with the expiry of what is in use before and after. */
export function record(
  certificate: string,
  outcome: Outcome,
  options: {
    previousExpiresInDays?: number | null;
    currentExpiresInDays?: number | null;
    reason?: string;
    region?: string;
    /** The instant the expiry days count from (default NOW). */
    now?: Date;
  } = {},
): OutcomeRecord {
  const prev = options.previousExpiresInDays === undefined ? 60 : options.previousExpiresInDays;
  const cur = options.currentExpiresInDays === undefined ? null : options.currentExpiresInDays;
  const now = (options.now ?? NOW).getTime();
  return {
    event: 'rotation.outcome',
    certificate,
    region: options.region ?? 'cn-hangzhou',
    domains: [`${certificate}.example.com`],
    outcome,
    reason: options.reason ?? `${outcome} because of a test`,
    ...(outcome === 'failed' || outcome === 'rolled-back' ? { stage: 'issue' as const, retryable: true } : {}),
    previous:
      prev === null
        ? null
        : { serverCertificateId: `${certificate}-old`, fingerprint: 'aa', expireTimeStamp: now + prev * DAY },
    current:
      cur === null
        ? null
        : {
            serverCertificateId: `${certificate}-new`,
            fingerprint: 'bb',
            expireTimeStamp: now + cur * DAY,
            expireTime: new Date(now + cur * DAY).toISOString(),
          },
    daysGained: null,
    targets: [],
    durationMs: 10,
  };
}

export function summaryOf(records: OutcomeRecord[], trigger = 'timer'): SummaryRecord {
  return summarize(records, trigger, 100);
}
