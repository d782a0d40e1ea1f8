import middy from '@middy/core';
import type { RotatorContext } from '../../shared/fc/context.js';
import type { FcEvent } from '../../shared/fc/events.js';
import { errorResponses, fcEventParser, invocationContext } from '../../shared/fc/middlewares.js';
import { createLogger } from '../../shared/log/logger.js';
import { operatorAuthFromEnvironment } from '../../shared/operator/auth.js';
import { handleOperatorInvocation } from '../../shared/operator/operator-invocation.js';
import { logLevelFromEnvironment } from '../../shared/runtime/settings-from-env.js';

// Module-level code runs once per instance and must not throw with any environment: a bad level is one warning, a
// bad auth setting refuses every request with a message naming the variable.
const { level, warning } = logLevelFromEnvironment(process.env);
// Function Compute ships stdout to Log Service: logs go to fd 1 as JSON lines.
const logger = createLogger({ fd: 1, level });
if (warning) logger.warn({ variable: 'ROTATOR_LOG_LEVEL' }, warning);
// Read once: the mode and the token change only with a deployment (and registering the token for redaction once).
const auth = operatorAuthFromEnvironment(process.env);
if (auth.mode === 'misconfigured') logger.error({ status: auth.status }, auth.message);

/**
 * The operator function: the HTTP API (GET /plan, GET /status, POST /rotate) beside the rotation function, with the
 * same middlewares. It runs several requests at once (s.yaml), so it answers while a rotation runs.
 */
export const handler = middy({ timeoutEarlyInMillis: 0 })
  .use(invocationContext({ logger }))
  .use(fcEventParser())
  .use(errorResponses({ logger }))
  .handler((event: unknown, context: unknown) =>
    handleOperatorInvocation(event as FcEvent, context as RotatorContext, auth),
  ) as unknown as (event: Buffer, context: object) => Promise<unknown>;
