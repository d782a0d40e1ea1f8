import { redact } from './log/redact.js';

/**
 * One base error for the whole project. Every failure the rotator reports is a `RotatorError` subclass that says
 * which stage failed and whether trying again later can help, so the outcome record and the HTTP trigger can tell
 * "the CA is down, the next run will fix it" from "your configuration is wrong, a retry changes nothing".
 *
 * Messages must never contain secrets: adapters build them from codes and names, not from SDK error messages
 * (pop-core embeds the request URL, and with GET every signed parameter, in its messages). A provider's own text
 * (an error body that echoes the request) still finds its way into some, so every message is redacted when the error
 * is built: whoever prints it later (a log line, an outcome record, an HTTP answer, the CLI) prints a clean one.
 */
export type Stage =
  | 'config'
  | 'credentials'
  | 'gather'
  | 'decide'
  /** Taking the certificate's lease before ordering, so overlapping runs never order it twice. */
  | 'lease'
  | 'preflight'
  | 'dns'
  | 'issue'
  | 'check'
  | 'upload'
  | 'compare'
  | 'deploy'
  | 'verify'
  | 'cleanup'
  /** Starting another function (the operator's POST /rotate). */
  | 'invoke';

export interface RotatorErrorOptions {
  cause?: unknown;
  /** True when the same call may succeed later without any change by the operator. */
  retryable?: boolean;
  /** Provider error code (e.g. `Throttling`, `DomainRecordDuplicate`), when one exists. */
  code?: string;
}

export class RotatorError extends Error {
  readonly stage: Stage;
  readonly retryable: boolean;
  readonly code: string | undefined;

  constructor(stage: Stage, message: string, options: RotatorErrorOptions = {}) {
    super(redact(message), options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.stage = stage;
    this.retryable = options.retryable ?? false;
    // A code is the provider's too: an endpoint that echoes the request may put anything there.
    this.code = options.code === undefined ? undefined : redact(options.code);
  }

  /** A plain, secret-free view for logs and outcome records. */
  toJSON(): { name: string; stage: Stage; message: string; code?: string; retryable: boolean } {
    return {
      name: this.name,
      stage: this.stage,
      message: this.message,
      ...(this.code ? { code: this.code } : {}),
      retryable: this.retryable,
    };
  }
}

/** The configuration file or the environment is invalid: nothing runs. */
export class ConfigError extends RotatorError {
  /** One entry per problem, each naming the field (`certificates[0].domains[1]: ...`). */
  readonly issues: readonly string[];
  constructor(issues: readonly string[], options: RotatorErrorOptions = {}) {
    const clean = issues.map(redact);
    super('config', `invalid configuration:\n  - ${clean.join('\n  - ')}`, options);
    this.issues = clean;
  }
}

/** No usable cloud credentials. */
export class CredentialsError extends RotatorError {
  constructor(message: string, options: RotatorErrorOptions = {}) {
    super('credentials', message, options);
  }
}

/** A cloud API (SLB, Alidns) answered with an error or could not be reached. */
export class CloudApiError extends RotatorError {
  readonly action: string;
  readonly requestId: string | undefined;
  constructor(
    stage: Stage,
    action: string,
    message: string,
    options: RotatorErrorOptions & { requestId?: string } = {},
  ) {
    super(stage, message, options);
    this.action = action;
    this.requestId = options.requestId === undefined ? undefined : redact(options.requestId);
  }
}

/** DNS-01 records could not be placed, removed, or were never served by the authoritative name servers. */
export class DnsChallengeError extends RotatorError {
  constructor(message: string, options: RotatorErrorOptions = {}) {
    super('dns', message, options);
  }
}

/** The ACME CA refused or failed the order. */
export class AcmeError extends RotatorError {
  constructor(message: string, options: RotatorErrorOptions = {}) {
    super('issue', message, options);
  }
}

/** The issued certificate fails a local check before upload (names, key match, key form, chain order). */
export class CertificateCheckError extends RotatorError {
  constructor(message: string, options: RotatorErrorOptions = {}) {
    super('check', message, options);
  }
}

/** A listener or domain extension did not take the new certificate, or reading it back disagrees. */
export class DeployError extends RotatorError {
  constructor(message: string, options: RotatorErrorOptions = {}) {
    super('deploy', message, options);
  }
}

/** The invocation ran out of time: the next run picks up where this one stopped. */
export class DeadlineError extends RotatorError {
  constructor(message: string, stage: Stage = 'gather', options: RotatorErrorOptions = {}) {
    super(stage, message, { ...options, retryable: true });
  }
}

/**
 * Narrow `unknown` to a RotatorError, wrapping anything else as a non-retryable error of the given stage. A foreign
 * message may carry a signed URL or PEM text (httpx, undici, json-bigint): the constructor redacts it.
 */
export function asRotatorError(err: unknown, stage: Stage): RotatorError {
  if (err instanceof RotatorError) return err;
  return new RotatorError(stage, err instanceof Error ? `${err.name}: ${err.message}` : String(err), { cause: err });
}
