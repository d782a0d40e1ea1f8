import { Fc2FunctionInvoker } from '../adapters/fc/fc2-function-invoker.js';
import { fcEndpointOverride } from '../adapters/fc/fc-endpoint.js';
import { ConfigError } from '../errors.js';
import { credentialsFromFcContext } from '../runtime/credentials.js';
import type { FcContext } from './context.js';

/**
 * A FunctionInvoker for functions of the account and region this invocation runs in, signed with its role's
 * credentials. Outside Function Compute the context names no account or region: `missing` is the ConfigError's
 * message, which says what the caller needed the invoker for.
 */
export function functionInvokerFromContext(
  context: Pick<FcContext, 'accountId' | 'region' | 'credentials'>,
  env: Readonly<Record<string, string | undefined>>,
  missing: string,
): Fc2FunctionInvoker {
  if (!context.accountId || !context.region) throw new ConfigError([missing]);
  return new Fc2FunctionInvoker({
    accountId: context.accountId,
    region: context.region,
    credentials: credentialsFromFcContext(context.credentials, env),
    stage: 'invoke',
    endpoint: fcEndpointOverride(env),
  });
}
