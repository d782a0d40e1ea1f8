import { defineCommand } from '../command.js';
import { configOption, logLevelOption } from '../common-options.js';
import { certificateOption, cliRotator } from '../compose-cli.js';
import { formatPlan } from '../format-plan.js';

export const planCommand = defineCommand({
  path: ['plan'],
  summary: 'Show what a run would do now, certificate by certificate and target by target; changes nothing.',
  details: `Reads SLB (and the CA's renewal information) and prints, for each certificate, the decision with its
code and reason, the targets it would move, the quota situation, the certificates it would prune afterwards and the
exact API calls that change something. Nothing is ordered and nothing in SLB or Alidns changes. A table on a
terminal, JSON otherwise (or with --json). Exit code 0, or 1 when a certificate's state could not be read.`,
  options: {
    config: configOption,
    certificate: certificateOption,
    force: { type: 'boolean', description: 'plan as a forced run would (order even when not due)' },
    json: { type: 'boolean', description: 'JSON even when stdout is a terminal' },
    'log-level': logLevelOption,
  },
  async run(values, io) {
    const { rotator, certificates } = await cliRotator(values, io);
    const plan = await rotator.plan({ force: values.force, ...(certificates ? { certificates } : {}) });
    io.stdout.write(io.stdout.isTTY === true && !values.json ? formatPlan(plan) : `${JSON.stringify(plan)}\n`);
    return plan.failures.length > 0 ? 1 : 0;
  },
});
