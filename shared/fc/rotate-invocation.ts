import { jsonLineSink, memorySink, teeSink } from '../log/outcome-sink.js';
import { ConfigError, RotatorError } from '../errors.js';
import { coordinateFanout } from '../fleet/coordinate.js';
import { fanoutLineWriter } from '../fleet/fanout-record.js';
import { fanoutRunId } from '../fleet/run-id.js';
import { dueCertificates } from '../fleet/partition.js';
import { decideFanout, type FanoutSettings, fanoutSettingsFromEnvironment, maxPerWorker } from '../fleet/settings.js';
import type { Rotator } from '../runtime/compose.js';
import { selectCertificates } from '../rotation/run-rotation.js';
import { composeRotator } from '../runtime/compose.js';
import { configLoaderFromEnvironment } from '../runtime/config-source.js';
import { credentialsFromFcContext } from '../runtime/credentials.js';
import { serviceSettingsFromEnvironment } from '../runtime/settings-from-env.js';
import type { RotatorContext } from './context.js';
import type { FcEvent } from './events.js';
import { functionInvokerFromContext } from './invoker-from-context.js';
import { type HttpResponse, jsonResponse } from './middlewares.js';
import { BadRequestError, type InvocationRequest, parseRunRequest } from './run-request.js';

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

async function run(event: FcEvent, request: InvocationRequest, context: RotatorContext, env: Env) {
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
  const fanout = fanoutSettingsFromEnvironment(env);
  const collected = memorySink();
  const rotator = composeRotator({
    config,
    env,
    credentials: credentialsFromFcContext(context.credentials, env),
    logger: context.logger,
    sink: teeSink(jsonLineSink(1), collected),
  });
  if (event.kind === 'timer' && fanout.mode !== 'never') {
    const coordinated = await coordinate(event, request, context, env, fanout, rotator, config);
    if (coordinated) return coordinated;
  }
  const result = await rotator.run({
    // A worker's records say that they belong to a fanned-out run; its `fanout` fields are in the coordinator's record.
    trigger: request.worker ? 'fanout' : event.kind,
    force: request.force === true,
    ...(request.certificates ? { certificates: request.certificates } : {}),
    // Function Compute retries a failed worker with the same event: the same holder re-enters its own leases.
    ...(request.worker ? { leaseHolder: `fanout-${request.worker.fanout.taskId}` } : {}),
    signal: context.deadline,
  });
  if (event.kind === 'http') {
    return jsonResponse(200, { summary: result.summary, outcomes: result.records }) satisfies HttpResponse;
  }
  return result.summary;
}

/**
 * The timer's run as a coordinator: plan, and when the due work does not fit this invocation (or fan-out is
 * `always`), start one worker per partition and answer with the `rotation.fanout` record. Undefined when the run
 * stays in this invocation.
 */
async function coordinate(
  event: Extract<FcEvent, { kind: 'timer' }>,
  request: InvocationRequest,
  context: RotatorContext,
  env: Env,
  settings: FanoutSettings,
  rotator: Rotator,
  config: Awaited<ReturnType<typeof configFor>>,
) {
  const started = Date.now();
  const force = request.force === true;
  const selected = selectCertificates(config, request.certificates);
  const timeoutSeconds = context.function?.timeout ?? 900;
  const remainingMs = context.getRemainingTimeInMillis?.() ?? timeoutSeconds * 1000;
  // Even if every selected certificate were due it would fit: no need to read anything twice.
  if (!decideFanout(settings, selected.length, remainingMs).fanOut) return undefined;
  const plan = await rotator.plan({
    force,
    ...(request.certificates ? { certificates: request.certificates } : {}),
    signal: context.deadline,
  });
  const decision = decideFanout(
    settings,
    dueCertificates(plan).size,
    context.getRemainingTimeInMillis?.() ?? remainingMs,
  );
  context.logger.info({ fanOut: decision.fanOut, reason: decision.reason }, 'fan-out decision');
  if (!decision.fanOut) return undefined;
  const offFc =
    "fan-out needs the invocation context's function name, accountId and region: the function must run on Function Compute (or set ROTATOR_FANOUT=never)";
  const workerFunction = settings.workerFunction ?? context.function?.name;
  if (!workerFunction) throw new ConfigError([offFc]);
  const invoker = functionInvokerFromContext(context, env, offFc);
  const record = await coordinateFanout({
    runId: fanoutRunId(event),
    trigger: event.kind,
    mode: settings.mode,
    reason: decision.reason,
    certificates: selected,
    plan,
    // The workers run the same code with the same timeout (s.yaml): this invocation's timeout bounds theirs.
    maxPerWorker: maxPerWorker(settings, timeoutSeconds),
    workerFunction,
    force,
    invoker,
    write: fanoutLineWriter(1),
    clock: () => new Date(),
  });
  await rotator.afterFanout({
    certificates: dueCertificates(plan).size,
    ok: record.ok,
    durationMs: Date.now() - started,
  });
  if (!record.ok) {
    // Failing the invocation makes Function Compute retry it; the retry skips the partitions already started.
    const failed = record.partitions.filter((p) => p.error !== undefined).map((p) => p.key);
    throw new RotatorError('invoke', `fan-out: partition(s) ${failed.join(', ')} could not be started`, {
      retryable: true,
    });
  }
  return record;
}
