/**
 * The emulator keeps warm instances of a bundled function, as Function Compute 3.0 does: the next invocation runs in
 * an idle instance (module-level state survives), a busy one is never shared, a timed-out, killed or exited one is
 * replaced, idle ones are reclaimed, and none outlives the emulator.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { CredentialStore } from '../../sandbox/emulator/credentials.js';
import { type AsyncAttempt, FcService, type FcServiceOptions } from '../../sandbox/emulator/fc.js';

const dir = mkdtempSync(join(tmpdir(), 'fc-instances-test-'));
const bundle = join(dir, 'counter.js');
// Counts its invocations in a module-level variable: what survives in a warm instance and starts at 1 in a new one.
writeFileSync(
  bundle,
  `let count = 0;
   console.log('instance start ' + process.pid);
   exports.handler = async (event, context) => {
     const e = JSON.parse(event.toString());
     count += 1;
     console.log('stdout of call ' + e.tag);
     console.error('stderr of call ' + e.tag);
     if (e.markFile && !require('node:fs').existsSync(e.markFile)) {
       require('node:fs').writeFileSync(e.markFile, '');
       await new Promise(() => setInterval(() => {}, 1000));
     }
     if (e.waitMs) await new Promise((r) => setTimeout(r, e.waitMs));
     if (e.hang) await new Promise(() => setInterval(() => {}, 1000));
     if (e.exit) process.exit(3);
     if (e.late) setTimeout(() => console.log('late output of call ' + e.tag), e.late);
     if (e.throw) throw Object.assign(new Error('thrown in call ' + e.tag), { name: 'TagError' });
     return { count, pid: process.pid, env: process.env.FC_INSTANCE_TEST ?? null,
              sts: context.credentials.accessKeyId.startsWith('STS.') };
   };`,
);

let services: FcService[] = [];
afterEach(async () => {
  await Promise.all(services.map((s) => s.close()));
  services = [];
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function service(options: Partial<FcServiceOptions> = {}): FcService {
  const s = new FcService({
    clock: Date.now,
    credentials: new CredentialStore(Date.now),
    accountId: '1234567890123456',
    region: 'cn-hangzhou',
    ...options,
  });
  services.push(s);
  return s;
}

interface Counted {
  count: number;
  pid: number;
  env: string | null;
  sts: boolean;
}

async function call(fc: FcService, event: Record<string, unknown>, name = 'counter') {
  const { run } = await fc.invokeSync(name, 'LATEST', Buffer.from(JSON.stringify(event)));
  return run;
}

async function counted(fc: FcService, event: Record<string, unknown>, name = 'counter'): Promise<Counted> {
  const run = await call(fc, event, name);
  if (!run.ok) throw new Error(`invocation failed: ${run.errorType}: ${run.errorMessage}\n${run.logs}`);
  return run.result as Counted;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The pid an instance printed as it started: in the log of its first invocation. */
function startedPids(logs: string): number[] {
  return [...logs.matchAll(/instance start (\d+)/g)].map((m) => Number(m[1]));
}

async function until(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  for (const start = Date.now(); !condition();) {
    if (Date.now() - start > timeoutMs) throw new Error(`still not ${what} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('warm instances of a bundled function', () => {
  it('runs the next invocation in the idle instance: same process, module-level state kept', async () => {
    const fc = service();
    fc.register({ name: 'counter', code: { bundle } });
    const first = await counted(fc, { tag: 'a' });
    const second = await counted(fc, { tag: 'b' });
    expect(first).toMatchObject({ count: 1, sts: true });
    expect(second).toMatchObject({ count: 2, pid: first.pid, sts: true });
    expect(fc.instanceCount).toBe(1);
  });

  it('starts another instance when the idle one is busy, and never runs two invocations in one instance', async () => {
    const fc = service();
    fc.register({ name: 'counter', code: { bundle } });
    const warm = await counted(fc, { tag: 'warm' });
    const [a, b] = await Promise.all([counted(fc, { tag: 'a', waitMs: 300 }), counted(fc, { tag: 'b', waitMs: 300 })]);
    expect(new Set([warm.pid, a.pid, b.pid]).size).toBe(2);
    // One of the two ran in the warm instance (its second invocation), the other in a new one (its first).
    expect([a.count, b.count].sort()).toEqual([1, 2]);
    expect(fc.instanceCount).toBe(2);
    const next = await counted(fc, { tag: 'c' });
    expect([a.pid, b.pid]).toContain(next.pid);
  });

  it('keeps each invocation’s own output as its log, and drops what an instance writes between invocations', async () => {
    const fc = service();
    fc.register({ name: 'counter', code: { bundle } });
    const cold = await call(fc, { tag: 'a', late: 50 });
    expect(cold.ok).toBe(true);
    const pid = (cold as { result: Counted }).result.pid;
    // A new instance's start-up output is logged with the invocation that waited for it.
    expect(cold.logs).toBe(
      `instance start ${pid}\nstdout of call a\nstderr of call a\n` +
        `fc-local-runtime: handler returned ${JSON.stringify((cold as { result: unknown }).result)}\n`,
    );
    await new Promise((r) => setTimeout(r, 300));
    const warm = await call(fc, { tag: 'b' });
    expect(warm.ok && (warm.result as Counted).pid).toBe(pid);
    expect(warm.logs).toBe(
      'stdout of call b\nstderr of call b\n' +
        `fc-local-runtime: handler returned ${JSON.stringify((warm as { result: unknown }).result)}\n`,
    );
  });

  it('keeps an instance whose handler threw, and replaces one whose handler ended the process', async () => {
    const fc = service();
    fc.register({ name: 'counter', code: { bundle } });
    const first = await counted(fc, { tag: 'a' });
    const threw = await call(fc, { tag: 'b', throw: true });
    expect(threw).toMatchObject({ ok: false, errorType: 'TagError', errorMessage: 'thrown in call b' });
    expect(threw.logs).toContain('fc-local-runtime: the handler threw TagError: thrown in call b');
    expect(await counted(fc, { tag: 'c' })).toMatchObject({ count: 3, pid: first.pid });
    const exited = await call(fc, { tag: 'd', exit: true });
    expect(exited).toEqual({
      ok: false,
      errorType: 'ProcessExited',
      errorMessage: 'the function process exited without a result',
      logs: 'stdout of call d\nstderr of call d\n',
    });
    expect(alive(first.pid)).toBe(false);
    const fresh = await counted(fc, { tag: 'e' });
    expect(fresh.count).toBe(1);
    expect(fresh.pid).not.toBe(first.pid);
  });

  it('SIGKILLs a timed-out instance and runs the next invocation in a new one', async () => {
    const fc = service();
    // The time-out also covers a new instance's start: 5 s leaves room for a loaded machine.
    fc.register({ name: 'counter', code: { bundle }, timeout: 5 });
    const warm = await counted(fc, { tag: 'a' });
    const timedOut = await call(fc, { tag: 'b', hang: true });
    expect(timedOut).toEqual({
      ok: false,
      errorType: 'FunctionTimeout',
      errorMessage: 'Function timed out after 5 s',
      logs: 'stdout of call b\nstderr of call b\n',
    });
    expect(alive(warm.pid)).toBe(false);
    const next = await counted(fc, { tag: 'c' });
    expect(next.count).toBe(1);
    expect(next.pid).not.toBe(warm.pid);
  });

  it('SIGKILLs the instance of a killed attempt: the retry runs in a new instance', async () => {
    const markFile = join(dir, 'killed-attempt-running');
    const fc = service({
      killAsyncAttempt: (a: AsyncAttempt) =>
        a.attempt === 1 ? until(() => existsSync(markFile), 'running', 30_000) : undefined,
    });
    fc.register({ name: 'counter', code: { bundle }, maxAsyncRetryAttempts: 1 });
    const inv = fc.invokeAsync('counter', 'LATEST', Buffer.from(JSON.stringify({ tag: 'k', markFile })), undefined);
    const done = await fc.waitFor(inv.requestId);
    expect(done).toMatchObject({ status: 'succeeded', attempts: 2, attemptErrors: [{ type: 'ProcessKilled' }] });
    const [killedPid, retryPid] = startedPids(done.logs);
    expect(done.result).toMatchObject({ count: 1, pid: retryPid });
    expect(killedPid).not.toBe(retryPid);
    expect(alive(killedPid as number)).toBe(false);
  });

  it('runs a re-registered function in new instances, and ends the old registration’s idle ones', async () => {
    const fc = service();
    fc.register({ name: 'counter', code: { bundle, env: { FC_INSTANCE_TEST: 'v1' } } });
    const old = await counted(fc, { tag: 'a' });
    fc.register({ name: 'counter', code: { bundle, env: { FC_INSTANCE_TEST: 'v2' } } });
    const updated = await counted(fc, { tag: 'b' });
    expect(old).toMatchObject({ count: 1, env: 'v1' });
    expect(updated).toMatchObject({ count: 1, env: 'v2' });
    expect(updated.pid).not.toBe(old.pid);
    await until(() => !alive(old.pid), 'ended');
  });

  it('reclaims an instance that stays idle for idleInstanceMs', async () => {
    const fc = service({ idleInstanceMs: 300 });
    fc.register({ name: 'counter', code: { bundle } });
    const first = await counted(fc, { tag: 'a' });
    await until(() => fc.instanceCount === 0 && !alive(first.pid), 'reclaimed');
    const next = await counted(fc, { tag: 'b' });
    expect(next.count).toBe(1);
  });

  it('leaves no instance behind when closed: idle ones and busy ones (their invocation times out) are gone', async () => {
    const fc = service();
    fc.register({ name: 'counter', code: { bundle } });
    const markFile = join(dir, 'busy-at-close');
    const busy = call(fc, { tag: 'c', markFile });
    await until(() => existsSync(markFile), 'running');
    const [a, b] = await Promise.all([counted(fc, { tag: 'a' }), counted(fc, { tag: 'b' })]);
    expect(fc.instanceCount).toBe(3);
    await fc.close();
    expect(fc.instanceCount).toBe(0);
    expect([a.pid, b.pid].filter(alive)).toEqual([]);
    const stopped = await busy;
    expect(stopped).toMatchObject({ ok: false, errorType: 'FunctionTimeout' });
    expect(startedPids(stopped.logs).filter(alive)).toEqual([]);
  });
});
