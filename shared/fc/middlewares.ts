import { ConfigError, RotatorError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import { redact, redactDeep } from '../log/redact.js';
import type { MiddyRequest, RotatorContext } from './context.js';
import { EventParseError, parseFcEvent } from './events.js';
import { BadRequestError } from './run-request.js';

/** The event arrives as a Buffer: turn it into a typed FcEvent before anything else looks at it. */
export function fcEventParser() {
  return {
    before(request: MiddyRequest) {
      request.event = parseFcEvent(request.event);
    },
  };
}

/**
 * The loggers this module installed, by invocation context. FC puts its own `logger` on the context (console-like:
 * it prints whole error objects, stacks included); an error raised before `invocationContext` ran must not reach it.
 */
const ownLoggers = new WeakMap<object, Logger>();

/** Time kept back from the function's time-out so a run can remove its TXT records and write its records. */
const DEFAULT_RESERVE_MS = 60_000;

/**
 * Per-invocation logger context and deadline. FC's context has no getRemainingTimeInMillis: it is derived from the
 * function's configured timeout and the invocation start.
 */
export function invocationContext(options: { logger: Logger; now?: () => number; reserveMs?: number }) {
  const now = options.now ?? Date.now;
  const timers = new WeakMap<object, NodeJS.Timeout>();
  return {
    before(request: MiddyRequest) {
      const context = request.context as RotatorContext;
      const startedAt = now();
      const timeoutMs = (context.function?.timeout ?? 0) * 1000;
      context.getRemainingTimeInMillis = () =>
        timeoutMs > 0 ? Math.max(0, timeoutMs - (now() - startedAt)) : Infinity;
      const controller = new AbortController();
      if (timeoutMs > 0) {
        const reserve = Math.min(options.reserveMs ?? DEFAULT_RESERVE_MS, timeoutMs / 4);
        const timer = setTimeout(() => controller.abort(), timeoutMs - reserve);
        timer.unref();
        timers.set(context, timer);
      }
      context.deadline = controller.signal;
      context.logger = options.logger.child({ requestId: context.requestId, function: context.function?.name });
      ownLoggers.set(context, context.logger);
    },
    after(request: MiddyRequest) {
      clearTimeout(timers.get(request.context as object));
    },
    onError(request: MiddyRequest) {
      clearTimeout(timers.get(request.context as object));
    },
  };
}

export interface HttpResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

export function jsonResponse(statusCode: number, body: unknown, headers: Record<string, string> = {}): HttpResponse {
  return {
    statusCode,
    headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
    // Every string of every answer is scrubbed of the secrets the process holds, whatever field carries it.
    body: `${JSON.stringify(redactDeep(body), null, 2)}\n`,
  };
}

/**
 * Errors become answers: HTTP callers get a status and a message that names the problem; timer and direct
 * invocations rethrow, so FC records the invocation as failed. Nothing but our own messages leaves: no stack, no
 * SDK internals. Logged through the project's logger (redacted, name and message only), never FC's `context.logger`.
 */
export function errorResponses(options: { logger: Logger }) {
  return {
    onError(request: MiddyRequest) {
      const event = request.event as { kind?: string } | undefined;
      const err = request.error;
      const logger = ownLoggers.get(request.context as object) ?? options.logger;
      const response = toHttpError(err);
      if (response.statusCode < 500) logger.warn({ err }, 'invocation refused');
      else logger.error({ err }, 'invocation failed');
      // A parse failure leaves the raw Buffer as the event: EventParseError says whether it came from HTTP.
      const http = event?.kind === 'http' || (err instanceof EventParseError && err.http);
      if (http) request.response = response; // otherwise rethrown by middy
    },
  };
}

export function toHttpError(err: unknown): HttpResponse {
  if (err instanceof BadRequestError) return jsonResponse(err.status, { error: { message: err.message } }, err.headers);
  if (err instanceof EventParseError) return jsonResponse(400, { error: { message: err.message } });
  if (err instanceof ConfigError) {
    // Unknown certificate names in the request are the caller's mistake; an invalid deployed file is ours.
    const callerMistake = err.issues.every((i) => i.startsWith('certificates: unknown name'));
    return jsonResponse(callerMistake ? 400 : 500, { error: { message: err.message, issues: err.issues } });
  }
  if (err instanceof RotatorError) return jsonResponse(500, { error: err.toJSON() });
  return jsonResponse(500, {
    error: { message: redact(err instanceof Error ? `${err.name}: ${err.message}` : 'internal error') },
  });
}
