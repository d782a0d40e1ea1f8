import { AcmeError, RotatorError } from '../../errors.js';
import type { AcmeCallContext, AcmeProblem } from './acme-client-loader.js';

const PREFIX = 'urn:ietf:params:acme:error:';

/** Problem types where the same request can succeed later without the operator changing anything. */
const RETRYABLE = new Set(['rateLimited', 'serverInternal', 'badNonce', 'dns', 'connection', 'orderNotReady']);

const TRANSPORT_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'ECONNABORTED',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ERR_SOCKET_CONNECTION_TIMEOUT',
]);

function shortType(type: string | undefined): string | undefined {
  return type?.startsWith(PREFIX) ? type.slice(PREFIX.length) : type;
}

function isRetryableProblem(problem: AcmeProblem): boolean {
  const type = shortType(problem.type);
  if (type === 'compound' && problem.subproblems?.length) {
    return problem.subproblems.every((p) => RETRYABLE.has(shortType(p.type) ?? ''));
  }
  if (type && RETRYABLE.has(type)) return true;
  const status = problem.status ?? 0;
  return status === 429 || status >= 500;
}

function clip(text: string, max = 300): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length > max ? `${oneLine.slice(0, max)}…` : oneLine;
}

/**
 * An AcmeError for a failed step. The message names the step, the identifier(s) and the CA's problem type and
 * detail; it is built from the problem document, never from request data (which could include the EAB MAC).
 */
export function toAcmeError(rawErr: unknown, step: string, subject: string, ctx: AcmeCallContext): RotatorError {
  if (rawErr instanceof RotatorError) return rawErr;
  // An AxiosError holds the whole request (signed JWS bodies, EAB binding): keep only its name and message.
  const err =
    rawErr && typeof rawErr === 'object' && 'isAxiosError' in rawErr
      ? Object.assign(new Error((rawErr as unknown as Error).message), { code: (rawErr as { code?: string }).code })
      : rawErr;
  const where = `ACME ${step} for ${subject}`;
  const problem = ctx.problem;
  if (problem && (problem.type || problem.status)) {
    const type = shortType(problem.type) ?? `HTTP ${problem.status}`;
    const sub = problem.subproblems?.length
      ? `; ${problem.subproblems.map((p) => `${p.identifier?.value ?? '?'}: ${shortType(p.type)} ${clip(p.detail ?? '', 120)}`).join('; ')}`
      : '';
    return new AcmeError(`${where} failed: ${type}${problem.detail ? ` (${clip(problem.detail)})` : ''}${sub}`, {
      cause: err,
      retryable: isRetryableProblem(problem),
      code: type,
    });
  }
  const code = (err as { code?: string }).code;
  const transport =
    ctx.transport ?? (code && (TRANSPORT_CODES.has(code) || /CERT|SSL|TLS/.test(code)) ? code : undefined);
  if (transport) {
    const tls = /CERT|SSL|TLS|SELF_SIGNED|VERIFY/.test(transport);
    return new AcmeError(
      `${where} failed: cannot talk to the CA (${transport})${tls ? '; is the CA’s TLS certificate trusted?' : ''}`,
      { cause: err, retryable: !tls, code: transport },
    );
  }
  const message = err instanceof Error ? err.message : String(err);
  if (/pending or processing/.test(message)) {
    return new AcmeError(`${where} failed: the CA did not finish in time (still pending)`, {
      cause: err,
      retryable: true,
      code: 'timeout',
    });
  }
  // Unknown shape: keep acme-client's own message (its messages name URLs and states, not keys).
  return new AcmeError(`${where} failed: ${clip(message)}`, { cause: err, retryable: false });
}

/**
 * Whether the CA refused a new order because of its RFC 9773 `replaces` field: `alreadyReplaced`, or another
 * client-side problem whose detail names the field or the certificate identifier (CAs word this differently, e.g. a
 * `malformed` for an identifier they cannot parse). Rate limits and server errors are not: they would fail the
 * order without `replaces` just the same.
 */
export function rejectsReplaces(problem: AcmeProblem | undefined): boolean {
  if (!problem) return false;
  const type = shortType(problem.type);
  if (type === 'alreadyReplaced') return true;
  const status = problem.status ?? 0;
  if (status < 400 || status >= 500 || status === 429 || (type && RETRYABLE.has(type))) return false;
  return /\breplace[sd]?\b|\bcert ?id\b|\bARI\b|renewal ?info/i.test(problem.detail ?? '');
}
