import type { Logger } from '../log/logger.js';
import type { FcContextCredentials } from '../runtime/credentials.js';

/** The parts of Function Compute 3.0's invocation context the rotator uses (see the README's notes on FC). */
export interface FcContext {
  requestId?: string;
  credentials?: FcContextCredentials;
  function?: { name?: string; handler?: string; memory?: number; timeout?: number };
  region?: string;
  accountId?: string;
  /** Added by the invocation middleware; FC's context has no such function. */
  getRemainingTimeInMillis?: () => number;
}

/** What the middlewares add for the handler. */
export interface RotatorContext extends FcContext {
  logger: Logger;
  /** Aborted shortly before the function's time-out, leaving time to remove TXT records and report. */
  deadline: AbortSignal;
}

export interface MiddyRequest<TContext = FcContext> {
  event: unknown;
  context: TContext;
  response: unknown;
  error: unknown;
}
