import { describe, expect, it } from 'vitest';
import { buildRunAlert } from '../../../shared/notify/build-alert.js';
import { renderMarkdown } from '../../../shared/notify/render.js';
import { watchAlertItems } from '../../../shared/notify/watch-items.js';
import type { WatchStatus } from '../../../shared/status/types.js';
import { NOW, record, summaryOf } from './records.js';

function watched(state: WatchStatus['state'], overrides: Partial<WatchStatus> = {}): WatchStatus {
  const reachable = state !== 'unreachable';
  return {
    endpoint: 'partner.example.net:443',
    servername: 'partner.example.net',
    state,
    reason: `${state} because of a test`,
    expireTime: reachable ? '2026-12-01T00:00:00.000Z' : null,
    daysLeft: reachable ? 8.87 : null,
    names: reachable ? ['partner.example.net'] : [],
    issuer: reachable ? 'CN=Test CA' : null,
    ...overrides,
  };
}

describe('watchAlertItems: each watch state → alert or not', () => {
  const cases: [WatchStatus['state'], string | null][] = [
    ['ok', null],
    ['expiring', 'watch.expiring'],
    ['expired', 'watch.expired'],
    ['invalid', 'watch.invalid'],
    ['unreachable', 'watch.unreachable'],
  ];
  it.each(cases)('%s → %s', (state, code) => {
    const items = watchAlertItems([watched(state)]);
    if (code === null) {
      expect(items).toEqual([]);
      return;
    }
    expect(items).toEqual([
      {
        code,
        endpoint: 'partner.example.net:443',
        servername: 'partner.example.net',
        state,
        detail: `${state} because of a test`,
        expireTime: state === 'unreachable' ? null : '2026-12-01T00:00:00.000Z',
        daysLeft: state === 'unreachable' ? null : 8.87,
      },
    ]);
  });

  it('keeps the order of the watch list and clips a long reason', () => {
    const items = watchAlertItems([
      watched('unreachable', { endpoint: 'b:443' }),
      watched('ok', { endpoint: 'c:443' }),
      watched('invalid', { endpoint: 'a:443', reason: 'x'.repeat(1000) }),
    ]);
    expect(items.map((i) => i.endpoint)).toEqual(['b:443', 'a:443']);
    expect(items[1]!.detail).toHaveLength(300);
    expect(items[1]!.detail.endsWith('…')).toBe(true);
  });
});

describe('buildRunAlert with a watch list', () => {
  const healthy = [record('shop', 'not-due', { previousExpiresInDays: 60 })];

  it('a healthy run with every watched endpoint ok says nothing', () => {
    expect(
      buildRunAlert({
        records: healthy,
        summary: summaryOf(healthy),
        watch: [watched('ok')],
        expiryWarningDays: 14,
        now: NOW,
      }),
    ).toBeNull();
  });

  it.each(['unreachable', 'invalid', 'expired', 'expiring'] as const)(
    'a healthy run with one %s watched endpoint alerts, the run still ok',
    (state) => {
      const alert = buildRunAlert({
        records: healthy,
        summary: summaryOf(healthy),
        watch: [watched('ok', { endpoint: 'fine:443' }), watched(state)],
        expiryWarningDays: 14,
        now: NOW,
      });
      expect(alert).not.toBeNull();
      expect(alert!.items).toEqual([]);
      expect(alert!.watch.map((w) => [w.code, w.endpoint])).toEqual([[`watch.${state}`, 'partner.example.net:443']]);
      expect(alert!.run.ok).toBe(true);
      expect(alert!.title).toBe(`slb-cert-rotator: 1 watched ${state}`);
    },
  );

  it('watch problems join the managed items in the one message and its title', () => {
    const records = [record('shop', 'failed', { previousExpiresInDays: 60 })];
    const alert = buildRunAlert({
      records,
      summary: summaryOf(records),
      watch: [watched('unreachable', { endpoint: 'x:443' }), watched('unreachable', { endpoint: 'y:443' })],
      expiryWarningDays: 14,
      now: NOW,
    })!;
    expect(alert.items.map((i) => i.code)).toEqual(['outcome.failed']);
    expect(alert.watch.map((w) => w.endpoint)).toEqual(['x:443', 'y:443']);
    expect(alert.title).toBe('slb-cert-rotator: 1 failed, 2 watched unreachable');
  });

  it('without a watch list the field is an empty list', () => {
    const records = [record('shop', 'failed')];
    expect(buildRunAlert({ records, summary: summaryOf(records), expiryWarningDays: 14, now: NOW })!.watch).toEqual([]);
  });
});

describe('renderMarkdown with watch problems', () => {
  it('one line per watched endpoint after the certificates, the SNI only when it is not the host', () => {
    const records = [record('shop', 'failed')];
    const alert = buildRunAlert({
      records,
      summary: summaryOf(records),
      watch: [
        watched('unreachable', { reason: 'connection refused (ECONNREFUSED)' }),
        watched('invalid', { endpoint: '10.0.0.7:8443', servername: 'intranet.example.org', reason: 'bad\nchain' }),
        // The default SNI name is the host as parsed: lower case, no trailing dot.
        watched('expired', { endpoint: 'Partner.Example.NET.:443', reason: 'expired' }),
        watched('expired', { endpoint: '[2001:DB8::1]:443', servername: '2001:db8::1', reason: 'expired' }),
      ],
      expiryWarningDays: 14,
      now: NOW,
    })!;
    const lines = renderMarkdown(alert, { maxBytes: 4096 }).split('\n');
    expect(lines.slice(2, 7)).toEqual([
      expect.stringMatching(/^- \*\*shop\*\* /),
      '- watched **partner.example.net:443** watch.unreachable: connection refused (ECONNREFUSED)',
      '- watched **10.0.0.7:8443** (SNI intranet.example.org) watch.invalid: bad chain',
      '- watched **Partner.Example.NET.:443** watch.expired: expired',
      '- watched **[2001:DB8::1]:443** watch.expired: expired',
    ]);
  });

  it('watch lines count towards the size limit and the "more" line', () => {
    const list = Array.from({ length: 100 }, (_, i) =>
      watched('unreachable', { endpoint: `host-${i}.example.net:443`, reason: 'y'.repeat(100) }),
    );
    const alert = buildRunAlert({
      records: [],
      summary: summaryOf([]),
      watch: list,
      expiryWarningDays: 14,
      now: NOW,
    })!;
    const text = renderMarkdown(alert, { maxBytes: 1000 });
    expect(Buffer.byteLength(text, 'utf8')).toBeLessThanOrEqual(1000);
    const shown = text.split('\n').filter((l) => l.startsWith('- watched')).length;
    expect(shown).toBeGreaterThan(0);
    expect(text).toContain(`- … and ${100 - shown} more`);
  });
});
