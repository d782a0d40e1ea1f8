import { afterEach, describe, expect, it, vi } from 'vitest';
import { escapeHtml, renderStatusPage, STATUS_PAGE_CSP } from '../../../shared/status/page.js';
import type { CertificateStatus, StatusReport } from '../../../shared/status/types.js';
import { seededReport } from '../../browser/seeded-report.js';

/** Every tag the page itself writes; anything else in the output came in through a value. */
const PAGE_TAGS = new Set(
  'html head meta title style body header h1 h2 div time main section ul li span strong code p table thead tbody tr th td'.split(
    ' ',
  ),
);

const PAGE_ATTRIBUTES = [
  'lang',
  'charset',
  'http-equiv',
  'name',
  'content',
  'class',
  'style',
  'id',
  'datetime',
  'role',
  'aria-label',
  'aria-hidden',
  'aria-labelledby',
  'data-label',
  'scope',
];

function tagsOf(html: string): Set<string> {
  return new Set([...html.matchAll(/<\/?([a-zA-Z][a-zA-Z0-9-]*)/g)].map((m) => m[1]!.toLowerCase()));
}

const HOSTILE = `<script>alert(1)</script><img src=x onerror=alert(2)>"'><a href="https://evil.example/">&amp;`;

function hostileReport(): StatusReport {
  const h = (field: string) => `${HOSTILE}#${field}`;
  const certificate = {
    certificate: h('certificate'),
    region: h('region'),
    domains: [h('domain0'), h('domain1')],
    state: h('state'),
    code: h('code'),
    reason: h('reason'),
    serverCertificateId: h('serverCertificateId'),
    fingerprint: h('fingerprint'),
    expireTime: h('expireTime'),
    expireTimeStamp: Number.NaN,
    daysLeft: 12,
    lifetimeDays: 90,
    renewAt: h('renewAt'),
    targets: [
      {
        target: h('target'),
        kind: h('kind'),
        serverCertificateId: h('targetCertificateId'),
        servesManaged: false,
        wire: h('wire'),
        wireDetail: h('wireDetail'),
      },
    ],
  } as unknown as CertificateStatus;
  return {
    event: 'rotation.status',
    generatedAt: h('generatedAt'),
    certificates: [certificate],
    watch: [
      {
        endpoint: h('endpoint'),
        servername: h('servername'),
        state: h('watchState') as 'ok',
        reason: h('watchReason'),
        expireTime: h('watchExpireTime'),
        daysLeft: 3,
        names: [h('name0')],
        issuer: h('issuer'),
      },
    ],
  };
}

describe('renderStatusPage', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('escapes hostile text in every field, so no value adds a tag, an attribute or a URL', () => {
    const html = renderStatusPage(hostileReport(), { title: h0('title') });
    const foreign = [...tagsOf(html)].filter((t) => !PAGE_TAGS.has(t));
    expect(foreign).toEqual([]);
    // Every tag is well formed and carries only the page's own attributes, each with a quoted value.
    const tags = [...html.matchAll(/<[a-zA-Z][^>]*>/g)].map((m) => m[0]);
    expect(tags.length).toBeGreaterThan(50);
    for (const tag of tags) {
      expect(tag).toMatch(/^<[a-z0-9]+(\s[a-z-]+="[^"<>]*")*>$/);
      for (const [, name] of tag.matchAll(/\s([a-z-]+)="/g)) expect(PAGE_ATTRIBUTES, tag).toContain(name);
    }
    // Each hostile value shows up, escaped, at its place: nothing was silently dropped either.
    const escaped = escapeHtml(HOSTILE);
    for (const field of [
      'title',
      'certificate',
      'region',
      'domain0',
      'domain1',
      'state',
      'code',
      'reason',
      'serverCertificateId',
      'expireTime',
      'renewAt',
      'target',
      'targetCertificateId',
      'wire',
      'wireDetail',
      'generatedAt',
      'endpoint',
      'servername',
      'watchState',
      'watchReason',
      'watchExpireTime',
      'name0',
      'issuer',
    ]) {
      expect(html, field).toContain(`${escaped}#${field}`);
    }
    // Attribute values cannot be closed early: every quote in the output belongs to the page's own attributes.
    expect(html).not.toContain(`"'>`);
  });

  function h0(field: string): string {
    return `${HOSTILE}#${field}`;
  }

  it('forbids everything external with a CSP meta and references no URL at all', () => {
    const html = renderStatusPage(seededReport());
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]*)">/.exec(html)?.[1];
    expect(csp?.replace(/&#39;/g, "'")).toBe(STATUS_PAGE_CSP);
    expect(STATUS_PAGE_CSP).toMatch(/^default-src 'none';/);
    expect(STATUS_PAGE_CSP).not.toMatch(/script-src|https?:|\*/);
    // The CSP must come before anything that could load.
    expect(html.indexOf('Content-Security-Policy')).toBeLessThan(html.indexOf('<style>'));
    expect(html).toContain('<meta name="viewport" content="width=device-width, initial-scale=1">');
    expect(html).not.toMatch(/https?:|\/\/[a-z]|url\(|@import|<script|<link|<img|<iframe/i);
  });

  it('shows every certificate with its state label, days left and targets, worst first', () => {
    const report = seededReport();
    const html = renderStatusPage(report);
    const rows = html.split('<tr class="row ').slice(1);
    expect(rows).toHaveLength(report.certificates.length + report.watch.length);
    const certRows = rows.slice(0, report.certificates.length);
    const order = certRows.map((r) => /<strong>([^<]*)<\/strong>/.exec(r)?.[1]);
    expect(order).toEqual(['legacy', 'api', 'docs', 'edge', 'blog', 'fresh', 'shop']);
    const labels = certRows.map((r) => /<\/span> ([^<]*)<\/span>/.exec(r)?.[1]);
    expect(labels).toEqual(['Expired', 'Overdue', 'Drift', 'Unreachable', 'Due', 'Due', 'OK']);
    for (const [i, text] of [
      'expired 2.0 days ago',
      '21 days left',
      '55 days left',
      '64 days left',
      '27 days left',
      '—',
      '72 days left',
    ].entries()) {
      expect(certRows[i], text).toContain(`<div class="days">${text}</div>`);
    }
    expect(html).toContain('lb-bp1seeded0001:443/shop.example.com(de-bp1ext0001)');
    expect(html).toContain('serves another certificate: 1231579085529123_handmade-7');
    expect(html).toContain('wire: unreachable');
    expect(html).toContain('TLS to 10.0.0.7:443 timed out after 5000 ms (ETIMEDOUT)');
    expect(html).toContain('Generated <time datetime="2026-11-30T12:00:00.000Z">2026-11-30 12:00 UTC</time>');
  });

  it('scales the days-left bar to the lifetime and marks the renewal point', () => {
    const report = seededReport();
    const html = renderStatusPage(report);
    const rowOf = (name: string) => html.split('<tr class="row ').find((r) => r.includes(`<strong>${name}</strong>`))!;
    // 27 of 90 days: 30 %; renewal 30 days before expiry: 33.3 %.
    expect(rowOf('blog')).toContain('<span class="fill" style="width:30.0%"></span>');
    expect(rowOf('blog')).toContain('<span class="tick" style="left:33.3%"></span>');
    expect(rowOf('blog')).toContain('27 days left of 90 days; renewal due at 30 days left');
    expect(rowOf('legacy')).toContain('style="width:0.0%"');
    expect(rowOf('fresh')).toContain('no certificate in use');
    const over = seededReport();
    over.certificates = [{ ...over.certificates[0]!, daysLeft: 400 }];
    expect(renderStatusPage(over)).toContain('style="width:100.0%"');
  });

  it('colours each state and says it in words and a glyph as well', () => {
    const html = renderStatusPage(seededReport());
    for (const [state, label] of [
      ['ok', 'OK'],
      ['due', 'Due'],
      ['overdue', 'Overdue'],
      ['expired', 'Expired'],
      ['drift', 'Drift'],
      ['unreachable', 'Unreachable'],
      ['expiring', 'Expiring'],
      ['invalid', 'Invalid'],
    ]) {
      expect(html, state).toMatch(
        new RegExp(`<span class="badge s-${state}"><span class="mark" aria-hidden="true">[^<]+</span> ${label}</span>`),
      );
      expect(html, state).toMatch(new RegExp(`\\.s-${state}\\{--c:var\\(--${state}\\)\\}`));
    }
  });

  it('lists the watched endpoints in a second table', () => {
    const html = renderStatusPage(seededReport());
    const watch = html.slice(html.indexOf('<table id="watch">'));
    expect(watch).toContain('partner.example.net:443');
    expect(watch).toContain('intranet.example.org:8443');
    expect(watch).toContain('expires in 6 days (warning at 14)');
    expect(watch).toContain('connect ECONNREFUSED');
    expect(watch).toContain('CN=Test Intermediate');
    expect(watch.indexOf('old.example.org')).toBeLessThan(watch.indexOf('partner.example.net'));
  });

  it('says so when there is nothing to show', () => {
    const html = renderStatusPage({
      event: 'rotation.status',
      generatedAt: '2026-11-30T00:00:00Z',
      certificates: [],
      watch: [],
    });
    expect(html).toContain('No managed certificates.');
    expect(html).toContain('No watched endpoints.');
    expect(html).not.toContain('<table');
  });

  it('depends on the report only, not on the clock', () => {
    vi.useFakeTimers();
    vi.setSystemTime(new Date('2020-01-01T00:00:00Z'));
    const first = renderStatusPage(seededReport());
    vi.setSystemTime(new Date('2031-06-01T00:00:00Z'));
    expect(renderStatusPage(seededReport())).toBe(first);
  });
});
