import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import FC from '@alicloud/fc2';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { fcEndpointOverride } from '../../shared/adapters/fc/fc-endpoint.js';
import { FC3_API_VERSION, Fc2FunctionInvoker } from '../../shared/adapters/fc/fc2-function-invoker.js';
import { CloudApiError, ConfigError, CredentialsError } from '../../shared/errors.js';
import { ASYNC_TASK_ALREADY_EXISTS } from '../../shared/ports/function-invoker.js';
import type { CloudCredentials } from '../../shared/runtime/credentials.js';
import { type Emulator, type FcContext, startEmulator } from '../../sandbox/emulator/index.js';

const FN = 'slb-cert-rotator';
let now = Date.now();
let emu: Emulator;
let seen: { event: string; context: FcContext }[] = [];

beforeAll(async () => {
  emu = await startEmulator({ tlsListeners: false, clock: () => now });
});
afterAll(() => emu.close());
beforeEach(() => {
  now = Date.now();
  seen = [];
  emu.fc.registerFunction({
    name: FN,
    timeout: 900,
    code: {
      handler: async (event, context) => {
        seen.push({ event: event.toString('utf8'), context });
        return { ok: true, echo: event.toString('utf8') };
      },
    },
  });
});

function fc2Client(creds: CloudCredentials & { accountId?: string }) {
  const client = new FC(creds.accountId ?? emu.fc.accountId, {
    accessKeyID: creds.accessKeyId,
    accessKeySecret: creds.accessKeySecret,
    ...(creds.securityToken ? { securityToken: creds.securityToken } : {}),
    region: 'cn-hangzhou',
    endpoint: emu.fc.endpoint,
  });
  client.version = FC3_API_VERSION;
  return client;
}

function invoker(creds: CloudCredentials, endpoint = emu.fc.endpoint) {
  return new Fc2FunctionInvoker({
    accountId: emu.fc.accountId,
    region: 'cn-hangzhou',
    credentials: { getCredentials: async () => creds },
    stage: 'preflight',
    endpoint,
  });
}

async function invokeError(p: Promise<unknown>): Promise<CloudApiError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(CloudApiError);
  return err as CloudApiError;
}

/** fc2's own error: the status is in its message, the FC 3.0 body code is not in `code` (fc2 reads ErrorCode). */
async function fc2Status(p: Promise<unknown>): Promise<number> {
  const err = (await p.then(
    () => undefined,
    (e: unknown) => e,
  )) as Error | undefined;
  expect(err, 'the call was expected to be refused').toBeInstanceOf(Error);
  return Number(/failed with (\d{3})/.exec(err?.message ?? '')?.[1]);
}

describe('FC 3.0 endpoint: fc2 signature', () => {
  it('runs the function for a correctly signed sync InvokeFunction, with an FC 3.0 context', async () => {
    const res = await fc2Client(emu.credentials).request(
      'POST',
      `/functions/${FN}/invocations`,
      null,
      '{"force":true}',
      {},
    );
    expect(res.data).toEqual({ ok: true, echo: '{"force":true}' });
    expect(seen).toHaveLength(1);
    const ctx = seen[0]?.context;
    expect(ctx?.requestId).toBe(res.headers['x-fc-request-id']);
    expect(ctx?.function).toMatchObject({ name: FN, timeout: 900, handler: 'index.handler' });
    expect(ctx?.accountId).toBe(emu.fc.accountId);
    // The role's temporary credentials, minted by the emulator: they work against its SLB/Alidns too.
    expect(ctx?.credentials.accessKeyId).toMatch(/^STS\./);
    expect(ctx?.credentials.securityToken).toMatch(/^CAIS/);
  });

  it('refuses a wrong secret with 403 SignatureNotMatch and runs nothing', async () => {
    const before = emu.fc.invocations().length;
    const forged = { ...emu.credentials, accessKeySecret: `${emu.credentials.accessKeySecret}x` };
    const status = await fc2Status(fc2Client(forged).request('POST', `/functions/${FN}/invocations`, null, '{}', {}));
    expect(status).toBe(403);
    expect(seen).toHaveLength(0);
    expect(emu.fc.invocations()).toHaveLength(before);
  });

  it('refuses a stale Date (more than 15 minutes off the server clock) with 403', async () => {
    now = Date.now() + 16 * 60_000;
    expect(
      await fc2Status(fc2Client(emu.credentials).request('POST', `/functions/${FN}/invocations`, null, '{}')),
    ).toBe(403);
    now = Date.now() + 14 * 60_000;
    await fc2Client(emu.credentials).request('POST', `/functions/${FN}/invocations`, null, '{}');
    expect(seen).toHaveLength(1);
  });

  it('refuses an unknown AccessKeyId with 403', async () => {
    const unknown = { accessKeyId: 'LTAIunknownunknownunkn', accessKeySecret: 'whatever-secret-value' };
    expect(await fc2Status(fc2Client(unknown).request('POST', `/functions/${FN}/invocations`, null, '{}'))).toBe(403);
    expect(seen).toHaveLength(0);
  });

  it('accepts STS credentials with their token and refuses them without it (403)', async () => {
    const sts = emu.issueStsCredentials();
    await fc2Client(sts).request('POST', `/functions/${FN}/invocations`, null, '{}');
    expect(seen).toHaveLength(1);
    const noToken = fc2Client(sts) as unknown as { securityToken?: string };
    noToken.securityToken = undefined;
    expect(
      await fc2Status((noToken as unknown as FC).request('POST', `/functions/${FN}/invocations`, null, '{}')),
    ).toBe(403);
    const wrongToken = fc2Client({ ...sts, securityToken: `CAIS${'A'.repeat(40)}` });
    expect(await fc2Status(wrongToken.request('POST', `/functions/${FN}/invocations`, null, '{}'))).toBe(403);
    expect(seen).toHaveLength(1);
  });

  it('refuses a client of another account (x-fc-account-id) with 403', async () => {
    const other = fc2Client({ ...emu.credentials, accountId: '9999999999999999' });
    expect(await fc2Status(other.request('POST', `/functions/${FN}/invocations`, null, '{}'))).toBe(403);
    expect(seen).toHaveLength(0);
  });

  it('answers 404 for a function that does not exist', async () => {
    expect(await fc2Status(fc2Client(emu.credentials).request('POST', '/functions/nope/invocations', null, '{}'))).toBe(
      404,
    );
  });
});

describe('Fc2FunctionInvoker against the emulator', () => {
  it('starts an async run: 202 with the request id, the handler runs afterwards with the payload', async () => {
    const { invocationId } = await invoker(emu.credentials).invokeAsync(FN, { certificates: ['shop'] });
    expect(invocationId).toMatch(/^1-/);
    const done = await emu.fc.waitForInvocation(invocationId);
    expect(done).toMatchObject({ type: 'Async', status: 'succeeded', qualifier: 'LATEST', functionName: FN });
    expect(JSON.parse(done.event)).toEqual({ certificates: ['shop'] });
    expect(seen.map((s) => s.context.requestId)).toEqual([invocationId]);
  });

  it('sends the security token of STS credentials, and the qualifier', async () => {
    const { invocationId } = await invoker(emu.issueStsCredentials()).invokeAsync(FN, {}, { qualifier: 'prod' });
    expect((await emu.fc.waitForInvocation(invocationId)).qualifier).toBe('prod');
  });

  it('starts a task id once: a second invoke with the same id is refused and runs nothing', async () => {
    const taskId = `run-20261130-p${Math.floor(Math.random() * 1e6)}`;
    const first = await invoker(emu.credentials).invokeAsync(FN, { partition: 1 }, { taskId });
    await emu.fc.waitForInvocation(first.invocationId);
    const err = await invokeError(invoker(emu.credentials).invokeAsync(FN, { partition: 1 }, { taskId }));
    expect(err.code).toBe(ASYNC_TASK_ALREADY_EXISTS);
    expect(err.retryable).toBe(false);
    expect(emu.fc.invocations(FN).filter((i) => i.taskId === taskId)).toHaveLength(1);
    expect(seen).toHaveLength(1);
    // Another id is another task.
    await invoker(emu.credentials).invokeAsync(FN, { partition: 2 }, { taskId: `${taskId}-2` });
  });

  it('reports a refused signature as a non-retryable CloudApiError without the secret or the endpoint', async () => {
    const forged = { ...emu.credentials, accessKeySecret: 'forged-secret-value-123' };
    const err = await invokeError(invoker(forged).invokeAsync(FN, {}));
    expect(err).toMatchObject({ stage: 'preflight', action: 'InvokeFunction', code: 'HTTP403', retryable: false });
    expect(err.message).toBe(`InvokeFunction ${FN} failed: HTTP 403`);
    expect(JSON.stringify({ ...err.toJSON(), m: err.message })).not.toMatch(/forged-secret|127\.0\.0\.1|LTAI/);
    expect(seen).toHaveLength(0);
  });

  it('reports a missing function as HTTP404, not retryable', async () => {
    const err = await invokeError(invoker(emu.credentials).invokeAsync('no-such-function', {}));
    expect(err).toMatchObject({ code: 'HTTP404', retryable: false });
  });

  it('calls a refused connection retryable (nothing was delivered)', async () => {
    const port = await freePort();
    const err = await invokeError(invoker(emu.credentials, `http://127.0.0.1:${port}`).invokeAsync(FN, {}));
    expect(err).toMatchObject({ code: 'ECONNREFUSED', retryable: true });
    expect(err.message).not.toContain(String(port));
  });

  it('repeats a request whose connection was reset, once it has a task id: one run; without one it reports', async () => {
    // In front of the emulator: while armed, the next request to arrive has its connection reset (a kept-alive
    // connection the server had closed); everything else is passed through.
    let armed = false;
    let resets = 0;
    const open = new Set<Socket>();
    const proxy = createServer((client: Socket) => {
      open.add(client);
      client.on('close', () => open.delete(client));
      const upstream = connect(Number(new URL(emu.fc.endpoint).port), '127.0.0.1');
      upstream.pipe(client);
      client.on('data', (chunk: Buffer) => {
        if (!armed) return void upstream.write(chunk);
        armed = false;
        resets += 1;
        upstream.destroy();
        client.resetAndDestroy();
      });
      const close = () => {
        client.destroy();
        upstream.destroy();
      };
      client.on('error', close);
      upstream.on('error', close);
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    const endpoint = `http://127.0.0.1:${(proxy.address() as { port: number }).port}`;
    try {
      const taskId = `reset-${Math.floor(Math.random() * 1e6)}`;
      armed = true;
      const { invocationId } = await invoker(emu.credentials, endpoint).invokeAsync(FN, { n: 1 }, { taskId });
      await emu.fc.waitForInvocation(invocationId);
      expect(resets).toBe(1);
      expect(emu.fc.invocations(FN).filter((i) => i.taskId === taskId)).toHaveLength(1);

      // Without a task id a repeat could start the work twice: the reset is reported, not retried.
      armed = true;
      const err = await invokeError(invoker(emu.credentials, endpoint).invokeAsync(FN, { n: 2 }));
      expect(err).toMatchObject({ code: 'ECONNRESET', retryable: false });
      expect(resets).toBe(2);
      expect(seen.map((s) => s.event)).toEqual(['{"n":1}']);
    } finally {
      for (const socket of open) socket.destroy();
      await new Promise((resolve) => proxy.close(resolve));
    }
  });

  it('refuses bad names, task ids and qualifiers before sending anything', async () => {
    // A dead endpoint: anything that was sent would fail with ECONNREFUSED instead.
    const dead = invoker(emu.credentials, `http://127.0.0.1:${await freePort()}`);
    const errors = [
      await invokeError(dead.invokeAsync('../services/x', {})),
      await invokeError(dead.invokeAsync(FN, {}, { taskId: 'has space' })),
      await invokeError(dead.invokeAsync(FN, {}, { qualifier: 'a/b' })),
    ];
    expect(errors.map((e) => [e.code, e.retryable])).toEqual([
      [undefined, false],
      [undefined, false],
      [undefined, false],
    ]);
    expect(errors.map((e) => e.message)).toEqual([
      'InvokeFunction: not a Function Compute function name',
      `InvokeFunction ${FN}: the async task id must be 1-128 letters, digits or _ . : -`,
      `InvokeFunction ${FN}: not a version or alias name`,
    ]);
  });

  it('turns an STS key without token into a CredentialsError', async () => {
    const sts = emu.issueStsCredentials();
    const err = await invoker({ accessKeyId: sts.accessKeyId, accessKeySecret: sts.accessKeySecret })
      .invokeAsync(FN, {})
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CredentialsError);
    expect(String((err as Error).message)).not.toContain(sts.accessKeySecret);
  });
});

describe('bundled functions (FC loader in a child process)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fc-bundle-test-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('runs a CommonJS bundle with the event Buffer and context, keeping its stdout as the log', async () => {
    const bundle = join(dir, 'ok.js');
    writeFileSync(
      bundle,
      `exports.handler = async (event, context) => {
         console.log(JSON.stringify({ event: 'seen', isBuffer: Buffer.isBuffer(event) }));
         return { payload: JSON.parse(event.toString()), fn: context.function.name, timeout: context.function.timeout,
                  sts: context.credentials.accessKeyId.startsWith('STS.'), requestId: context.requestId,
                  env: process.env.FC_TEST_VAR };
       };`,
    );
    emu.fc.registerFunction({
      name: 'bundled',
      code: { bundle, env: { FC_TEST_VAR: 'from-function-config' } },
      timeout: 30,
    });
    const { invocationId } = await invoker(emu.credentials).invokeAsync('bundled', { a: 1 });
    const done = await emu.fc.waitForInvocation(invocationId);
    expect(done.status).toBe('succeeded');
    expect(done.result).toEqual({
      payload: { a: 1 },
      fn: 'bundled',
      timeout: 30,
      sts: true,
      requestId: invocationId,
      env: 'from-function-config',
    });
    expect(done.logs).toContain('{"event":"seen","isBuffer":true}');
  });

  it('records a throwing bundle as failed with the error type and message', async () => {
    const bundle = join(dir, 'throws.js');
    writeFileSync(
      bundle,
      `exports.handler = async () => { const e = new Error('no config'); e.name = 'ConfigError'; throw e; };`,
    );
    emu.fc.registerFunction({ name: 'throws', code: { bundle } });
    const { invocationId } = await invoker(emu.credentials).invokeAsync('throws', {});
    const done = await emu.fc.waitForInvocation(invocationId);
    expect(done).toMatchObject({ status: 'failed', error: { type: 'ConfigError', message: 'no config' } });
  });
});

describe('ROTATOR_FC_ENDPOINT', () => {
  it('takes an http(s) origin', () => {
    expect(fcEndpointOverride({ ROTATOR_FC_ENDPOINT: 'http://127.0.0.1:8081/' })).toBe('http://127.0.0.1:8081');
    expect(fcEndpointOverride({ ROTATOR_FC_ENDPOINT: ' https://fc.example.com ' })).toBe('https://fc.example.com');
    expect(fcEndpointOverride({})).toBeUndefined();
    expect(fcEndpointOverride({ ROTATOR_FC_ENDPOINT: '' })).toBeUndefined();
  });

  it.each([
    'https://user:s3cret-pass@fc.example.com',
    'https://fc.example.com/2023-03-30',
    'https://fc.example.com?x=1',
    'ftp://fc.example.com',
    'not a url',
  ])('refuses %s without echoing it', (value) => {
    let err: unknown;
    try {
      fcEndpointOverride({ ROTATOR_FC_ENDPOINT: value });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).issues[0]).toMatch(/^ROTATOR_FC_ENDPOINT: /);
    expect((err as ConfigError).message).not.toContain('s3cret');
    expect((err as ConfigError).message).not.toContain(value);
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}
