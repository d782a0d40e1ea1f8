import type Fc2Client from '@alicloud/fc2';
import { CloudApiError, CredentialsError, type Stage } from '../../errors.js';
import {
  ASYNC_TASK_ALREADY_EXISTS,
  type FunctionInvoker,
  type InvokeAsyncOptions,
} from '../../ports/function-invoker.js';
import type { CredentialsProvider } from '../../runtime/credentials.js';
import { type BackoffPolicy, backoffDelay } from '../../util/backoff.js';

/** FC 3.0's API version: fc2 prefixes every path with it and signs the prefixed path. */
export const FC3_API_VERSION = '2023-03-30';

const ACTION = 'InvokeFunction';
/** A request that failed in a way that is safe to repeat is sent again for up to 2 s, after 0.25 to 0.5 s at first. */
const RETRY: BackoffPolicy = { baseMs: 500, maxDelayMs: 1_000, budgetMs: 2_000 };
const TRANSPORT_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EAI_AGAIN', 'EPIPE', 'ENOTFOUND']);
// FC 3.0 names functions with letters, digits, `_` and `-` (1–64, not starting with a digit or `-`); anything else
// would change the path fc2 signs, so it is refused before a request is made.
const FUNCTION_NAME = /^[A-Za-z_][A-Za-z0-9_-]{0,63}$/;
// The id goes into a header: printable ASCII without separators keeps it one header value. The exact rule FC
// applies to x-fc-async-task-id is UNCONFIRMED.
const TASK_ID = /^[A-Za-z0-9_.:-]{1,128}$/;

export interface Fc2FunctionInvokerOptions {
  /** The account that owns the function (FC's `context.accountId`): part of the endpoint and a signed header. */
  accountId: string;
  region: string;
  credentials: CredentialsProvider;
  /** The stage failures are reported under. */
  stage: Stage;
  /** From `fcEndpointOverride(env)`; the account's regional endpoint over https when absent. */
  endpoint?: string;
  timeoutMs?: number;
}

type Fc2Constructor = typeof Fc2Client;

/**
 * FunctionInvoker over @alicloud/fc2 driving the FC 3.0 API, as the Serverless Devs fc3 component does: an fc2 client
 * whose `version` is `2023-03-30`, `POST /functions/<name>/invocations` with `x-fc-invocation-type: Async`. That
 * FC 3.0 accepts fc2's `FC` signature on InvokeFunction is inferred from that component's use, not documented: it is
 * kept in this one file. fc2 is loaded on first use; it pulls in ali-oss and axios, which a run that never invokes
 * should not pay for at cold start.
 */
export class Fc2FunctionInvoker implements FunctionInvoker {
  readonly #options: Fc2FunctionInvokerOptions;
  #fc2: Promise<Fc2Constructor> | undefined;

  constructor(options: Fc2FunctionInvokerOptions) {
    this.#options = options;
  }

  async invokeAsync(
    functionName: string,
    payload: unknown,
    options: InvokeAsyncOptions = {},
  ): Promise<{ invocationId: string }> {
    const { stage } = this.#options;
    if (!FUNCTION_NAME.test(functionName)) {
      throw new CloudApiError(stage, ACTION, `${ACTION}: not a Function Compute function name`, { retryable: false });
    }
    if (options.taskId !== undefined && !TASK_ID.test(options.taskId)) {
      throw new CloudApiError(
        stage,
        ACTION,
        `${ACTION} ${functionName}: the async task id must be 1-128 letters, digits or _ . : -`,
        { retryable: false },
      );
    }
    if (options.qualifier !== undefined && !/^[A-Za-z0-9_-]{1,128}$/.test(options.qualifier)) {
      throw new CloudApiError(stage, ACTION, `${ACTION} ${functionName}: not a version or alias name`, {
        retryable: false,
      });
    }
    const body = JSON.stringify(payload ?? {});
    if (body === undefined) {
      throw new CloudApiError(stage, ACTION, `${ACTION} ${functionName}: the payload is not JSON-serialisable`);
    }
    const client = await this.#client();
    const headers: Record<string, string> = { 'x-fc-invocation-type': 'Async' };
    if (options.taskId !== undefined) headers['x-fc-async-task-id'] = options.taskId;
    const query = options.qualifier === undefined ? null : { qualifier: options.qualifier };
    let response: Awaited<ReturnType<Fc2Client['request']>> | undefined;
    // A failure that is safe to repeat is repeated (RETRY): fc2 takes no agent, so a kept-alive connection the
    // server closed while idle (a warm instance's next request) resets the first request sent on it. A retry whose
    // first attempt was queued after all finds its task id taken, which callers read as "already started".
    const started = Date.now();
    for (let retry = 1; response === undefined; retry++) {
      try {
        response = await client.request('POST', `/functions/${functionName}/invocations`, query, body, headers, {});
      } catch (err) {
        const failure = this.#mapError(functionName, err, options.taskId !== undefined);
        const wait = failure.retryable ? backoffDelay(RETRY, retry, Date.now() - started) : undefined;
        if (wait === undefined) throw failure;
        await new Promise((resolve) => setTimeout(resolve, wait));
      }
    }
    const id = response.headers['x-fc-request-id'];
    const invocationId = Array.isArray(id) ? id[0] : id;
    if (!invocationId) {
      // Queued, but without an id the caller cannot refer to it: say so rather than invent one.
      throw new CloudApiError(stage, ACTION, `${ACTION} ${functionName}: the answer carried no x-fc-request-id`, {
        retryable: false,
      });
    }
    return { invocationId };
  }

  async #client(): Promise<Fc2Client> {
    const { accountId, region, endpoint, timeoutMs } = this.#options;
    this.#fc2 ??= import('@alicloud/fc2').then((m) => m.default);
    const FC = await this.#fc2;
    // Asked on every call: the provider may hand out refreshed temporary credentials.
    const creds = await this.#options.credentials.getCredentials();
    let client: Fc2Client;
    try {
      client = new FC(accountId, {
        accessKeyID: creds.accessKeyId,
        accessKeySecret: creds.accessKeySecret,
        // fc2 sends it (x-fc-security-token) only for keys starting with `STS`, and requires it for them.
        ...(creds.securityToken ? { securityToken: creds.securityToken } : {}),
        region,
        secure: true,
        ...(endpoint ? { endpoint } : {}),
        timeout: timeoutMs ?? 10_000,
      });
    } catch {
      // fc2's TypeError names the missing option; none of them is secret, but the credentials stage says more.
      throw new CredentialsError(
        'the Function Compute client refused the credentials: an STS AccessKeyId needs its security token, and the account id and region must be set',
      );
    }
    client.version = FC3_API_VERSION;
    return client;
  }

  /**
   * Built from the status and code only. fc2's own message holds the request id and the service's message, and its
   * `code` is the FC 2.0 body field `ErrorCode`; FC 3.0 answers `{"Code", "Message"}`, so for 3.0 the code is
   * usually absent and the status is all that is known.
   */
  #mapError(functionName: string, err: unknown, hasTaskId: boolean): CloudApiError {
    const { stage } = this.#options;
    const e = err as { code?: unknown; name?: unknown; message?: unknown };
    const message = typeof e?.message === 'string' ? e.message : '';
    const statusMatch = / failed with (\d{3})\./.exec(message);
    if (statusMatch) {
      const status = Number(statusMatch[1]);
      const serviceCode = typeof e.code === 'string' && e.code !== '' ? e.code : undefined;
      const requestId = / requestid: ([A-Za-z0-9-]+),/.exec(message)?.[1];
      if (status === 409 && hasTaskId) {
        // A task with this id exists: the work was started before, by this caller or an earlier attempt of it.
        return new CloudApiError(
          stage,
          ACTION,
          `${ACTION} ${functionName}: the async task id was already used (HTTP 409${serviceCode ? `, ${serviceCode}` : ''})`,
          { code: ASYNC_TASK_ALREADY_EXISTS, retryable: false, ...(requestId ? { requestId } : {}) },
        );
      }
      // Throttling and an unavailable service never queued the event; other 5xx may have, which only an async
      // task id makes safe to repeat.
      const retryable = status === 429 || status === 503 || (status >= 500 && hasTaskId);
      return new CloudApiError(
        stage,
        ACTION,
        `${ACTION} ${functionName} failed: HTTP ${status}${serviceCode ? ` ${serviceCode}` : ''}`,
        { code: serviceCode ?? `HTTP${status}`, retryable, ...(requestId ? { requestId } : {}) },
      );
    }
    const code = typeof e?.code === 'string' ? e.code : undefined;
    const name = typeof e?.name === 'string' ? e.name : 'Error';
    const timeout = /timeout/i.test(name) || /timeout/i.test(message);
    const transport = code !== undefined && TRANSPORT_CODES.has(code);
    // A refused connection never delivered the request; after a time-out or a reset it may have been queued.
    const retryable = code === 'ECONNREFUSED' || ((transport || timeout) && hasTaskId);
    const what = timeout ? 'no answer in time' : (code ?? name);
    return new CloudApiError(stage, ACTION, `${ACTION} ${functionName} could not be sent: ${what}`, {
      code: code ?? (timeout ? 'Timeout' : name),
      retryable,
    });
  }
}
