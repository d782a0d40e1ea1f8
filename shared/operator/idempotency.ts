import { createHash } from 'node:crypto';
import { BadRequestError } from '../fc/run-request.js';

/** The header a client sets so that repeating `POST /rotate` (after a lost answer) starts at most one run. */
export const IDEMPOTENCY_HEADER = 'Idempotency-Key';
export const MAX_IDEMPOTENCY_KEY_LENGTH = 64;

/**
 * What is wrong with a key, in words, or undefined when it is usable. Printable ASCII only: it travels as one header
 * value. No comma: Function Compute hands the function a repeated header comma-joined, so `a, b` may be two keys,
 * and guessing which one counts would make the retry start a second run. The IETF draft's quoted form (`"key"`) is
 * taken as the key inside the quotes.
 */
export function idempotencyKeyProblem(key: string): string | undefined {
  if (key.length === 0) return 'is empty';
  if (key.length > MAX_IDEMPOTENCY_KEY_LENGTH) {
    return `is ${key.length} characters; at most ${MAX_IDEMPOTENCY_KEY_LENGTH}`;
  }
  if (!/^[\x20-\x7e]+$/.test(key)) return 'must be printable ASCII (a UUID is a good key)';
  if (key.includes(',')) return 'must not contain a comma (a repeated header arrives comma-joined)';
  return undefined;
}

/** The key from a request's (lower-cased) headers; a bad one is a 400 naming the header and what is wrong. */
export function idempotencyKeyOf(headers: Readonly<Record<string, string>>): string | undefined {
  const raw = headers[IDEMPOTENCY_HEADER.toLowerCase()];
  if (raw === undefined) return undefined;
  const trimmed = raw.trim();
  const key = /^"[^"]*"$/.test(trimmed) ? trimmed.slice(1, -1) : trimmed;
  const problem = idempotencyKeyProblem(key);
  // The value is not echoed: a key is the client's to choose, and some put more in it than they should.
  if (problem) throw new BadRequestError(`header ${IDEMPOTENCY_HEADER} ${problem}`);
  return key;
}

/**
 * The `x-fc-async-task-id` for a key. Function Compute starts at most one asynchronous task per id, so a repeated
 * key starts nothing. Hashed rather than passed through: a key may hold characters the task id may not, and a fixed
 * prefix keeps these ids apart from any other task ids the rotation function is given (the fan-out's).
 * How long Function Compute remembers a task id is UNCONFIRMED: a key is for retrying one request, not for all time.
 */
export function asyncTaskIdFor(key: string): string {
  return `rotate-key-${createHash('sha256').update(key, 'utf8').digest('hex').slice(0, 48)}`;
}
