import type { RunPlan } from '../shared/plan/types.js';
import type { StatusReport } from '../shared/status/types.js';
import { formatColumns } from './format-table.js';

/** `plan` and `run --dry-run` on a terminal: certificate by certificate, target by target, then the calls. */
export function formatPlan(plan: RunPlan): string {
  const out: string[] = [];
  for (const c of plan.certificates) {
    out.push(`${c.certificate} (${c.region}): ${c.action === 'none' ? 'nothing to do' : c.action} [${c.code}]`);
    out.push(`  why: ${c.reason}${c.note ? ` (note: ${c.note})` : ''}`);
    if (c.renewAt) out.push(`  renew at: ${c.renewAt}`);
    if (c.resume) out.push(`  resume with: ${c.resume.serverCertificateId}`);
    if (c.replaces) out.push(`  replaces (ARI): ${c.replaces}`);
    if (c.quota) {
      out.push(
        `  quota: ${c.quota.count}/${c.quota.quota} certificates${c.quota.makeRoom.length ? `, making room: ${c.quota.makeRoom.join(', ')}` : ''}${c.quota.wouldExceed ? ' — WOULD EXCEED: the run fails before ordering' : ''}`,
      );
    }
    for (const t of c.targets)
      out.push(`  target ${t.name}: ${t.change === 'move' ? `move from ${t.from}` : `keep ${t.from}`}`);
    if (c.prune.length) out.push(`  afterwards delete (if nothing serves them then): ${c.prune.join(', ')}`);
    for (const w of c.warnings) out.push(`  warning: ${w}`);
    if (c.calls.length) {
      out.push('  calls:');
      out.push(
        ...formatColumns(
          [],
          c.calls.map((call) => [
            `    ${call.product}`,
            call.action,
            Object.entries(call.params)
              .map(([k, v]) => `${k}=${v}`)
              .join(' '),
            call.when ? `(${call.when})` : '',
          ]),
        ),
      );
    }
    out.push('');
  }
  for (const f of plan.failures) {
    out.push(`${f.certificate} (${f.region}): cannot plan, ${f.stage} failed${f.errorCode ? ` [${f.errorCode}]` : ''}`);
    out.push(`  ${f.reason}`, '');
  }
  const due = plan.certificates.filter((c) => c.action !== 'none').length;
  out.push(
    `${plan.certificates.length + plan.failures.length} certificate(s): ${due} due, ${plan.certificates.length - due} not due, ${plan.failures.length} unreadable (as of ${plan.generatedAt})`,
    '',
  );
  return out.join('\n');
}

/** `status` on a terminal. */
export function formatStatus(report: StatusReport): string {
  const rows = report.certificates.map((c) => [
    c.certificate,
    c.region,
    c.state.toUpperCase(),
    c.daysLeft === null ? '-' : `${c.daysLeft}`,
    c.expireTime?.slice(0, 10) ?? '-',
    c.renewAt?.slice(0, 10) ?? '-',
    c.serverCertificateId ?? '-',
    c.targets
      .map(
        (t) =>
          `${t.target}${t.servesManaged ? '' : ` (serves ${t.serverCertificateId})`}${t.wire ? ` [${t.wire}]` : ''}`,
      )
      .join(', ') || '-',
  ]);
  const out = formatColumns(
    ['CERTIFICATE', 'REGION', 'STATE', 'DAYS LEFT', 'EXPIRES', 'RENEW AT', 'ID', 'SERVED BY'],
    rows,
  );
  for (const c of report.certificates.filter((x) => x.state !== 'ok')) out.push(`${c.certificate}: ${c.reason}`);
  if (report.watch.length) {
    out.push(
      '',
      ...formatColumns(
        ['WATCHED', 'SNI', 'STATE', 'DAYS LEFT', 'EXPIRES', 'REASON'],
        report.watch.map((w) => [
          w.endpoint,
          w.servername,
          w.state.toUpperCase(),
          w.daysLeft === null ? '-' : `${w.daysLeft}`,
          w.expireTime?.slice(0, 10) ?? '-',
          w.reason,
        ]),
      ),
    );
  }
  out.push('', `as of ${report.generatedAt}`, '');
  return out.join('\n');
}
