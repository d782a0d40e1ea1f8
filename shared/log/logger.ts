import pino from 'pino';
import { redact, redactDeep } from './redact.js';

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
  const logger = pino(
    {
      level: options.level ?? 'info',
      base: options.base ?? {},
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      // Errors are logged through toJSON (RotatorError) or name/message only: never SDK internals (URLs, requests).
      // `msg` has its own serializer because pino fills it from `err.message` when the caller gives none.
      serializers: { err: serializeError, msg: (msg: unknown) => (typeof msg === 'string' ? redact(msg) : msg) },
      formatters: {
        level: (label) => ({ level: label }),
        // Every string of every line, whatever its field name: a secret under a name the paths above do not know
        // (an echoed request in `detail`) is still removed by value and by shape.
        bindings: (bindings) => redactDeep(bindings) as Record<string, unknown>,
        log: (obj) => redactDeep(obj) as Record<string, unknown>,
      },
    },
    // Synchronous so log lines and outcome records written to the same descriptor never interleave mid-line.
    options.stream ?? pino.destination({ fd: options.fd, sync: true }),
  );
  // pino applies `formatters.bindings` to the root's bindings only, never to a child's: those are redacted here.
  // Children inherit this property from the root (pino builds them with Object.create), so grandchildren do too.
  const child: pino.Logger['child'] = logger.child;
  logger.child = function redactedChild<L extends string = never>(
    this: pino.Logger,
    bindings: pino.Bindings,
    childOptions?: pino.ChildLoggerOptions<L>,
  ) {
    return child.call<pino.Logger, [pino.Bindings, pino.ChildLoggerOptions<L> | undefined], pino.Logger<L>>(
      this,
      redactDeep(bindings) as pino.Bindings,
      childOptions,
    );
  };
  return logger;
}

/** `formatters.log` has usually turned the error into its plain view already; a direct call gets the same. */
export function serializeError(err: unknown): unknown {
  if (err && typeof err === 'object') return redactDeep(err);
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
