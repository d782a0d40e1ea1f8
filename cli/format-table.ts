import type { OutcomeRecord, SummaryRecord } from '../shared/rotation/outcome.js';

/** A readable table for a terminal; the JSON lines stay the machine interface. */
export function formatTable(records: readonly OutcomeRecord[], summary: SummaryRecord): string {
  const rows = records.map((r) => {
    const cert = r.current ?? r.previous;
    return [
      r.certificate,
      r.region,
      r.outcome + (r.stage && r.outcome !== 'not-due' ? ` (${r.stage})` : ''),
      cert ? new Date(cert.expireTimeStamp).toISOString().slice(0, 10) : '-',
      r.daysGained === null ? '-' : `+${r.daysGained}`,
      r.reason,
    ];
  });
  const header = ['CERTIFICATE', 'REGION', 'OUTCOME', 'EXPIRES', 'GAINED', 'REASON'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
  // The reason is last and left unpadded so long messages wrap naturally instead of stretching every row.
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ');
  const counts = Object.entries(summary.counts)
    .filter(([, n]) => n > 0)
    .map(([o, n]) => `${n} ${o}`)
    .join(', ');
  return [
    line(header),
    ...rows.map(line),
    '',
    `${summary.certificates} certificate(s): ${counts || 'none'} in ${summary.durationMs} ms`,
    '',
  ].join('\n');
}
