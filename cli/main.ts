import { ConfigError, RotatorError } from '../shared/errors.js';
import { redact } from '../shared/log/redact.js';
import { type Command, commandUsage, PROGRAM, parseCommandArgs } from './command.js';
import { COMMANDS } from './commands/index.js';
import { type CliIo, processIo } from './io.js';
import { UsageError } from './usage-error.js';
import { VERSION } from './version.js';

function programUsage(commands: readonly Command[] = COMMANDS, prefix: readonly string[] = []): string {
  const listed = commands.filter((c) => prefix.every((word, i) => c.path[i] === word));
  const width = Math.max(...listed.map((c) => c.path.join(' ').length));
  return [
    `Usage: ${[PROGRAM, ...prefix].join(' ')} <command> [options]`,
    '',
    'Commands:',
    ...listed.map((c) => `  ${c.path.join(' ').padEnd(width)}  ${c.summary}`),
    '',
    `Run \`${PROGRAM} <command> --help\` for a command's options; \`${PROGRAM} --version\` for the version.`,
    'Credentials: ALIBABA_CLOUD_ACCESS_KEY_ID, ALIBABA_CLOUD_ACCESS_KEY_SECRET[, ALIBABA_CLOUD_SECURITY_TOKEN].',
    'Endpoints:   ROTATOR_SLB_ENDPOINT, ROTATOR_ALIDNS_ENDPOINT, ROTATOR_DNS_SERVERS (ip:port,...).',
    '',
  ].join('\n');
}

const HELP_WORDS = new Set(['--help', '-h', 'help']);

/**
 * The command line. Exit codes: 0 success, 1 a certificate failed, 2 a usage error, an invalid configuration or
 * missing credentials, 130/143 after SIGINT/SIGTERM (see `run --help`).
 */
export async function main(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  const [first, ...rest] = argv;
  if (first === '--version' || first === '-V') {
    io.stdout.write(`${VERSION}\n`);
    return 0;
  }
  if (first === undefined) return usageError(io, 'a command is required', programUsage());
  if (HELP_WORDS.has(first)) {
    // `help run` is `run --help`; `help account` lists the account commands.
    if (rest.length === 0) return write(io, programUsage());
    const command = findCommand(rest);
    if (command) return write(io, commandUsage(command));
    if (isGroup(rest[0])) return write(io, programUsage(COMMANDS, [rest[0] as string]));
    return usageError(io, `unknown command ${JSON.stringify(rest.join(' '))}`, programUsage());
  }
  const command = findCommand(argv);
  if (!command) {
    // A group (`account`) without a known subcommand: list what it has.
    const group = isGroup(first) ? [first] : [];
    const usage = programUsage(COMMANDS, group);
    if (group.length > 0 && rest.length === 0) return usageError(io, `${first}: a subcommand is required`, usage);
    if (group.length > 0 && HELP_WORDS.has(rest[0] ?? '')) return write(io, usage);
    const unknown = group.length > 0 ? `${first} ${rest[0]}` : first;
    return usageError(io, `unknown command ${JSON.stringify(unknown)}`, usage);
  }
  try {
    const values = parseCommandArgs(command, argv.slice(command.path.length));
    if (values === 'help') return write(io, commandUsage(command));
    return await command.run(values as never, io);
  } catch (err) {
    return report(err, command, io);
  }
}

function findCommand(words: readonly string[]): Command | undefined {
  return COMMANDS.find((c) => c.path.every((word, i) => words[i] === word));
}

function isGroup(word: string | undefined): boolean {
  return COMMANDS.some((c) => c.path.length > 1 && c.path[0] === word);
}

function write(io: CliIo, text: string): number {
  io.stdout.write(text);
  return 0;
}

function usageError(io: CliIo, message: string, usage: string): number {
  io.stderr.write(`${PROGRAM}: ${message}\n\n${usage}`);
  return 2;
}

function report(err: unknown, command: Command, io: CliIo): number {
  if (err instanceof UsageError) {
    const help = `Run \`${[PROGRAM, ...command.path].join(' ')} --help\` for more.\n`;
    return usageError(io, `${command.path.join(' ')}: ${err.message}`, `${commandUsage(command, true)}${help}`);
  }
  if (err instanceof ConfigError) {
    io.stderr.write(`${err.message}\n`);
    return 2;
  }
  if (err instanceof RotatorError) {
    io.stderr.write(`error (${err.stage}): ${err.message}\n`);
    return err.stage === 'credentials' ? 2 : 1;
  }
  io.stderr.write(`unexpected error: ${redact(err instanceof Error ? `${err.name}: ${err.message}` : String(err))}\n`);
  return 1;
}
