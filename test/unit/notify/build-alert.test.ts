import { describe, expect, it } from 'vitest';
import type { AlertCode } from '../../../shared/notify/alert.js';
import { buildRunAlert, type ServedCertificate } from '../../../shared/notify/build-alert.js';
import type { OutcomeRecord } from '../../../shared/rotation/outcome.js';
import { DAY, NOW, record, summaryOf } from './records.js';

interface Case {
  name: string;
  records: OutcomeRecord[];
  served?: ServedCertificate[];
  warningDays?: number;
  /** `certificate:code` per item, in order; null for no alert. */
  expected: string[] | null;
}

const cases: Case[] = [
  {
    name: 'a healthy run says nothing',
    records: [record('a', 'rotated', { currentExpiresInDays: 90 }), record('b', 'not-due'), record('c', 'unchanged')],
    expected: null,
  },
  { name: 'no certificates, nothing to say', records: [], expected: null },
  { name: 'failed alerts', records: [record('a', 'failed')], expected: ['a:outcome.failed'] },
  { name: 'rolled-back alerts', records: [record('a', 'rolled-back')], expected: ['a:outcome.rolled-back'] },
  { name: 'mismatch alerts', records: [record('a', 'mismatch')], expected: ['a:outcome.mismatch'] },
  { name: 'regressed alerts', records: [record('a', 'regressed')], expected: ['a:outcome.regressed'] },
  {
    name: 'every failing certificate in one message, in run order',
    records: [record('b', 'mismatch'), record('a', 'not-due'), record('c', 'failed')],
    expected: ['b:outcome.mismatch', 'c:outcome.failed'],
  },
  {
    name: 'a not-due certificate inside the warning window alerts (a policy that renews too late)',
    records: [record('a', 'not-due', { previousExpiresInDays: 10 })],
    expected: ['a:expiry.soon'],
  },
  {
    name: 'exactly at the warning boundary alerts; a second later does not',
    records: [
      record('a', 'not-due', { previousExpiresInDays: 14 }),
      record('b', 'not-due', { previousExpiresInDays: 14 + 1 / 86_400 }),
    ],
    expected: ['a:expiry.soon'],
  },
  {
    name: 'the configured number of days is used',
    records: [record('a', 'not-due', { previousExpiresInDays: 20 })],
    warningDays: 21,
    expected: ['a:expiry.soon'],
  },
  {
    name: 'zero days warns only for expired certificates',
    records: [
      record('a', 'not-due', { previousExpiresInDays: 0.5 }),
      record('b', 'failed', { previousExpiresInDays: -1 }),
    ],
    warningDays: 0,
    expected: ['b:outcome.failed', 'b:expiry.expired'],
  },
  {
    name: 'a failed renewal of an expiring certificate gives both items',
    records: [record('a', 'failed', { previousExpiresInDays: 3 })],
    expected: ['a:outcome.failed', 'a:expiry.soon'],
  },
  {
    name: 'after a rotation the new certificate counts, not the replaced one',
    records: [record('a', 'rotated', { previousExpiresInDays: 2, currentExpiresInDays: 90 })],
    expected: null,
  },
  {
    name: 'a rotation to a certificate that itself expires soon warns',
    records: [record('a', 'rotated', { previousExpiresInDays: 2, currentExpiresInDays: 6 })],
    expected: ['a:expiry.soon'],
  },
  {
    name: 'rolled back: the previous certificate is still served',
    records: [record('a', 'rolled-back', { previousExpiresInDays: 5, currentExpiresInDays: 90 })],
    expected: ['a:outcome.rolled-back', 'a:expiry.soon'],
  },
  {
    name: 'an expired certificate is expiry.expired',
    records: [record('a', 'not-due', { previousExpiresInDays: -2 })],
    expected: ['a:expiry.expired'],
  },
  {
    name: 'first issuance failed: nothing served, no expiry item',
    records: [record('a', 'failed', { previousExpiresInDays: null })],
    expected: ['a:outcome.failed'],
  },
  {
    name: 'served list overrides the records for the certificates it names (a target drifted to an old one)',
    records: [
      record('a', 'rotated', { currentExpiresInDays: 90 }),
      record('b', 'not-due', { previousExpiresInDays: 3 }),
    ],
    served: [
      { certificate: 'a', region: 'cn-hangzhou', expireTimeStamp: NOW.getTime() + 90 * DAY, target: 'lb-1:443' },
      { certificate: 'a', region: 'cn-hangzhou', expireTimeStamp: NOW.getTime() + 4 * DAY, target: 'lb-2:443' },
    ],
    expected: ['b:expiry.soon', 'a:expiry.soon'],
  },
  {
    name: 'served list: a healthy certificate the records call expiring is not reported',
    records: [record('a', 'not-due', { previousExpiresInDays: 3 })],
    served: [{ certificate: 'a', region: 'cn-hangzhou', expireTimeStamp: NOW.getTime() + 80 * DAY }],
    expected: null,
  },
  {
    name: 'served list: one certificate on two targets is one item; nothing served is skipped',
    records: [],
    served: [
      { certificate: 'a', region: 'cn-hangzhou', expireTimeStamp: NOW.getTime() + 2 * DAY, target: 'lb-1:443' },
      { certificate: 'a', region: 'cn-hangzhou', expireTimeStamp: NOW.getTime() + 2 * DAY, target: 'lb-1:8443' },
      { certificate: 'c', region: 'cn-hangzhou', expireTimeStamp: null },
    ],
    expected: ['a:expiry.soon'],
  },
  {
    name: 'same name in two regions is two certificates',
    records: [
      record('a', 'not-due', { previousExpiresInDays: 3, region: 'cn-hangzhou' }),
      record('a', 'not-due', { previousExpiresInDays: 30, region: 'cn-shanghai' }),
    ],
    served: [{ certificate: 'a', region: 'cn-shanghai', expireTimeStamp: NOW.getTime() + 1 * DAY }],
    expected: ['a:expiry.soon', 'a:expiry.soon'],
  },
  {
    name: 'expiry items soonest first',
    records: [
      record('x', 'not-due', { previousExpiresInDays: 9 }),
      record('y', 'not-due', { previousExpiresInDays: -1 }),
      record('z', 'not-due', { previousExpiresInDays: 2 }),
    ],
    expected: ['y:expiry.expired', 'z:expiry.soon', 'x:expiry.soon'],
  },
];

describe('buildRunAlert', () => {
  it.each(cases)('$name', ({ records, served, warningDays, expected }) => {
    const alert = buildRunAlert({
      records,
      summary: summaryOf(records),
      ...(served ? { served } : {}),
      expiryWarningDays: warningDays ?? 14,
      now: NOW,
    });
    expect(alert === null ? null : alert.items.map((i) => `${i.certificate}:${i.code}`)).toEqual(expected);
  });

  it('carries the run, the clock, a title with counts, and stage/retryable/targets/days per item', () => {
    const records = [
      record('a', 'failed', { previousExpiresInDays: 3, reason: 'the CA is down' }),
      record('b', 'rotated', { currentExpiresInDays: 90 }),
    ];
    const alert = buildRunAlert({
      records,
      summary: summaryOf(records, 'http'),
      served: [
        { certificate: 'a', region: 'cn-hangzhou', expireTimeStamp: NOW.getTime() + 3 * DAY, target: 'lb-1:443' },
      ],
      expiryWarningDays: 14,
      now: NOW,
    });
    expect(alert).toEqual({
      event: 'rotation.alert',
      time: '2026-11-22T03:17:00.000Z',
      title: 'slb-cert-rotator: 1 failed, 1 expiring soon',
      run: { trigger: 'http', certificates: 2, counts: expect.objectContaining({ failed: 1, rotated: 1 }), ok: false },
      expiryWarningDays: 14,
      items: [
        {
          code: 'outcome.failed',
          certificate: 'a',
          region: 'cn-hangzhou',
          detail: 'the CA is down',
          stage: 'issue',
          retryable: true,
        },
        {
          code: 'expiry.soon',
          certificate: 'a',
          region: 'cn-hangzhou',
          detail: expect.stringContaining('expires in 3 day(s)'),
          expireTime: '2026-11-25T03:17:00.000Z',
          daysLeft: 3,
          targets: ['lb-1:443'],
        },
      ],
      watch: [],
    });
  });

  it('every code it can produce is a declared code', () => {
    const all = ['failed', 'rolled-back', 'mismatch', 'regressed'] as const;
    const records = [
      ...all.map((o) => record(o, o, { previousExpiresInDays: -1 })),
      record('soon', 'not-due', { previousExpiresInDays: 1 }),
    ];
    const alert = buildRunAlert({ records, summary: summaryOf(records), expiryWarningDays: 14, now: NOW });
    const codes = new Set(alert?.items.map((i) => i.code));
    expect([...codes].sort()).toEqual(
      (
        [
          'outcome.failed',
          'outcome.rolled-back',
          'outcome.mismatch',
          'outcome.regressed',
          'expiry.expired',
          'expiry.soon',
        ] satisfies AlertCode[]
      ).sort(),
    );
  });

  it('long reasons are clipped', () => {
    const records = [record('a', 'failed', { reason: 'x'.repeat(5000) })];
    const alert = buildRunAlert({ records, summary: summaryOf(records), expiryWarningDays: 14, now: NOW });
    expect(alert?.items[0]?.detail.length).toBeLessThanOrEqual(300);
  });
});
