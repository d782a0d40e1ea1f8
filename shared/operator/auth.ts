import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { registerSecret } from '../log/secret-values.js';

/**
 * Who may use the operator API.
 *
 * - `function` (the default, s.yaml `authType: function`): Function Compute's gateway checks the caller's
 *   ACS3-HMAC-SHA256 signature against the account's RAM users and roles before the function runs, and answers 403
 *   itself when it fails (FC's "signature authentication for HTTP triggers" page). Which RAM permission a caller
 *   needs for the gateway to admit it (fc:InvokeFunction on this function is assumed) is UNCONFIRMED. The function
 *   cannot re-check that signature (it never sees the caller's secret), and a second, function-level secret would
 *   only add one more thing to leak: so it trusts the gateway and checks nothing.
 * - `anonymous` (s.yaml `authType: anonymous`): the gateway lets everyone through, so the function checks a bearer
 *   token, or for `GET /status` only a short-lived signed link, both from the secret in ROTATOR_OPERATOR_TOKEN.
 *   That an anonymous trigger hands the caller's `Authorization` header to the function unchanged is UNCONFIRMED
 *   (the emulator's gateway does; a gateway that consumed it would make every token request a 401, never a pass).
 * - `misconfigured`: the environment asks for something that cannot be honoured (an unknown mode, an anonymous
 *   deployment without a usable secret). Every request is refused, never waved through.
 */
export type OperatorAuth =
  | { mode: 'function' }
  | { mode: 'anonymous'; token: string }
  | { mode: 'misconfigured'; status: 401 | 500; message: string };

export const AUTH_MODE_VARIABLE = 'ROTATOR_OPERATOR_AUTH';
export const TOKEN_VARIABLE = 'ROTATOR_OPERATOR_TOKEN';
/** 32 characters is 192 bits as base64 (`openssl rand -base64 24`) or 128 as hex: too many to guess online. */
export const MIN_TOKEN_LENGTH = 32;
/** A status link is a bearer credential in a URL (browser history, chat logs): it must expire, and soon. */
export const MAX_LINK_TTL_SECONDS = 7 * 86_400;
export const DEFAULT_LINK_TTL_SECONDS = 86_400;

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Reads the mode and the secret once per instance. Never throws: module-level code that threw would make every
 * request fail with Function Compute's own opaque error instead of ours, naming the variable.
 */
export function operatorAuthFromEnvironment(env: Env): OperatorAuth {
  const mode = (env[AUTH_MODE_VARIABLE] ?? '').trim() || 'function';
  if (mode === 'function') return { mode: 'function' };
  if (mode !== 'anonymous') {
    return {
      mode: 'misconfigured',
      status: 500,
      message: `${AUTH_MODE_VARIABLE} must be "function" or "anonymous"; the deployment sets something else, so every request is refused`,
    };
  }
  const token = (env[TOKEN_VARIABLE] ?? '').trim();
  if (token === '') {
    return {
      mode: 'misconfigured',
      status: 401,
      message: `this deployment is anonymous (${AUTH_MODE_VARIABLE}=anonymous) but has no token configured (${TOKEN_VARIABLE}): every request is refused`,
    };
  }
  registerSecret(token);
  if (token.length < MIN_TOKEN_LENGTH) {
    return {
      mode: 'misconfigured',
      status: 500,
      message: `${TOKEN_VARIABLE} is shorter than ${MIN_TOKEN_LENGTH} characters, too short to guard an anonymous deployment: every request is refused`,
    };
  }
  return { mode: 'anonymous', token };
}

/** What the caller proved. `link` grants `GET /status` and nothing else. */
export type Authorization =
  { ok: true; by: 'gateway' | 'token' | 'link' } | { ok: false; status: number; message: string };

export interface AuthRequest {
  method: string;
  path: string;
  /** Lower-cased names. */
  headers: Readonly<Record<string, string>>;
  query: Readonly<Record<string, string>>;
}

/** The route a signed link opens; the only one. */
const LINK_METHOD = 'GET';
const LINK_PATH = '/status';

export function authorize(auth: OperatorAuth, request: AuthRequest, now: Date): Authorization {
  if (auth.mode === 'function') return { ok: true, by: 'gateway' };
  if (auth.mode === 'misconfigured') return { ok: false, status: auth.status, message: auth.message };

  const header = request.headers.authorization;
  if (header !== undefined && header.trim() !== '') {
    const match = /^Bearer[ \t]+(\S+)\s*$/i.exec(header);
    if (!match) return refuse('the Authorization header must be "Bearer <token>"');
    return sameSecret(match[1] as string, auth.token)
      ? { ok: true, by: 'token' }
      : refuse('the bearer token is not the one this deployment accepts');
  }

  const { expires, sig } = request.query;
  if (expires !== undefined || sig !== undefined) {
    if (request.method !== LINK_METHOD || request.path !== LINK_PATH) {
      return refuse('a signed link opens GET /status only; this request needs a bearer token');
    }
    return checkStatusLink(auth.token, expires, sig, now);
  }
  return refuse(`this deployment requires "Authorization: Bearer <token>" (or a signed link for GET /status)`);
}

function refuse(message: string): Authorization {
  return { ok: false, status: 401, message };
}

/**
 * Constant time whatever the guess: both sides are hashed to 32 bytes first, so neither the length of the token nor
 * how much of a guess matches changes how long the comparison takes.
 */
export function sameSecret(presented: string, expected: string): boolean {
  const a = createHash('sha256').update(presented, 'utf8').digest();
  const b = createHash('sha256').update(expected, 'utf8').digest();
  return timingSafeEqual(a, b);
}

/**
 * Links are signed with a key derived from the token, not the token itself: a link then proves nothing about the
 * token, and a signature computed for one purpose can never be replayed as another.
 */
function linkKey(secret: string): Buffer {
  return createHmac('sha256', secret).update('status-link').digest();
}

function linkSignature(secret: string, expires: number): string {
  return createHmac('sha256', linkKey(secret))
    .update(`${LINK_METHOD} ${LINK_PATH}?expires=${expires}`)
    .digest('base64url');
}

function checkStatusLink(
  secret: string,
  expires: string | undefined,
  sig: string | undefined,
  now: Date,
): Authorization {
  if (expires === undefined || sig === undefined) {
    return refuse('a signed link needs both "expires" and "sig"');
  }
  if (!/^[0-9]{1,12}$/.test(expires)) return refuse('the link\'s "expires" is not a Unix time in seconds');
  const at = Number(expires);
  // The signature is checked before the times, so a forged link learns nothing from which check failed.
  if (!sameSecret(sig, linkSignature(secret, at))) return refuse("the link's signature does not match");
  const nowSeconds = Math.floor(now.getTime() / 1000);
  if (at <= nowSeconds) return refuse(`the link expired at ${new Date(at * 1000).toISOString()}`);
  // Only this deployment's secret signs links, and createStatusLink caps their life; a longer one was made some other
  // way and is refused rather than honoured for months.
  if (at - nowSeconds > MAX_LINK_TTL_SECONDS) {
    return refuse(`the link is valid for longer than ${MAX_LINK_TTL_SECONDS / 86_400} days, which no link may be`);
  }
  return { ok: true, by: 'link' };
}

/**
 * A link that opens the status page (or `GET /status` JSON) of an anonymous deployment for `ttlSeconds`, for
 * `slb-cert-rotator status --link`. `baseUrl` is the operator function's HTTP trigger URL.
 */
export function createStatusLink(baseUrl: string, secret: string, ttlSeconds: number, now: Date): string {
  if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1 || ttlSeconds > MAX_LINK_TTL_SECONDS) {
    throw new RangeError(`a status link's lifetime must be 1 to ${MAX_LINK_TTL_SECONDS} seconds (7 days)`);
  }
  if (secret.trim().length < MIN_TOKEN_LENGTH) {
    throw new RangeError(`${TOKEN_VARIABLE} must be at least ${MIN_TOKEN_LENGTH} characters to sign links`);
  }
  const url = URL.canParse(baseUrl) ? new URL(baseUrl) : undefined;
  if (
    url === undefined ||
    (url.protocol !== 'https:' && url.protocol !== 'http:') ||
    url.search !== '' ||
    url.hash !== '' ||
    url.username !== '' ||
    url.password !== '' ||
    (url.pathname !== '/' && url.pathname !== LINK_PATH)
  ) {
    // The signature covers the path the function sees, so a base URL with another path would produce a dead link.
    throw new RangeError('the base URL must be the HTTP trigger URL, http(s)://host[:port], without a path or query');
  }
  const expires = Math.floor(now.getTime() / 1000) + ttlSeconds;
  return `${url.origin}${LINK_PATH}?expires=${expires}&sig=${linkSignature(secret.trim(), expires)}`;
}
