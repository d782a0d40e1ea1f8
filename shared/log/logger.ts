import pino from 'pino';
import { redact } from './redact.js';

/** The subset of pino the project uses, so tests can pass a plain recorder. */
export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  child(bindings: Record<string, unknown>): Logger;
}

/** Field names that may carry secrets anywhere in a log object; pino replaces their values. */
const REDACT_PATHS = [
  'privateKeyPem',
  'accountKeyPem',
  'accessKeySecret',
  'securityToken',
  'hmacKey',
  'credentials',
  '*.privateKeyPem',
  '*.accountKeyPem',
  '*.accessKeySecret',
  '*.securityToken',
  '*.hmacKey',
  '*.credentials',
];

export interface LoggerOptions {
  /** File descriptor: 1 on Function Compute (stdout goes to Log Service), 2 for the command line. */
  fd: 1 | 2;
  /** Write here instead of `fd` (tests read what would have been logged). */
  stream?: { write(line: string): void };
  level?: string;
  base?: Record<string, unknown>;
}

export function createLogger(options: LoggerOptions): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      base: options.base ?? {},
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      // Errors are logged through toJSON (RotatorError) or name/message only: never SDK internals (URLs, requests).
      serializers: { err: serializeError },
      formatters: { level: (label) => ({ level: label }) },
    },
    // Synchronous so log lines and outcome records written to the same descriptor never interleave mid-line.
    options.stream ?? pino.destination({ fd: options.fd, sync: true }),
  );
}

export function serializeError(err: unknown): unknown {
  if (err && typeof err === 'object' && 'toJSON' in err && typeof err.toJSON === 'function') return err.toJSON();
  if (err instanceof Error) return { name: err.name, message: redact(err.message) };
  return { message: redact(String(err)) };
}

/** A logger that discards everything (tests, benchmarks). */
export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  child() {
    return silentLogger;
  },
};
