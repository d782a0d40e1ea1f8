import { type LoadOptions, loadConfig, readConfigText } from '../shared/config/load-config.js';
import type { RotatorConfig } from '../shared/config/types.js';
import { LOG_LEVELS, type LogLevel, parseLogLevel } from '../shared/runtime/settings-from-env.js';
import type { OptionSpec } from './command.js';
import { UsageError } from './usage-error.js';

export const configOption = {
  type: 'string',
  short: 'c',
  value: 'FILE',
  required: true,
  description: 'the configuration file (YAML)',
} as const satisfies OptionSpec;

export const logLevelOption = {
  type: 'string',
  value: 'LEVEL',
  description: `diagnostic logs on stderr: ${LOG_LEVELS.join(', ')} (default warn)`,
} as const satisfies OptionSpec;

/**
 * Reads `--config FILE`. A file that cannot be read is a mistake on the command line (a usage error); what the file
 * says is the configuration's business (a ConfigError with line numbers).
 */
export async function loadConfigOption(
  path: string,
  env: NodeJS.ProcessEnv,
  options: LoadOptions = {},
): Promise<RotatorConfig> {
  // The same guarded read as on Function Compute: regular files only, size-capped, never blocking on a FIFO.
  const read = await readConfigText(path);
  if ('problem' in read) throw new UsageError(`--config ${path}: ${read.problem}`);
  return loadConfig({ text: read.text, origin: path }, env, options);
}

export function logLevelOf(value: string | undefined): LogLevel {
  if (value === undefined) return 'warn';
  const level = parseLogLevel(value);
  if (!level) throw new UsageError(`--log-level ${JSON.stringify(value)}: use one of ${LOG_LEVELS.join(', ')}`);
  return level;
}
