import { writeFile } from 'node:fs/promises';
import { renderStatusPage } from '../../shared/status/page.js';
import { createStatusLink, DEFAULT_LINK_TTL_SECONDS, TOKEN_VARIABLE } from '../../shared/operator/auth.js';
import { defineCommand } from '../command.js';
import { configOption, logLevelOption } from '../common-options.js';
import { certificateOption, cliRotator } from '../compose-cli.js';
import { formatStatus } from '../format-plan.js';
import { UsageError } from '../usage-error.js';

const TROUBLE = new Set(['overdue', 'expired', 'drift', 'unreachable']);

export const statusCommand = defineCommand({
  path: ['status'],
  summary: 'Show every managed certificate: where it is served, expiry, days left, renewAt and its state.',
  details: `States: ok, due, overdue (due for longer than status.overdueAfterDays: the rotation is failing),
expired, drift (a target serves another certificate than the managed one), unreachable (the wire check could not
connect, or SLB could not be read). Stateless: SLB and the rotator's tags are the record. A table on a terminal,
JSON otherwise. Exit code 0 when every certificate is ok or due, 1 otherwise.
--link prints a signed, short-lived link to the status page of a deployed operator function with
authType anonymous (the secret comes from ${TOKEN_VARIABLE}); it reads nothing from SLB.`,
  options: {
    // Not needed for --link, which reads nothing; required for everything else (checked in run).
    config: { ...configOption, required: false },
    certificate: certificateOption,
    wire: { type: 'boolean', description: 'also connect to every target and check the leaf it presents' },
    json: { type: 'boolean', description: 'JSON even when stdout is a terminal' },
    html: { type: 'string', value: 'FILE', description: 'also write the status page (self-contained HTML) to FILE' },
    link: { type: 'string', value: 'URL', description: "the operator function's URL: print a signed status link" },
    'link-ttl': {
      type: 'string',
      value: 'SECONDS',
      description: `how long the link is valid (default ${DEFAULT_LINK_TTL_SECONDS})`,
    },
    'log-level': logLevelOption,
  },
  async run(values, io) {
    if (values.link !== undefined) return printLink(values.link, values['link-ttl'], io);
    if (!values.config) throw new UsageError('--config FILE is required (only --link URL reads no configuration)');
    const { rotator, certificates } = await cliRotator({ ...values, config: values.config }, io);
    const report = await rotator.status({ wire: values.wire, ...(certificates ? { certificates } : {}) });
    if (values.html) await writeFile(values.html, renderStatusPage(report), { mode: 0o644 });
    io.stdout.write(io.stdout.isTTY === true && !values.json ? formatStatus(report) : `${JSON.stringify(report)}\n`);
    return report.certificates.some((c) => TROUBLE.has(c.state)) ? 1 : 0;
  },
});

function printLink(
  base: string,
  ttlText: string | undefined,
  io: { env: NodeJS.ProcessEnv; stdout: { write(t: string): unknown } },
): number {
  const secret = io.env[TOKEN_VARIABLE]?.trim();
  if (!secret) throw new UsageError(`--link needs the operator's secret in ${TOKEN_VARIABLE}`);
  const ttl = ttlText === undefined ? DEFAULT_LINK_TTL_SECONDS : Number(ttlText);
  if (!Number.isInteger(ttl) || ttl <= 0)
    throw new UsageError(`--link-ttl ${JSON.stringify(ttlText)}: a whole number of seconds`);
  try {
    io.stdout.write(`${createStatusLink(base, secret, ttl, new Date())}\n`);
  } catch (err) {
    throw new UsageError(`--link: ${err instanceof Error ? err.message : String(err)}`);
  }
  return 0;
}
