import { jsonLineSink, memorySink, teeSink } from '../log/outcome-sink.js';
import { ConfigError } from '../errors.js';
import { selectCertificates } from '../rotation/run-rotation.js';
import { composeRotator } from '../runtime/compose.js';
import { configLoaderFromEnvironment } from '../runtime/config-source.js';
import { credentialsFromFcContext } from '../runtime/credentials.js';
import { serviceSettingsFromEnvironment } from '../runtime/settings-from-env.js';
import type { RotatorContext } from './context.js';
import type { FcEvent } from './events.js';
import { type HttpResponse, jsonResponse } from './middlewares.js';
import { BadRequestError, parseRunRequest } from './run-request.js';

type Env = Readonly<Record<string, string | undefined>>;

const configFor = configLoaderFromEnvironment();

/**
 * The run this instance is doing now. The deployment allows one instance and one request per instance
 * (s.yaml: reservedConcurrency 1, instanceConcurrency 1), so Function Compute itself turns away a second call; this
 * guard says so in our own words if one ever reaches a busy instance (another deployment's settings, a local run).
 */
let running: { trigger: string; since: string } | undefined;

/**
 * One invocation of the rotation function, whatever the trigger: parse the request, load the configuration, wire
 * the adapters with this invocation's credentials, run, and answer in the trigger's terms.
 */
export async function handleRotateInvocation(event: FcEvent, context: RotatorContext, env: Env = process.env) {
  const request = parseRunRequest(event);
  if (running) {
    throw new BadRequestError(
      `a rotation run is in progress (trigger ${running.trigger}, since ${running.since}): try again when it has finished`,
      409,
    );
  }
  running = { trigger: event.kind, since: new Date().toISOString() };
  try {
    return await run(event, request, context, env);
  } finally {
    running = undefined;
  }
}

async function run(event: FcEvent, request: ReturnType<typeof parseRunRequest>, context: RotatorContext, env: Env) {
  const config = await configFor(env);
  // The caller's mistakes first: a name that is not configured is a 400 whatever else is wrong with the instance.
  try {
    selectCertificates(config, request.certificates);
  } catch (err) {
    if (err instanceof ConfigError) throw new BadRequestError(err.issues.join('; '));
    throw err;
  }
  // Then the deployment's: every bad variable named at once, before credentials are looked at.
  serviceSettingsFromEnvironment(env);
  const collected = memorySink();
  const rotator = composeRotator({
    config,
    env,
    credentials: credentialsFromFcContext(context.credentials, env),
    logger: context.logger,
    sink: teeSink(jsonLineSink(1), collected),
  });
  const result = await rotator.run({
    trigger: event.kind,
    force: request.force === true,
    ...(request.certificates ? { certificates: request.certificates } : {}),
    signal: context.deadline,
  });
  if (event.kind === 'http') {
    return jsonResponse(200, { summary: result.summary, outcomes: result.records }) satisfies HttpResponse;
  }
  return result.summary;
}
