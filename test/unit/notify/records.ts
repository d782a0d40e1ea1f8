import {
  OUTCOMES,
  type Outcome,
  type OutcomeRecord,
  type SummaryRecord,
  summarize,
} from '../../../shared/rotation/outcome.js';

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
  } = {},
): OutcomeRecord {
  const prev = options.previousExpiresInDays === undefined ? 60 : options.previousExpiresInDays;
  const cur = options.currentExpiresInDays === undefined ? null : options.currentExpiresInDays;
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
        : { serverCertificateId: `${certificate}-old`, fingerprint: 'aa', expireTimeStamp: NOW.getTime() + prev * DAY },
    current:
      cur === null
        ? null
        : {
            serverCertificateId: `${certificate}-new`,
            fingerprint: 'bb',
            expireTimeStamp: NOW.getTime() + cur * DAY,
            expireTime: new Date(NOW.getTime() + cur * DAY).toISOString(),
          },
    daysGained: null,
    targets: [],
    durationMs: 10,
  };
}

export function summaryOf(records: OutcomeRecord[], trigger = 'timer'): SummaryRecord {
  return summarize(records, trigger, 100);
}

export { OUTCOMES };
