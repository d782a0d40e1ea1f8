import middy from '@middy/core';
import type { RotatorContext } from '../../shared/fc/context.js';
import type { FcEvent } from '../../shared/fc/events.js';
import { errorResponses, fcEventParser, invocationContext } from '../../shared/fc/middlewares.js';
import { handleRotateInvocation } from '../../shared/fc/rotate-invocation.js';
import { createLogger } from '../../shared/log/logger.js';
import { logLevelFromEnvironment } from '../../shared/runtime/settings-from-env.js';

// Module-level code runs once per instance and must not throw with any environment: a bad level is one warning.
const { level, warning } = logLevelFromEnvironment(process.env);
// Function Compute ships stdout to Log Service: logs and outcome records both go to fd 1 as JSON lines.
const logger = createLogger({ fd: 1, level });
if (warning) logger.warn({ variable: 'ROTATOR_LOG_LEVEL' }, warning);

/**
 * The rotation function: the daily timer trigger, the HTTP trigger (POST runs a rotation) and direct invocations.
 * middy's early time-out needs a Lambda-style context; the deadline is handled by `invocationContext` instead.
 * `invocationContext` comes first so that even an unparsable event is logged through the project's logger.
 */
export const handler = middy({ timeoutEarlyInMillis: 0 })
  .use(invocationContext({ logger }))
  .use(fcEventParser())
  .use(errorResponses({ logger }))
  .handler((event: unknown, context: unknown) =>
    handleRotateInvocation(event as FcEvent, context as RotatorContext),
  ) as unknown as (event: Buffer, context: object) => Promise<unknown>;
