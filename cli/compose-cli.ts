import type { ManagedCertificate } from '../shared/config/types.js';
import { ConfigError } from '../shared/errors.js';
import { createLogger } from '../shared/log/logger.js';
import { memorySink, type OutcomeSink } from '../shared/log/outcome-sink.js';
import { selectCertificates } from '../shared/rotation/run-rotation.js';
import { composeRotator, type Rotator } from '../shared/runtime/compose.js';
import { credentialsFromEnvironment } from '../shared/runtime/credentials.js';
import { loadConfigOption, logLevelOf } from './common-options.js';
import type { CliIo } from './io.js';
import { UsageError } from './usage-error.js';

/**
 * What every command that talks to the cloud starts with: the configuration, the `--certificate` selection checked
 * against it (a usage error, before credentials are needed), and the rotator from the one composition root.
 */
export async function cliRotator(
  values: { config: string; 'log-level'?: string | undefined; certificate?: string[] },
  io: CliIo,
  sink: OutcomeSink = memorySink(),
): Promise<{
  rotator: Rotator;
  certificates: string[] | undefined;
  /** The configured certificates the selection names (every one without `--certificate`). */
  selected: ManagedCertificate[];
}> {
  const level = logLevelOf(values['log-level']);
  const config = await loadConfigOption(values.config, io.env);
  const certificates = values.certificate && values.certificate.length > 0 ? values.certificate : undefined;
  let selected: ManagedCertificate[];
  try {
    selected = selectCertificates(config, certificates);
  } catch (err) {
    if (err instanceof ConfigError)
      throw new UsageError(err.issues.join('; ').replace(/^certificates:/, '--certificate:'));
    throw err;
  }
  const rotator = composeRotator({
    config,
    env: io.env,
    credentials: credentialsFromEnvironment(io.env),
    logger: createLogger({ fd: 2, level }),
    sink,
  });
  return { rotator, certificates, selected };
}

export const certificateOption = {
  type: 'string',
  multiple: true,
  value: 'NAME',
  description: 'only this configured certificate (repeatable; default: all)',
} as const;
