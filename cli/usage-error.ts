/**
 * A mistake in the command line itself (a missing option, an unknown name, an output file that exists): exit 2 with
 * the command's usage. Distinct from ConfigError, which is about the configuration file's content.
 */
export class UsageError extends Error {
  override name = 'UsageError';
}
