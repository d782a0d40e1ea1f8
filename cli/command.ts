import { parseArgs } from 'node:util';
import type { CliIo } from './io.js';
import { UsageError } from './usage-error.js';

export const PROGRAM = 'slb-cert-rotator';

/** One row of a command's option table: what parseArgs needs, plus what its usage text says. */
export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  multiple?: boolean;
  /** The placeholder in the usage line, e.g. FILE. */
  value?: string;
  required?: boolean;
  description: string;
}

type OptionValue<S extends OptionSpec> = S['type'] extends 'boolean'
  ? boolean
  : S['multiple'] extends true
    ? string[]
    : S['required'] extends true
      ? string
      : string | undefined;

export type OptionValues<O extends Record<string, OptionSpec>> = { [K in keyof O]: OptionValue<O[K]> };

export interface Command<O extends Record<string, OptionSpec> = Record<string, OptionSpec>> {
  /** The words that select it: `['run']`, `['account', 'create']`. */
  path: readonly string[];
  summary: string;
  /** More text for `--help`: exit codes, what is written where. */
  details?: string;
  options: O;
  run(values: OptionValues<O>, io: CliIo): Promise<number>;
}

/** Keeps the option table's literal types, so `run` sees `values.force` as a boolean and `values.config` as a string. */
export function defineCommand<const O extends Record<string, OptionSpec>>(command: Command<O>): Command {
  return command as unknown as Command;
}

const HELP: OptionSpec = { type: 'boolean', short: 'h', description: 'show this help' };

/** `--config FILE` as in the usage line. */
export function optionLabel(name: string, spec: OptionSpec): string {
  return `--${name}${spec.type === 'string' ? ` ${spec.value ?? 'VALUE'}` : ''}`;
}

/** The whole help text; `brief` leaves out the description, for usage errors where the message matters most. */
export function commandUsage(command: Command, brief = false): string {
  const words = Object.entries(command.options).map(([name, spec]) => {
    const label = optionLabel(name, spec);
    return `${spec.required ? label : `[${label}]`}${spec.multiple ? '...' : ''}`;
  });
  const rows = Object.entries({ ...command.options, help: HELP }).map(([name, spec]) => [
    `${spec.short ? `-${spec.short}, ` : '    '}${optionLabel(name, spec)}`,
    spec.description,
  ]);
  const width = Math.max(...rows.map(([label]) => (label ?? '').length));
  return [
    `Usage: ${[PROGRAM, ...command.path, ...words].join(' ')}`,
    '',
    ...(brief ? [] : [`${command.summary}${command.details ? `\n${command.details}` : ''}`, '']),
    'Options:',
    ...rows.map(([label, text]) => `  ${(label ?? '').padEnd(width)}  ${text}`),
    '',
  ].join('\n');
}

/**
 * The command's arguments by its option table, or `'help'` when `--help` is among them. Every parse problem and
 * every missing required option is a UsageError.
 */
export function parseCommandArgs(command: Command, args: readonly string[]): Record<string, unknown> | 'help' {
  const options = Object.fromEntries(
    Object.entries({ ...command.options, help: HELP }).map(([name, spec]) => [
      name,
      {
        type: spec.type,
        ...(spec.short ? { short: spec.short } : {}),
        ...(spec.multiple ? { multiple: true } : {}),
      },
    ]),
  );
  let values: Record<string, unknown>;
  try {
    ({ values } = parseArgs({ args: [...args], options, strict: true, allowPositionals: false }));
  } catch (err) {
    // `--help` wins over whatever else is wrong on the line: that is what someone stuck needs.
    if (args.includes('--help') || args.includes('-h')) return 'help';
    if (err instanceof TypeError && (err as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS')) {
      throw new UsageError(err.message);
    }
    throw err;
  }
  if (values.help === true) return 'help';
  delete values.help;
  for (const [name, spec] of Object.entries(command.options)) {
    const value = values[name];
    if (spec.required && (value === undefined || value === '')) {
      throw new UsageError(`${optionLabel(name, spec)} is required`);
    }
    if (spec.type === 'boolean' && value === undefined) values[name] = false;
    if (spec.multiple && value === undefined) values[name] = [];
  }
  return values;
}
