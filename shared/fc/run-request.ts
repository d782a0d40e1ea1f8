import { z } from 'zod';
import { formatPath } from '../config/load-config.js';
import type { FcEvent } from './events.js';

/** What a caller may ask of a run: the HTTP body, the timer payload and a direct invocation share one shape. */
const runRequestSchema = z
  .object({
    // An empty list is refused rather than read as "all": a caller who built the list from a filter that matched
    // nothing must not rotate every certificate.
    certificates: z
      .array(z.string().min(1))
      .min(1, 'an empty list selects nothing; leave "certificates" out to run every certificate')
      .max(100)
      .optional(),
    force: z.boolean().optional(),
  })
  .strict();

export type RunRequestBody = z.infer<typeof runRequestSchema>;

export class BadRequestError extends Error {
  override name = 'BadRequestError';
  constructor(
    message: string,
    readonly status = 400,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export function parseRunRequest(event: FcEvent): RunRequestBody {
  if (event.kind === 'http') {
    if (event.method !== 'POST') {
      throw new BadRequestError(`method ${event.method} not allowed: POST runs a rotation`, 405, { allow: 'POST' });
    }
    return parseBody(event.body, 'request body');
  }
  if (event.kind === 'timer') return parseBody(event.payload, 'timer payload');
  return validate(event.payload ?? {}, 'event');
}

function parseBody(text: string, what: string): RunRequestBody {
  if (text.trim() === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new BadRequestError(`${what} is not valid JSON: ${(err as Error).message}`);
  }
  return validate(value, what);
}

function validate(value: unknown, what: string): RunRequestBody {
  const result = runRequestSchema.safeParse(value);
  if (result.success) return result.data;
  const problems = result.error.issues.map((i) => {
    const field = formatPath(i.path) || '(body)';
    return i.code === 'unrecognized_keys' ? `unknown field(s) ${i.keys.join(', ')}` : `${field}: ${i.message}`;
  });
  throw new BadRequestError(
    `${what}: ${problems.join('; ')} (expected {"certificates"?: string[], "force"?: boolean})`,
  );
}
