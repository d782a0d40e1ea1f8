import { z } from 'zod';
import { formatPath } from '../config/load-config.js';
import { BadRequestError } from '../fc/run-request.js';

/** Far more than any real request (100 names of 60 characters is about 6.5 KiB); anything bigger is not a mistake. */
export const MAX_BODY_BYTES = 16 * 1024;

const rotateBodySchema = z
  .object({
    // An empty list is refused rather than read as "all", as the rotation function does.
    certificates: z
      .array(z.string().min(1))
      .min(1, 'an empty list selects nothing; leave "certificates" out to rotate every certificate')
      .max(100)
      .optional(),
    force: z.boolean().optional(),
    dryRun: z.boolean().optional(),
  })
  .strict();

export type RotateBody = z.infer<typeof rotateBodySchema>;

/** `POST /rotate`'s body: empty means `{}`. */
export function parseRotateBody(text: string): RotateBody {
  const size = Buffer.byteLength(text, 'utf8');
  if (size > MAX_BODY_BYTES) {
    throw new BadRequestError(`request body is ${size} bytes; the limit is ${MAX_BODY_BYTES} bytes (16 KiB)`, 413);
  }
  if (text.trim() === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new BadRequestError(`request body is not valid JSON: ${(err as Error).message}`);
  }
  const result = rotateBodySchema.safeParse(value);
  if (result.success) return result.data;
  const problems = result.error.issues.map((i) => {
    const field = formatPath(i.path) || '(body)';
    return i.code === 'unrecognized_keys' ? `unknown field(s) ${i.keys.join(', ')}` : `${field}: ${i.message}`;
  });
  throw new BadRequestError(
    `request body: ${problems.join('; ')} (expected {"certificates"?: string[], "force"?: boolean, "dryRun"?: boolean})`,
  );
}

/** Query parameters a route reads, by name, each a parser of the raw value. */
type QueryParsers<T> = { [K in keyof T]-?: (raw: string, name: string) => T[K] };

/**
 * Reads the query string of a GET route. Unknown parameters are named rather than ignored: `?certificate=shop`
 * (singular) silently showing every certificate would look like an answer to the question asked.
 * `ignored` lists parameters consumed elsewhere (the signed link's `expires` and `sig`).
 */
export function parseQuery<T extends object>(
  query: Readonly<Record<string, string>>,
  parsers: QueryParsers<T>,
  ignored: readonly string[] = [],
): Partial<T> {
  const out: Partial<T> = {};
  const unknown: string[] = [];
  for (const [name, raw] of Object.entries(query)) {
    if (ignored.includes(name)) continue;
    if (!Object.hasOwn(parsers, name)) {
      unknown.push(name);
      continue;
    }
    const parse = parsers[name as keyof T];
    out[name as keyof T] = parse(raw, name);
  }
  if (unknown.length > 0) {
    throw new BadRequestError(
      `unknown query parameter(s) ${unknown.map((n) => JSON.stringify(n)).join(', ')}; this route reads ${Object.keys(parsers).join(', ')}`,
    );
  }
  return out;
}

/** `a,b` (FC joins a repeated parameter with commas, so `?certificates=a&certificates=b` reads the same). */
export function nameList(raw: string, name: string): string[] {
  const names = raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (names.length === 0) {
    throw new BadRequestError(`query parameter "${name}" lists no names; leave it out to select every certificate`);
  }
  return names;
}

export function booleanFlag(raw: string, name: string): boolean {
  const value = raw.trim().toLowerCase();
  if (value === 'true' || value === '1' || value === '') return true;
  if (value === 'false' || value === '0') return false;
  throw new BadRequestError(`query parameter "${name}" must be true or false`);
}
