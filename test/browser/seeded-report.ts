import type { CertificateStatus, StatusReport, WatchStatus } from '../../shared/status/types.js';

/**
 * A StatusReport shaped like the sandbox's: certificate ids with the emulator's account prefix, `lb-…` load
 * balancers, one managed certificate in each state and one watched endpoint in each state, all relative to a fixed
 * clock so the page renders the same every time.
 */
export const SEEDED_NOW = Date.parse('2026-11-30T12:00:00.000Z');
const DAY = 86_400_000;
const ACCOUNT = '1231579085529123';

function certificate(
  name: string,
  state: CertificateStatus['state'],
  code: string,
  reason: string,
  daysLeft: number,
  extra: Partial<CertificateStatus> = {},
): CertificateStatus {
  const lifetimeDays = 90;
  const expireTimeStamp = SEEDED_NOW + Math.round(daysLeft * DAY);
  const id = `${ACCOUNT}_${name}-${(expireTimeStamp / 1000).toString(16)}`;
  return {
    certificate: name,
    region: 'cn-hangzhou',
    domains: [`${name}.example.com`, `*.${name}.example.com`],
    state,
    code,
    reason,
    serverCertificateId: id,
    fingerprint: 'a1:b2:c3:d4:e5:f6:07:18:29:3a:4b:5c:6d:7e:8f:90:01:12:23:34',
    expireTime: new Date(expireTimeStamp).toISOString(),
    expireTimeStamp,
    daysLeft,
    lifetimeDays,
    renewAt: new Date(expireTimeStamp - 30 * DAY).toISOString(),
    targets: [{ target: 'lb-bp1seeded0001:443', kind: 'listener', serverCertificateId: id, servesManaged: true }],
    ...extra,
  };
}

function watched(
  endpoint: string,
  state: WatchStatus['state'],
  reason: string,
  daysLeft: number | null,
  extra: Partial<WatchStatus> = {},
): WatchStatus {
  const servername = endpoint.split(':')[0] ?? endpoint;
  return {
    endpoint,
    servername,
    state,
    reason,
    expireTime: daysLeft === null ? null : new Date(SEEDED_NOW + daysLeft * DAY).toISOString(),
    daysLeft,
    names: daysLeft === null ? [] : [servername],
    issuer: daysLeft === null ? null : 'CN=Test Intermediate',
    ...extra,
  };
}

export function seededReport(): StatusReport {
  return {
    event: 'rotation.status',
    generatedAt: new Date(SEEDED_NOW).toISOString(),
    certificates: [
      certificate('shop', 'ok', 'ok.window', 'served everywhere; renews in 42 days', 72.4, {
        targets: [
          {
            target: 'lb-bp1seeded0001:443',
            kind: 'listener',
            serverCertificateId: `${ACCOUNT}_shop-1`,
            servesManaged: true,
            wire: 'verified',
          },
          {
            target: 'lb-bp1seeded0001:443/shop.example.com(de-bp1ext0001)',
            kind: 'domain-extension',
            serverCertificateId: `${ACCOUNT}_shop-1`,
            servesManaged: true,
          },
        ],
      }),
      certificate(
        'blog',
        'due',
        'due.window',
        'inside the renewal window since 2026-11-27; the next run renews it',
        27,
      ),
      certificate('api', 'overdue', 'overdue.grace', 'due for 9 days: the rotation is failing', 21),
      certificate('legacy', 'expired', 'expired.notAfter', 'the certificate in use expired 2 days ago', -2),
      certificate('docs', 'drift', 'drift.target', 'lb-bp1seeded0002:443 serves another certificate', 55, {
        targets: [
          {
            target: 'lb-bp1seeded0002:443',
            kind: 'listener',
            serverCertificateId: `${ACCOUNT}_handmade-7`,
            servesManaged: false,
          },
        ],
      }),
      certificate('edge', 'unreachable', 'unreachable.wire', 'the wire check could not connect to a target', 64, {
        targets: [
          {
            target: 'lb-bp1seeded0003:443',
            kind: 'listener',
            serverCertificateId: `${ACCOUNT}_edge-1`,
            servesManaged: true,
            wire: 'unreachable',
            wireDetail: 'TLS to 10.0.0.7:443 timed out after 5000 ms (ETIMEDOUT)',
          },
        ],
      }),
      {
        certificate: 'fresh',
        region: 'cn-shanghai',
        domains: ['fresh.example.com'],
        state: 'due',
        code: 'due.none',
        reason: 'no certificate uploaded yet',
        serverCertificateId: null,
        fingerprint: null,
        expireTime: null,
        expireTimeStamp: null,
        daysLeft: null,
        lifetimeDays: null,
        renewAt: null,
        targets: [],
      },
    ],
    watch: [
      watched('partner.example.net:443', 'ok', 'valid for 80 days', 80),
      watched('intranet.example.org:8443', 'expiring', 'expires in 6 days (warning at 14)', 6),
      watched('old.example.org:443', 'expired', 'expired 3 days ago', -3),
      watched('wrong.example.org:443', 'invalid', 'the certificate does not cover wrong.example.org', 40),
      watched('down.example.org:443', 'unreachable', 'connect ECONNREFUSED', null),
    ],
  };
}
