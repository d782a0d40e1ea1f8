import type { HttpEvent } from '../fc/events.js';
import { type HttpResponse, jsonResponse, toHttpError } from '../fc/middlewares.js';
import { BadRequestError } from '../fc/run-request.js';
import { type Logger, silentLogger } from '../log/logger.js';
import type { RunPlan } from '../plan/types.js';
import type { PlanRequest, StatusRequest } from '../runtime/compose.js';
import { STATUS_PAGE_CSP } from '../status/page.js';
import type { StatusReport } from '../status/types.js';
import { authorize, type OperatorAuth } from './auth.js';
import { asyncTaskIdFor, idempotencyKeyOf } from './idempotency.js';
import { statusFormat } from './negotiate.js';
import { booleanFlag, nameList, parseQuery, parseRotateBody } from './request.js';

/** What a real `POST /rotate` asks the rotation function to do; it goes there as the invocation's payload. */
export interface RotationStart {
  certificates?: string[];
  force: boolean;
}

/** Queued now (its invocation id), or queued before under the same task id (a retried request): nothing new. */
export type RotationStarted = { invocationId: string } | { alreadyStarted: true };

/** Everything the operator API does, behind one seam so the router can be tested without a cloud. */
export interface OperatorServices {
  plan(request: PlanRequest): Promise<RunPlan>;
  status(request: StatusRequest): Promise<StatusReport>;
  /**
   * Queues an asynchronous invocation of the rotation function; resolves once Function Compute accepted it. With a
   * `taskId` Function Compute queues at most one invocation per id: a repeat resolves `{alreadyStarted: true}`.
   */
  startRotation(request: RotationStart, options?: { taskId?: string }): Promise<RotationStarted>;
  renderStatusPage(report: StatusReport): string;
  /** The configured names, to refuse unknown ones before anything is asked of the cloud. */
  certificateNames(): readonly string[] | Promise<readonly string[]>;
}

type Handler = (event: HttpEvent, services: OperatorServices) => Promise<HttpResponse>;

/** Path → method → handler. HEAD is not served: the trigger admits GET and POST only, and a plan is not free. */
const ROUTES: Record<string, Record<string, Handler>> = {
  '/plan': { GET: getPlan },
  '/status': { GET: getStatus },
  '/rotate': { POST: postRotate },
};

const ROUTE_LIST = Object.entries(ROUTES)
  .flatMap(([path, methods]) => Object.keys(methods).map((m) => `${m} ${path}`))
  .join(', ');

/** Answers never leave a copy in a proxy or browser cache: they describe live state, and a link is a credential. */
const NO_STORE = { 'cache-control': 'no-store' };

/**
 * The operator API: `GET /plan`, `GET /status`, `POST /rotate`. Authorization comes first, so a caller without
 * credentials learns nothing and causes nothing (no configuration is read, no cloud API is called); then the route,
 * the input, the certificate names; only then is a service asked for anything. Every answer is JSON except the status
 * page; every failure is `{error: {message, …}}` as the rotation function answers.
 */
export async function handleOperatorRequest(
  event: HttpEvent,
  services: OperatorServices,
  auth: OperatorAuth,
  now: Date,
  logger: Logger = silentLogger,
): Promise<HttpResponse> {
  const path = normalisePath(event.path);
  const granted = authorize(auth, { method: event.method, path, headers: event.headers, query: event.query }, now);
  if (!granted.ok) {
    logger.warn({ method: event.method, path, status: granted.status }, 'operator request refused: not authorized');
    return withHeaders(
      jsonResponse(granted.status, { error: { message: granted.message } }),
      granted.status === 401 ? { ...NO_STORE, 'www-authenticate': 'Bearer realm="slb-cert-rotator"' } : NO_STORE,
    );
  }
  try {
    const methods = ROUTES[path];
    if (!methods) throw new BadRequestError(`no route ${event.method} ${path}; the routes are ${ROUTE_LIST}`, 404);
    const handler = methods[event.method];
    if (!handler) {
      const allow = Object.keys(methods).join(', ');
      throw new BadRequestError(`method ${event.method} not allowed on ${path}; allowed: ${allow}`, 405, { allow });
    }
    return withHeaders(await handler({ ...event, path }, services), NO_STORE);
  } catch (err) {
    const response = toHttpError(err);
    if (response.statusCode < 500) logger.warn({ err, method: event.method, path }, 'operator request refused');
    else logger.error({ err, method: event.method, path }, 'operator request failed');
    return withHeaders(response, NO_STORE);
  }
}

async function getPlan(event: HttpEvent, services: OperatorServices): Promise<HttpResponse> {
  const query = parseQuery<{ certificates: string[]; force: boolean }>(event.query, {
    certificates: nameList,
    force: booleanFlag,
  });
  await checkNames(services, query.certificates);
  const plan = await services.plan({
    ...(query.certificates ? { certificates: query.certificates } : {}),
    ...(query.force !== undefined ? { force: query.force } : {}),
  });
  return jsonResponse(200, plan);
}

async function getStatus(event: HttpEvent, services: OperatorServices): Promise<HttpResponse> {
  const query = parseQuery<{ certificates: string[]; wire: boolean; format: string }>(
    event.query,
    { certificates: nameList, wire: booleanFlag, format: (raw) => raw },
    // A signed link's own parameters: checked (and consumed) by authorization.
    ['expires', 'sig'],
  );
  const format = statusFormat(event.headers.accept, query.format);
  await checkNames(services, query.certificates);
  const report = await services.status({
    ...(query.certificates ? { certificates: query.certificates } : {}),
    ...(query.wire !== undefined ? { wire: query.wire } : {}),
  });
  const vary = { vary: 'accept' };
  if (format === 'json') return jsonResponse(200, report, vary);
  return {
    statusCode: 200,
    headers: {
      'content-type': 'text/html; charset=utf-8',
      'content-security-policy': STATUS_PAGE_CSP,
      'x-content-type-options': 'nosniff',
      // A signed link sits in the address bar; the page loads nothing, but a clicked link must not carry it along.
      'referrer-policy': 'no-referrer',
      ...vary,
    },
    body: services.renderStatusPage(report),
  };
}

async function postRotate(event: HttpEvent, services: OperatorServices): Promise<HttpResponse> {
  if (Object.keys(event.query).length > 0) {
    throw new BadRequestError(
      `POST /rotate reads its options from the JSON body, not the query string (got ${Object.keys(event.query)
        .map((k) => JSON.stringify(k))
        .join(', ')})`,
    );
  }
  const key = idempotencyKeyOf(event.headers);
  const body = parseRotateBody(event.body);
  await checkNames(services, body.certificates);
  const selection = body.certificates ? { certificates: body.certificates } : {};
  if (body.dryRun === true) {
    return jsonResponse(200, await services.plan({ ...selection, force: body.force === true }));
  }
  const request: RotationStart = { ...selection, force: body.force === true };
  const started = await services.startRotation(request, key === undefined ? {} : { taskId: asyncTaskIdFor(key) });
  // A repeat answers what is true now: the run this key names was queued before. FC does not say which invocation
  // that was, so there is no id to return; 200 rather than 202, because this request itself queued nothing.
  if ('alreadyStarted' in started) return jsonResponse(200, { alreadyStarted: true, request });
  return jsonResponse(202, { invocationId: started.invocationId, request });
}

/** Unknown names are the caller's mistake, reported with the configured ones before any service is asked. */
async function checkNames(services: OperatorServices, names: readonly string[] | undefined): Promise<void> {
  if (!names) return;
  const known = await services.certificateNames();
  const unknown = [...new Set(names)].filter((n) => !known.includes(n));
  if (unknown.length > 0) {
    throw new BadRequestError(
      `certificates: unknown name(s) ${unknown.map((n) => JSON.stringify(n)).join(', ')}; configured: ${known.join(', ')}`,
    );
  }
}

/** `/status/` is `/status`; the root stays `/`. */
function normalisePath(path: string): string {
  const trimmed = path.replace(/\/+$/, '');
  return trimmed === '' ? '/' : trimmed;
}

function withHeaders(response: HttpResponse, headers: Record<string, string>): HttpResponse {
  return { ...response, headers: { ...response.headers, ...headers } };
}
