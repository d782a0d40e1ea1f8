import type { CertificateStatus, StatusReport, StatusTarget, WatchStatus } from './types.js';

/**
 * The status page: one self-contained HTML document rendered from a StatusReport. It is served by `GET /status` and
 * written by `status --html`, opened from disk, mailed, or looked at on a phone during an incident, so it loads
 * nothing (no script, font, image or stylesheet from anywhere) and a Content-Security-Policy says so to the browser.
 * Pure: the only clock is the report's own `generatedAt`.
 */

export interface StatusPageOptions {
  /** Shown as the page title and heading; defaults to "Certificate status". */
  title?: string;
}

const DAY_MS = 86_400_000;

/**
 * `default-src 'none'` refuses every fetch (scripts, images, fonts, frames, connections); inline styles are the only
 * thing the page needs. `base-uri`/`form-action` are not covered by default-src, so they are closed separately.
 */
export const STATUS_PAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'";

interface StateLook {
  label: string;
  /** A glyph as well as the colour and the word, so the state survives colour blindness and grey-scale printing. */
  mark: string;
  /** Lower sorts first: the worst news is at the top. */
  rank: number;
}

const CERTIFICATE_LOOK: Record<string, StateLook> = {
  expired: { label: 'Expired', mark: '✕', rank: 0 },
  overdue: { label: 'Overdue', mark: '!', rank: 1 },
  drift: { label: 'Drift', mark: '≠', rank: 2 },
  unreachable: { label: 'Unreachable', mark: '?', rank: 3 },
  due: { label: 'Due', mark: '◷', rank: 4 },
  ok: { label: 'OK', mark: '✓', rank: 5 },
};

const WATCH_LOOK: Record<string, StateLook> = {
  expired: { label: 'Expired', mark: '✕', rank: 0 },
  invalid: { label: 'Invalid', mark: '!', rank: 1 },
  unreachable: { label: 'Unreachable', mark: '?', rank: 2 },
  expiring: { label: 'Expiring', mark: '◷', rank: 3 },
  ok: { label: 'OK', mark: '✓', rank: 4 },
};

/** A state the page does not know (a newer producer, a hand-edited report) still shows, as its own escaped text. */
function lookOf(table: Record<string, StateLook>, state: string): StateLook & { css: string } {
  const known = Object.hasOwn(table, state) ? table[state] : undefined;
  if (known) return { ...known, css: state };
  return { label: String(state), mark: '•', rank: -1, css: 'unknown' };
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes for text and for double-quoted attribute values alike. */
export function escapeHtml(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
}

function isFiniteNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

/** `2026-11-30 12:25 UTC` for a parseable instant, the escaped original otherwise. */
function formatTime(iso: string | null | undefined): string {
  if (iso === null || iso === undefined || iso === '') return '—';
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return escapeHtml(iso);
  const text = new Date(ms).toISOString().replace('T', ' ').slice(0, 16);
  return `<time datetime="${escapeHtml(new Date(ms).toISOString())}">${text} UTC</time>`;
}

function formatDays(days: number): string {
  const abs = Math.abs(days);
  // One decimal below ten days, where a few hours matter; whole days above, where they do not.
  const text = abs < 10 ? abs.toFixed(1) : Math.floor(abs).toString();
  return `${text} ${text === '1.0' || text === '1' ? 'day' : 'days'}`;
}

function daysLeftText(daysLeft: number | null | undefined): string {
  if (!isFiniteNumber(daysLeft)) return '—';
  return daysLeft < 0 ? `expired ${formatDays(daysLeft)} ago` : `${formatDays(daysLeft)} left`;
}

function clampPercent(fraction: number): string {
  return `${(Math.min(1, Math.max(0, fraction)) * 100).toFixed(1)}%`;
}

/**
 * The remaining lifetime as a bar (full at issuance, empty at expiry) with a tick where renewal is due: once the
 * fill is shorter than the tick, the certificate is in its renewal window.
 */
function lifetimeBar(c: CertificateStatus): string {
  if (!isFiniteNumber(c.daysLeft) || !isFiniteNumber(c.lifetimeDays) || c.lifetimeDays <= 0) {
    return '<span class="muted">no certificate in use</span>';
  }
  const fill = clampPercent(c.daysLeft / c.lifetimeDays);
  const renewMs = c.renewAt === null ? Number.NaN : Date.parse(c.renewAt);
  const expiryMs = isFiniteNumber(c.expireTimeStamp) ? c.expireTimeStamp : Date.parse(c.expireTime ?? '');
  const renewDaysLeft = (expiryMs - renewMs) / DAY_MS;
  const hasTick = Number.isFinite(renewDaysLeft);
  const tick = hasTick ? `<span class="tick" style="left:${clampPercent(renewDaysLeft / c.lifetimeDays)}"></span>` : '';
  const lifetime = `${formatDays(c.lifetimeDays)}`;
  const label =
    (c.daysLeft >= 0 ? `${formatDays(c.daysLeft)} left of ${lifetime}` : `expired; lifetime ${lifetime}`) +
    (hasTick ? `; renewal due at ${formatDays(renewDaysLeft)} left` : '');
  return (
    `<div class="bar" role="img" aria-label="${escapeHtml(label)}">` +
    `<span class="fill" style="width:${fill}"></span>${tick}</div>` +
    `<div class="small">${escapeHtml(label)}</div>`
  );
}

function badge(look: StateLook & { css: string }): string {
  return (
    `<span class="badge s-${look.css}"><span class="mark" aria-hidden="true">${escapeHtml(look.mark)}</span> ` +
    `${escapeHtml(look.label)}</span>`
  );
}

function targetItem(t: StatusTarget): string {
  const kind = t.kind === 'domain-extension' ? 'SNI' : 'listener';
  const serves = t.servesManaged
    ? ''
    : ` <strong class="warn">serves another certificate: ${escapeHtml(t.serverCertificateId)}</strong>`;
  const wire =
    t.wire === undefined
      ? ''
      : ` <span class="wire w-${t.wire === 'verified' || t.wire === 'stale' || t.wire === 'unreachable' ? t.wire : 'unknown'}">` +
        `wire: ${escapeHtml(t.wire)}</span>` +
        (t.wireDetail ? ` <span class="small">${escapeHtml(t.wireDetail)}</span>` : '');
  return `<li><span class="kind">${kind}</span> <code>${escapeHtml(t.target)}</code>${serves}${wire}</li>`;
}

function targetsCell(targets: StatusTarget[]): string {
  if (!Array.isArray(targets) || targets.length === 0) return '<span class="muted">no targets</span>';
  return `<ul class="targets">${targets.map(targetItem).join('')}</ul>`;
}

function certificateRow(c: CertificateStatus): string {
  const look = lookOf(CERTIFICATE_LOOK, c.state);
  const domains = Array.isArray(c.domains) ? c.domains : [];
  return [
    `<tr class="row s-${look.css}">`,
    `<td data-label="Certificate"><strong>${escapeHtml(c.certificate)}</strong>`,
    `<div class="small">${escapeHtml(c.region)}</div>`,
    `<div class="names">${domains.map((d) => `<code>${escapeHtml(d)}</code>`).join(' ')}</div></td>`,
    `<td data-label="State">${badge(look)}<div class="small"><code>${escapeHtml(c.code)}</code></div>`,
    `<div class="reason">${escapeHtml(c.reason)}</div></td>`,
    `<td data-label="Expires"><div class="days">${escapeHtml(daysLeftText(c.daysLeft))}</div>`,
    `<div class="small">${formatTime(c.expireTime)}</div>`,
    `<div class="small">renew at ${formatTime(c.renewAt)}</div></td>`,
    `<td data-label="Lifetime" class="lifetime">${lifetimeBar(c)}</td>`,
    `<td data-label="Served at">${targetsCell(c.targets)}`,
    c.serverCertificateId === null
      ? ''
      : `<div class="small">in use: <code>${escapeHtml(c.serverCertificateId)}</code></div>`,
    '</td></tr>',
  ].join('');
}

function watchRow(w: WatchStatus): string {
  const look = lookOf(WATCH_LOOK, w.state);
  const names = Array.isArray(w.names) ? w.names : [];
  return [
    `<tr class="row s-${look.css}">`,
    `<td data-label="Endpoint"><code>${escapeHtml(w.endpoint)}</code>`,
    `<div class="small">SNI ${escapeHtml(w.servername)}</div></td>`,
    `<td data-label="State">${badge(look)}<div class="reason">${escapeHtml(w.reason)}</div></td>`,
    `<td data-label="Expires"><div class="days">${escapeHtml(daysLeftText(w.daysLeft))}</div>`,
    `<div class="small">${formatTime(w.expireTime)}</div></td>`,
    `<td data-label="Names">${names.length === 0 ? '<span class="muted">—</span>' : names.map((n) => `<code>${escapeHtml(n)}</code>`).join(' ')}</td>`,
    `<td data-label="Issuer">${w.issuer === null ? '<span class="muted">—</span>' : escapeHtml(w.issuer)}</td>`,
    '</tr>',
  ].join('');
}

function bySeverity<T extends { state: string; daysLeft: number | null }>(
  table: Record<string, StateLook>,
): (a: T, b: T) => number {
  const days = (x: T): number => (isFiniteNumber(x.daysLeft) ? x.daysLeft : Number.POSITIVE_INFINITY);
  return (a, b) => lookOf(table, a.state).rank - lookOf(table, b.state).rank || days(a) - days(b);
}

function summary<T extends { state: string }>(items: T[], table: Record<string, StateLook>): string {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(item.state, (counts.get(item.state) ?? 0) + 1);
  const parts = [...counts.entries()]
    .map(([state, n]) => ({ look: lookOf(table, state), n }))
    .sort((a, b) => a.look.rank - b.look.rank)
    .map(({ look, n }) => `<li>${badge(look)} <span class="count">${n}</span></li>`);
  return `<ul class="summary">${parts.join('')}</ul>`;
}

const STYLE = `
:root{color-scheme:light dark;--bg:#fff;--fg:#1b1f24;--muted:#5c6570;--line:#d8dde3;--track:#e6e9ed;--fill:#2f6fde;
--ok:#1a7f37;--due:#8a5a00;--overdue:#c2410c;--expired:#b91c1c;--drift:#7e22ce;--unreachable:#4b5563;--unknown:#4b5563;
--expiring:#8a5a00;--invalid:#c2410c}
@media (prefers-color-scheme:dark){:root{--bg:#111418;--fg:#e6e9ed;--muted:#9aa4af;--line:#2c333b;--track:#2c333b;
--fill:#5b93f0;--ok:#4ade80;--due:#fbbf24;--overdue:#fb923c;--expired:#f87171;--drift:#c084fc;--unreachable:#9ca3af;
--unknown:#9ca3af;--expiring:#fbbf24;--invalid:#fb923c}}
*{box-sizing:border-box}
body{margin:0;padding:16px;background:var(--bg);color:var(--fg);font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
h1{font-size:1.4em;margin:0 0 4px}h2{font-size:1.15em;margin:28px 0 8px}
.muted,.small{color:var(--muted)}.small{font-size:.85em}.reason{font-size:.9em;margin-top:2px;overflow-wrap:break-word}
code{font:.85em/1.3 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;overflow-wrap:break-word}
.names code{display:inline-block;margin:2px 4px 0 0}
table{width:100%;border-collapse:collapse}
th{text-align:left;font-size:.8em;text-transform:uppercase;letter-spacing:.04em;color:var(--muted);border-bottom:2px solid var(--line);padding:6px 8px}
td{vertical-align:top;border-bottom:1px solid var(--line);padding:10px 8px}
tr.row>td:first-child{border-left:4px solid var(--c,var(--line))}
.badge{display:inline-block;white-space:nowrap;font-weight:600;padding:1px 8px;border-radius:999px;border:2px solid var(--c);color:var(--c)}
.s-ok{--c:var(--ok)}.s-due{--c:var(--due)}.s-overdue{--c:var(--overdue)}.s-expired{--c:var(--expired)}
.s-drift{--c:var(--drift)}.s-unreachable{--c:var(--unreachable)}.s-unknown{--c:var(--unknown)}
.s-expiring{--c:var(--expiring)}.s-invalid{--c:var(--invalid)}
.summary{list-style:none;display:flex;flex-wrap:wrap;gap:8px 16px;padding:0;margin:12px 0}
.count{font-weight:600}
.days{font-weight:600;white-space:nowrap}
.lifetime{min-width:180px}
.bar{position:relative;height:12px;border-radius:6px;background:var(--track);margin:4px 0}
.fill{position:absolute;left:0;top:0;bottom:0;border-radius:6px;background:var(--c,var(--fill))}
.tick{position:absolute;top:-4px;bottom:-4px;width:3px;margin-left:-1px;background:var(--fg)}
.targets{list-style:none;margin:0;padding:0}.targets li{margin:0 0 4px}
.kind{display:inline-block;font-size:.75em;text-transform:uppercase;letter-spacing:.04em;color:var(--muted);min-width:4.5em}
.warn{display:block;color:var(--drift);font-size:.85em;font-weight:600}
.wire{font-size:.85em;font-weight:600}.w-verified{color:var(--ok)}.w-stale{color:var(--drift)}.w-unreachable,.w-unknown{color:var(--unreachable)}
@media (max-width:720px){
body{padding:12px}
thead{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}
table,tbody,tr,td{display:block;width:100%}
tr.row{border:1px solid var(--line);border-left:6px solid var(--c,var(--line));border-radius:8px;margin:0 0 12px;padding:4px 12px}
tr.row>td:first-child{border-left:0}
td{border:0;padding:6px 0}
td::before{content:attr(data-label);display:block;font-size:.75em;text-transform:uppercase;letter-spacing:.04em;color:var(--muted)}
.lifetime{min-width:0}
}
`;

/** One self-contained HTML document showing every managed certificate and every watched endpoint. */
export function renderStatusPage(report: StatusReport, options: StatusPageOptions = {}): string {
  const title = options.title ?? 'Certificate status';
  const certificates = [...(report.certificates ?? [])].sort(bySeverity(CERTIFICATE_LOOK));
  const watch = [...(report.watch ?? [])].sort(bySeverity(WATCH_LOOK));
  const certificateTable =
    certificates.length === 0
      ? '<p class="muted">No managed certificates.</p>'
      : '<table id="certificates"><thead><tr><th scope="col">Certificate</th><th scope="col">State</th>' +
        '<th scope="col">Expires</th><th scope="col">Lifetime</th><th scope="col">Served at</th></tr></thead>' +
        `<tbody>${certificates.map(certificateRow).join('')}</tbody></table>`;
  const watchTable =
    watch.length === 0
      ? '<p class="muted">No watched endpoints.</p>'
      : '<table id="watch"><thead><tr><th scope="col">Endpoint</th><th scope="col">State</th>' +
        '<th scope="col">Expires</th><th scope="col">Names</th><th scope="col">Issuer</th></tr></thead>' +
        `<tbody>${watch.map(watchRow).join('')}</tbody></table>`;
  return [
    '<!DOCTYPE html>',
    '<html lang="en"><head><meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="${escapeHtml(STATUS_PAGE_CSP)}">`,
    '<meta name="referrer" content="no-referrer">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(title)}</title>`,
    `<style>${STYLE}</style></head><body>`,
    `<header><h1>${escapeHtml(title)}</h1>`,
    `<div class="small">Generated ${formatTime(report.generatedAt)}</div></header>`,
    '<main><section aria-labelledby="h-certificates"><h2 id="h-certificates">Managed certificates</h2>',
    certificates.length === 0 ? '' : summary(certificates, CERTIFICATE_LOOK),
    certificateTable,
    '</section><section aria-labelledby="h-watch"><h2 id="h-watch">Watched endpoints</h2>',
    watch.length === 0 ? '' : summary(watch, WATCH_LOOK),
    watchTable,
    '</section></main></body></html>',
    '',
  ].join('\n');
}
