import { parseArgs } from 'node:util';
import { loadConfig } from '../shared/config/load-config.js';
import { ConfigError, RotatorError } from '../shared/errors.js';
import { createLogger } from '../shared/log/logger.js';
import { jsonLineSink, memorySink, type OutcomeSink } from '../shared/log/outcome-sink.js';
import { redact } from '../shared/log/redact.js';
import type { OutcomeRecord } from '../shared/rotation/outcome.js';
import { runRotation } from '../shared/rotation/run-rotation.js';
import { credentialsFromEnvironment } from '../shared/runtime/credentials.js';
import { wireRotation } from '../shared/runtime/wire.js';
import { createAccountKeyFile } from './account.js';
import { formatTable } from './format-table.js';

const USAGE = `Usage:
  slb-cert-rotator run --config FILE [--certificate NAME]... [--force] [--json] [--log-level LEVEL]
      Rotate the configured certificates now. Prints one JSON line per certificate and a summary line
      (a table instead when stdout is a terminal, unless --json). Exit code 0 when every certificate is
      rotated, not due or unchanged; 1 otherwise; 2 for invalid input.
  slb-cert-rotator validate --config FILE
      Check the configuration file and the secrets it references; changes nothing.
  slb-cert-rotator account create --config FILE --out KEYFILE
      Create an ACME account key, register it with the configured CA, and write the key to KEYFILE (mode 0600).

Credentials: ALIBABA_CLOUD_ACCESS_KEY_ID, ALIBABA_CLOUD_ACCESS_KEY_SECRET[, ALIBABA_CLOUD_SECURITY_TOKEN].
Endpoints:   ROTATOR_SLB_ENDPOINT, ROTATOR_ALIDNS_ENDPOINT, ROTATOR_DNS_SERVERS (ip:port,...).
`;

export async function main(argv: string[], env = process.env): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'run':
        return await run(rest, env);
      case 'validate':
        return await validate(rest, env);
      case 'account':
        return await account(rest, env);
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        process.stdout.write(USAGE);
        return command === undefined ? 2 : 0;
      default:
        process.stderr.write(`unknown command "${command}"\n\n${USAGE}`);
        return 2;
    }
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      return 2;
    }
    if (err instanceof RotatorError) {
      process.stderr.write(`error (${err.stage}): ${err.message}\n`);
      return err.stage === 'credentials' ? 2 : 1;
    }
    if (err instanceof TypeError && (err as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`${err.message}\n\n${USAGE}`);
      return 2;
    }
    process.stderr.write(
      `unexpected error: ${redact(err instanceof Error ? `${err.name}: ${err.message}` : String(err))}\n`,
    );
    return 1;
  }
}

function requireConfig(values: { config?: string | undefined }): string {
  if (!values.config) throw new ConfigError(['--config FILE is required']);
  return values.config;
}

async function run(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      config: { type: 'string', short: 'c' },
      certificate: { type: 'string', multiple: true },
      force: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      'log-level': { type: 'string', default: 'warn' },
    },
    strict: true,
  });
  const config = await loadConfig({ file: requireConfig(values) }, env);
  const credentials = credentialsFromEnvironment(env);
  const logger = createLogger({ fd: 2, level: values['log-level'] });
  const table = process.stdout.isTTY && !values.json;
  const collected = memorySink();
  const sink: OutcomeSink = table ? collected : jsonLineSink(1);
  const deps = wireRotation({ config, env, credentials, logger, sink });
  const controller = new AbortController();
  const stop = () => controller.abort();
  // Ctrl-C stops before the next certificate; the one in progress still removes its TXT records.
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    const result = await runRotation(
      config,
      {
        trigger: 'cli',
        force: values.force,
        ...(values.certificate ? { certificates: values.certificate } : {}),
        signal: controller.signal,
      },
      deps,
    );
    if (table) process.stdout.write(formatTable(collected.records.filter(isOutcome), result.summary));
    return result.summary.ok ? 0 : 1;
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}

function isOutcome(r: { event: string }): r is OutcomeRecord {
  return r.event === 'rotation.outcome';
}

async function validate(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const { values } = parseArgs({ args, options: { config: { type: 'string', short: 'c' } }, strict: true });
  const config = await loadConfig({ file: requireConfig(values) }, env);
  process.stdout.write(
    `${values.config}: valid; ${config.certificates.length} certificate(s), CA ${config.acme.directoryUrl}${config.acme.production ? ' (production)' : ' (test)'}\n`,
  );
  return 0;
}

async function account(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const [sub, ...rest] = args;
  if (sub !== 'create')
    throw new ConfigError([`account: unknown subcommand ${JSON.stringify(sub ?? '')}; use "account create"`]);
  const { values } = parseArgs({
    args: rest,
    options: { config: { type: 'string', short: 'c' }, out: { type: 'string', short: 'o' } },
    strict: true,
  });
  if (!values.out) throw new ConfigError(['--out KEYFILE is required: where to write the new account key']);
  const config = await loadConfig({ file: requireConfig(values) }, env, { creatingAccountKey: true });
  const { accountUrl } = await createAccountKeyFile(config, values.out);
  process.stdout.write(
    `registered ${accountUrl}\nwrote the account key to ${values.out} (mode 0600); reference it as acme.accountKey: {file: …} or put it in a secret environment variable\n`,
  );
  return 0;
}
