import middy from '@middy/core';
import type { RotatorContext } from '../../shared/fc/context.js';
import type { FcEvent } from '../../shared/fc/events.js';
import { errorResponses, fcEventParser, invocationContext } from '../../shared/fc/middlewares.js';
import { handleRotateInvocation } from '../../shared/fc/rotate-invocation.js';
import { createLogger } from '../../shared/log/logger.js';

// Function Compute ships stdout to Log Service: logs and outcome records both go to fd 1 as JSON lines.
const logger = createLogger({ fd: 1, level: process.env.ROTATOR_LOG_LEVEL ?? 'info' });

/**
 * The rotation function: the daily timer trigger, the HTTP trigger (POST runs a rotation) and direct invocations.
 * middy's early time-out needs a Lambda-style context; the deadline is handled by `invocationContext` instead.
 */
export const handler = middy({ timeoutEarlyInMillis: 0 })
  .use(fcEventParser())
  .use(invocationContext({ logger }))
  .use(errorResponses())
  .handler((event: unknown, context: unknown) =>
    handleRotateInvocation(event as FcEvent, context as RotatorContext),
  ) as unknown as (event: Buffer, context: object) => Promise<unknown>;
