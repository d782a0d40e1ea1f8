import type { RotatorContext } from '../fc/context.js';
import { functionInvokerFromContext } from '../fc/invoker-from-context.js';
import { jsonLineSink } from '../log/outcome-sink.js';
import { composeRotator, type Rotator } from '../runtime/compose.js';
import { configLoaderFromEnvironment } from '../runtime/config-source.js';
import { credentialsFromFcContext } from '../runtime/credentials.js';
import { renderStatusPage } from '../status/page.js';
import type { OperatorServices } from './router.js';
import { rotationStarter } from './start-rotation.js';

type Env = Readonly<Record<string, string | undefined>>;

export const ROTATE_FUNCTION_VARIABLE = 'ROTATOR_ROTATE_FUNCTION';
/** s.yaml's `functionName` of the rotation function. */
export const DEFAULT_ROTATE_FUNCTION = 'slb-cert-rotator';

const configFor = configLoaderFromEnvironment();

/**
 * The operator function's services for one invocation. Everything is built on first use, so a request the router
 * turns away (no credentials, wrong route, bad input) reads no configuration and touches no credentials.
 *
 * A real rotation is not run here but queued as an asynchronous invocation of the rotation function: that function
 * keeps its one-run-at-a-time settings (one instance, one request) and its 900 s budget, and this one stays free to
 * answer `GET /status` while the run goes on.
 */
export function fcOperatorServices(env: Env, context: RotatorContext): OperatorServices {
  let rotator: Promise<Rotator> | undefined;
  const rotatorFor = () =>
    (rotator ??= configFor(env).then((config) =>
      composeRotator({
        config,
        env,
        credentials: credentialsFromFcContext(context.credentials, env),
        logger: context.logger,
        sink: jsonLineSink(1),
      }),
    ));
  return {
    certificateNames: async () => (await configFor(env)).certificates.map((c) => c.name),
    plan: async (request) => (await rotatorFor()).plan(request),
    status: async (request) => (await rotatorFor()).status(request),
    renderStatusPage: (report) => renderStatusPage(report),
    async startRotation(request, options) {
      const target = env[ROTATE_FUNCTION_VARIABLE]?.trim() || DEFAULT_ROTATE_FUNCTION;
      const invoker = functionInvokerFromContext(
        context,
        env,
        'the invocation context names no accountId or region: the operator function must run on Function Compute to start a rotation',
      );
      return rotationStarter(invoker, target)(request, options);
    },
  };
}
