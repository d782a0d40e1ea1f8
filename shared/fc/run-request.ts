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

/**
 * A fan-out worker's event, from the coordinator (shared/fleet/coordinate.ts): its partition's certificates and the
 * run and task it belongs to. Only a direct invocation may carry it; anything malformed is refused as a whole rather
 * than read as "run everything".
 */
const workerRequestSchema = z
  .object({
    mode: z.literal('worker'),
    certificates: z.array(z.string().min(1)).min(1, 'a worker needs at least one certificate').max(100),
    force: z.literal(true).optional(),
    fanout: z
      .object({
        runId: z.string().regex(/^[A-Za-z0-9-]{1,64}$/, 'letters, digits and - (at most 64)'),
        partition: z.string().regex(/^[0-9a-f]{12}$/, '12 hex digits'),
        taskId: z.string().regex(/^[A-Za-z0-9_.:-]{1,128}$/, 'letters, digits and _ . : - (at most 128)'),
      })
      .strict(),
  })
  .strict()
  .refine((w) => w.fanout.taskId === `${w.fanout.runId}-${w.fanout.partition}`, {
    path: ['fanout', 'taskId'],
    message: 'is not <runId>-<partition>',
  });

export type WorkerRequest = z.infer<typeof workerRequestSchema>;

/** What the invocation is asked to do: a run (every trigger), or, for a direct invocation, a fan-out worker's part. */
export type InvocationRequest =
  (RunRequestBody & { worker?: undefined }) | (RunRequestBody & { worker: WorkerRequest });

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

export function parseRunRequest(event: FcEvent): InvocationRequest {
  if (event.kind === 'http') {
    if (event.method !== 'POST') {
      throw new BadRequestError(`method ${event.method} not allowed: POST runs a rotation`, 405, { allow: 'POST' });
    }
    return parseBody(event.body, 'request body');
  }
  if (event.kind === 'timer') return parseBody(event.payload, 'timer payload');
  const payload = event.payload ?? {};
  if (payload !== null && typeof payload === 'object' && 'mode' in payload) return parseWorker(payload);
  return validate(payload, 'event');
}

function parseWorker(value: object): InvocationRequest {
  const result = workerRequestSchema.safeParse(value);
  if (result.success) {
    const worker = result.data;
    return { certificates: worker.certificates, ...(worker.force ? { force: true } : {}), worker };
  }
  throw new BadRequestError(
    `worker event: ${describeIssues(result.error.issues).join('; ')} (expected {"mode":"worker","certificates":string[],"force"?:true,"fanout":{"runId","partition","taskId"}})`,
  );
}

function describeIssues(issues: readonly z.core.$ZodIssue[]): string[] {
  return issues.map((i) => {
    const field = formatPath(i.path) || '(event)';
    return i.code === 'unrecognized_keys'
      ? `${field}: unknown field(s) ${i.keys.join(', ')}`
      : `${field}: ${i.message}`;
  });
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
