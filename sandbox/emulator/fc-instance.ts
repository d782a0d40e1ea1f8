import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import type { FcFunctionSpec, RunResult } from './fc-function-runner.js';

/**
 * Function Compute's instances of bundled functions: as FC 3.0 does, an invocation runs in an idle instance of its
 * function if there is one (the bundle already loaded, module-level state kept) and in a newly started one if all
 * are busy; an instance runs one invocation at a time (FC's default instance concurrency, 1) and is reclaimed after
 * being idle for a while. Each instance is a Node process running sandbox/fc-instance-runtime.cjs.
 */

const runtime = new URL('../fc-instance-runtime.cjs', import.meta.url).pathname;

/**
 * FC reclaims an instance that has had no invocation for some minutes; the exact time is not documented
 * (UNCONFIRMED), 5 minutes here.
 */
export const DEFAULT_IDLE_INSTANCE_MS = 5 * 60_000;

type Outcome = { ok: true; result: unknown } | { ok: false; errorType: string; errorMessage: string };

export interface InstanceCall {
  event: Buffer;
  /** The context fields the runtime turns into FC's context (fc-local-runtime.cjs's fcContext), credentials included. */
  context: Record<string, unknown>;
  timeoutMs: number;
  /** The emulator stopping: SIGKILLs the instance; the invocation did not finish, recorded as FunctionTimeout. */
  signal: AbortSignal;
  /** SIGKILLs the instance: ProcessKilled. */
  kill?: AbortSignal;
}

class FcInstance {
  readonly #child: ChildProcess;
  /** Resolves once the process has exited and its stdout and stderr are closed. */
  readonly gone: Promise<void>;
  #exited = false;
  #out = '';
  #err = '';
  /**
   * Whether output on a stream belongs to the running invocation. True from the start: a new instance's start-up
   * output (the bundle's module-level logging) is logged with the invocation that waited for it.
   */
  #collecting = { out: true, err: true };
  #marker: string | undefined;
  #outcome: Outcome | undefined;
  #changed: (() => void) | undefined;

  constructor(bundle: string, env: Record<string, string>) {
    this.#child = spawn(process.execPath, [runtime, bundle], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    this.#child.stdout?.setEncoding('utf8').on('data', (s: string) => this.#take('out', s));
    this.#child.stderr?.setEncoding('utf8').on('data', (s: string) => this.#take('err', s));
    this.#child.on('message', (msg: { marker?: unknown; outcome?: unknown }) => {
      if (this.#marker === undefined || msg.marker !== this.#marker || typeof msg.outcome !== 'string') return;
      this.#outcome = JSON.parse(msg.outcome) as Outcome;
      this.#changed?.();
    });
    // A process that cannot be started ends in 'close' as well; the invocation then reports ProcessExited.
    this.#child.on('error', () => undefined);
    this.gone = new Promise((resolve) =>
      this.#child.once('close', () => {
        this.#exited = true;
        resolve();
        this.#changed?.();
      }),
    );
  }

  get usable(): boolean {
    return !this.#exited && this.#child.exitCode === null && this.#child.signalCode === null && this.#child.connected;
  }

  kill(): void {
    if (!this.#exited) this.#child.kill('SIGKILL');
  }

  /**
   * An idle instance must not keep the emulator's process alive (its runtime exits when the IPC channel goes);
   * a busy one does, as an invocation in flight does.
   */
  hold(busy: boolean): void {
    const handles: ({ ref(): unknown; unref(): unknown } | null | undefined)[] = [
      this.#child,
      this.#child.channel,
      this.#child.stdout as Socket | null,
      this.#child.stderr as Socket | null,
    ];
    for (const h of handles) {
      if (busy) h?.ref();
      else h?.unref();
    }
  }

  #take(stream: 'out' | 'err', text: string): void {
    if (!this.#collecting[stream]) return; // written between invocations: no invocation's log
    const before = stream === 'out' ? this.#out : this.#err;
    let all = before + text;
    const at =
      this.#marker === undefined ? -1 : all.indexOf(this.#marker, Math.max(0, before.length - this.#marker.length));
    if (at >= 0) {
      all = all.slice(0, at);
      this.#collecting[stream] = false;
    }
    if (stream === 'out') this.#out = all;
    else this.#err = all;
    if (at >= 0) this.#changed?.();
  }

  /** Runs one invocation; never throws. Afterwards the instance is idle again or, when `usable` is false, dead. */
  invoke(call: InstanceCall): Promise<RunResult> {
    const marker = `\u0000fc-invocation-end-${randomBytes(16).toString('hex')}\u0000`;
    this.#marker = marker;
    this.#outcome = undefined;
    this.#collecting = { out: true, err: true };
    let killedFor: 'FunctionTimeout' | 'ProcessKilled' | undefined;
    return new Promise<RunResult>((resolve) => {
      const stop = (why: 'FunctionTimeout' | 'ProcessKilled') => () => {
        killedFor ??= why;
        this.kill();
      };
      const onTimeout = stop('FunctionTimeout');
      const onKill = stop('ProcessKilled');
      const timer = setTimeout(onTimeout, call.timeoutMs);
      call.signal.addEventListener('abort', onTimeout);
      call.kill?.addEventListener('abort', onKill);
      this.#changed = () => {
        const done = this.#outcome !== undefined && !this.#collecting.out && !this.#collecting.err;
        if (!done && !this.#exited) return;
        clearTimeout(timer);
        call.signal.removeEventListener('abort', onTimeout);
        call.kill?.removeEventListener('abort', onKill);
        this.#changed = undefined;
        const logs = this.#out + this.#err;
        this.#out = '';
        this.#err = '';
        resolve(result(this.#outcome, killedFor, call, logs));
      };
      if (call.signal.aborted) onTimeout();
      else if (call.kill?.aborted) onKill();
      else {
        this.#child.send(
          { marker, event: call.event.toString('base64'), context: call.context },
          // A channel that is already gone: the instance died, and 'close' reports it.
          () => undefined,
        );
      }
      this.#changed();
    });
  }
}

/** What a killed, exited or finished instance means for the invocation (the error types FC's async retries see). */
function result(
  outcome: Outcome | undefined,
  killedFor: 'FunctionTimeout' | 'ProcessKilled' | undefined,
  call: InstanceCall,
  logs: string,
): RunResult {
  if (killedFor === 'ProcessKilled') {
    return { ok: false, errorType: 'ProcessKilled', errorMessage: 'the function process was killed', logs };
  }
  if (outcome !== undefined) return { ...outcome, logs };
  return killedFor === 'FunctionTimeout'
    ? {
        ok: false,
        errorType: 'FunctionTimeout',
        errorMessage: `Function timed out after ${call.timeoutMs / 1000} s`,
        logs,
      }
    : { ok: false, errorType: 'ProcessExited', errorMessage: 'the function process exited without a result', logs };
}

/** The instances of every registered bundle function, each pool tied to one registration (one spec object). */
export class FcInstances {
  readonly #idle = new Map<FcFunctionSpec, Set<FcInstance>>();
  readonly #idleTimers = new Map<FcInstance, NodeJS.Timeout>();
  readonly #all = new Set<FcInstance>();
  /** Specs replaced by a new registration: their instances run no further invocation. */
  readonly #retired = new WeakSet<FcFunctionSpec>();
  #closed = false;

  constructor(private readonly idleMs = DEFAULT_IDLE_INSTANCE_MS) {}

  /** How many instance processes exist (busy or idle): a test's view of reuse and reclaim. */
  get count(): number {
    return this.#all.size;
  }

  async run(spec: FcFunctionSpec, bundle: string, env: Record<string, string>, call: InstanceCall): Promise<RunResult> {
    // Already stopped or killed: no instance is started only to be killed.
    if (call.kill?.aborted) return result(undefined, 'ProcessKilled', call, '');
    if (call.signal.aborted || this.#closed) return result(undefined, 'FunctionTimeout', call, '');
    const instance = this.#takeIdle(spec) ?? this.#start(bundle, env);
    instance.hold(true);
    const outcome = await instance.invoke(call);
    if (instance.usable && !this.#closed && !this.#retired.has(spec)) this.#park(spec, instance);
    else await this.#end(instance);
    return outcome;
  }

  /** A new registration of the function: the old one's idle instances go, its busy ones go when they finish. */
  retire(spec: FcFunctionSpec): void {
    this.#retired.add(spec);
    for (const instance of this.#idle.get(spec) ?? []) void this.#end(instance);
    this.#idle.delete(spec);
  }

  /** Kills every instance, busy or idle, and resolves once all are gone. */
  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all([...this.#all].map((i) => this.#end(i)));
  }

  #takeIdle(spec: FcFunctionSpec): FcInstance | undefined {
    const idle = this.#idle.get(spec);
    for (const instance of idle ?? []) {
      idle?.delete(instance);
      clearTimeout(this.#idleTimers.get(instance));
      this.#idleTimers.delete(instance);
      if (instance.usable) return instance;
      void this.#end(instance);
    }
    return undefined;
  }

  #start(bundle: string, env: Record<string, string>): FcInstance {
    const instance = new FcInstance(bundle, env);
    this.#all.add(instance);
    void instance.gone.then(() => this.#all.delete(instance));
    return instance;
  }

  #park(spec: FcFunctionSpec, instance: FcInstance): void {
    instance.hold(false);
    const idle = this.#idle.get(spec) ?? new Set();
    idle.add(instance);
    this.#idle.set(spec, idle);
    const timer = setTimeout(() => {
      idle.delete(instance);
      this.#idleTimers.delete(instance);
      void this.#end(instance);
    }, this.idleMs);
    timer.unref();
    this.#idleTimers.set(instance, timer);
  }

  async #end(instance: FcInstance): Promise<void> {
    clearTimeout(this.#idleTimers.get(instance));
    this.#idleTimers.delete(instance);
    instance.kill();
    await instance.gone;
  }
}
