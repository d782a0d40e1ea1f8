import type { RotatorContext } from '../fc/context.js';
import type { FcEvent } from '../fc/events.js';
import type { HttpResponse } from '../fc/middlewares.js';
import { BadRequestError } from '../fc/run-request.js';
import type { OperatorAuth } from './auth.js';
import { fcOperatorServices } from './fc-services.js';
import { handleOperatorRequest, type OperatorServices } from './router.js';

type Env = Readonly<Record<string, string | undefined>>;

/**
 * One invocation of the operator function. It has only an HTTP trigger; a timer or a direct invocation is a
 * deployment mistake and fails (Function Compute records the invocation as failed) rather than guessing a route.
 */
export async function handleOperatorInvocation(
  event: FcEvent,
  context: RotatorContext,
  auth: OperatorAuth,
  env: Env = process.env,
  services: OperatorServices = fcOperatorServices(env, context),
  now: () => Date = () => new Date(),
): Promise<HttpResponse> {
  if (event.kind !== 'http') {
    throw new BadRequestError(
      `the operator function answers its HTTP trigger only (GET /plan, GET /status, POST /rotate), not a ${event.kind} event`,
    );
  }
  return handleOperatorRequest(event, services, auth, now(), context.logger);
}
