import { jsonLineSink, memorySink, type OutcomeSink } from '../../shared/log/outcome-sink.js';
import type { OutcomeRecord } from '../../shared/rotation/outcome.js';
import { Interrupted, interruptionOf } from '../../shared/runtime/interrupt.js';
import { configOption, logLevelOption } from '../common-options.js';
import { defineCommand } from '../command.js';
import { certificateOption, cliRotator } from '../compose-cli.js';
import { formatPlan } from '../format-plan.js';
import { formatTable } from '../format-table.js';
import type { CliIo } from '../io.js';
import { createProgressDisplay, progressMode } from '../progress.js';

export const runCommand = defineCommand({
  path: ['run'],
  summary: 'Rotate the configured certificates now.',
  details: `Prints one JSON line per certificate and a summary line (a table instead when stdout is a terminal,
unless --json); logs go to stderr. When stderr is a terminal (and without --json), it also shows each certificate
in flight with its stage and time in that stage, then a line per finished certificate (one plain line per stage
change when TERM=dumb or NO_COLOR is set). Exit code 0 when every certificate is rotated, not due or unchanged;
1 otherwise; 2 for a usage error, an invalid configuration or missing credentials; 130 after SIGINT and
143 after SIGTERM (the certificate in progress stops at its next step and removes its TXT records; a second
signal ends the process at once).`,
  options: {
    config: configOption,
    certificate: certificateOption,
    force: { type: 'boolean', description: 'order a new certificate even when none is due' },
    'dry-run': { type: 'boolean', description: 'print the plan (as `plan` does) and change nothing' },
    json: { type: 'boolean', description: 'JSON lines even when stdout is a terminal' },
    'log-level': logLevelOption,
  },
  async run(values, io) {
    const table = io.stdout.isTTY === true && !values.json;
    const collected = memorySink();
    const records: OutcomeSink = table ? collected : jsonLineSink(1);
    // Built before the rotator so the sink can be wrapped; it writes nothing until the run reports progress.
    const display = createProgressDisplay({
      stream: io.stderr,
      mode: values['dry-run'] ? 'off' : progressMode(io.stderr, io.env, values.json),
      refreshMs: 1000,
    });
    const sink = display.wrapSink(records);
    const { rotator, certificates, selected } = await cliRotator(values, io, sink);
    display.expect(selected);
    if (values['dry-run']) {
      const plan = await rotator.plan({ force: values.force, ...(certificates ? { certificates } : {}) });
      io.stdout.write(table ? formatPlan(plan) : `${JSON.stringify(plan)}\n`);
      return plan.failures.length > 0 ? 1 : 0;
    }
    const controller = new AbortController();
    const onSigint = () => controller.abort(new Interrupted('SIGINT'));
    const onSigterm = () => controller.abort(new Interrupted('SIGTERM'));
    // `once`: the first signal stops the run at its next step; a second one finds no listener and ends the process.
    io.signals.once('SIGINT', onSigint);
    io.signals.once('SIGTERM', onSigterm);
    try {
      const result = await rotator.run({
        trigger: 'cli',
        force: values.force,
        ...(certificates ? { certificates } : {}),
        signal: controller.signal,
        onProgress: display.onProgress,
      });
      display.stop();
      if (table) io.stdout.write(formatTable(collected.records.filter(isOutcome), result.summary));
      return interruptedExit(controller.signal, io) ?? (result.summary.ok ? 0 : 1);
    } catch (err) {
      // An interruption outranks whatever it caused.
      const code = interruptedExit(controller.signal, io);
      if (code === undefined) throw err;
      return code;
    } finally {
      display.stop();
      io.signals.off('SIGINT', onSigint);
      io.signals.off('SIGTERM', onSigterm);
    }
  },
});

/** After SIGINT/SIGTERM: says so on stderr and gives the exit code; undefined when the run was not interrupted. */
function interruptedExit(signal: AbortSignal, io: CliIo): number | undefined {
  const interruption = interruptionOf(signal);
  if (!interruption) return undefined;
  io.stderr.write(`${interruption}: stopped; the next run continues where this one stopped\n`);
  return (signal.reason as Interrupted).signal === 'SIGINT' ? 130 : 143;
}

function isOutcome(r: { event: string }): r is OutcomeRecord {
  return r.event === 'rotation.outcome';
}
