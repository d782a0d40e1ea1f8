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
  const counts = Object.entries(summary.counts)
    .filter(([, n]) => n > 0)
    .map(([o, n]) => `${n} ${o}`)
    .join(', ');
  return [
    ...formatColumns(header, rows),
    '',
    `${summary.certificates} certificate(s): ${counts || 'none'} in ${summary.durationMs} ms`,
    '',
  ].join('\n');
}

/**
 * Aligned columns, the header first (none when empty). The last column is left unpadded so long text wraps
 * naturally instead of stretching every row.
 */
export function formatColumns(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const all = header.length ? [header, ...rows] : [...rows];
  const widths = (all[0] ?? []).map((_, i) => Math.max(...all.map((row) => (row[i] ?? '').length)));
  return all.map((cells) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd(),
  );
}
