import type { Product } from './call-log.js';
import { ApiError, DEFAULT_MESSAGES, DEFAULT_STATUS } from './errors.js';
import type { Params } from './params.js';
import type { UnreachableMode } from './tls-listeners.js';

export type { UnreachableMode };

export type ParamPredicate = (params: Params) => boolean;

export interface FailOptions {
  /** Error code to answer with, e.g. `Throttling`. */
  code: string;
  /** Defaults to the documented message for well-known codes, else "Injected fault.". */
  message?: string;
  /** Defaults to the documented status for well-known codes, else 400. */
  status?: number;
  /** How many matching calls fail; default 1. `Infinity` until cancelled. */
  times?: number;
  /** Only calls whose (redacted) params satisfy this count and fail. */
  when?: ParamPredicate;
  /** Restrict to one product, for an action name both might share. */
  product?: Product;
  /**
   * `before` (default): the call fails and has no effect. `after`: the action takes effect and the client still gets
   * the error, like a response lost on the way back — the case that tests a client's idempotency.
   */
  phase?: 'before' | 'after';
}

export type Tamper = (body: Record<string, unknown>, params: Params) => Record<string, unknown> | undefined;

export interface TamperOptions {
  times?: number;
  when?: ParamPredicate;
  product?: Product;
}

export interface LatencyOptions {
  /** Only this action; all actions when absent. */
  action?: string;
  times?: number;
  when?: ParamPredicate;
}

/** A registered fault. `remaining` counts down per matching call; `hits` counts up. */
export interface FaultHandle {
  readonly remaining: number;
  readonly hits: number;
  cancel(): void;
}

interface Rule<T> {
  action: string | undefined;
  product: Product | undefined;
  when: ParamPredicate | undefined;
  remaining: number;
  hits: number;
  payload: T;
}

/** A fault whose undoing reopens sockets: `cancel` resolves once the load balancer is reachable again. */
export interface AsyncFaultHandle extends FaultHandle {
  cancel(): Promise<void>;
}

export interface UnreachableOptions {
  /** `refuse` (default): connects fail at once with ECONNREFUSED. `drop`: TCP connects, TLS never answers. */
  mode?: UnreachableMode;
}

/** What faults need from the rest of the emulator; wired by startEmulator. */
export interface FaultHooks {
  setCertificateQuota(regionId: string, quota: number): void;
  setUnreachable(regionId: string, loadBalancerId: string, mode: UnreachableMode | undefined): Promise<void>;
  setTlsFrozen(regionId: string, loadBalancerId: string, port: number, frozen: boolean): void;
  setDnsPropagationDelay(ms: number): void;
}

/**
 * Fault injection for tests. Faults apply after authentication, so a faulted call must still be signed correctly,
 * and they are matched in the order they were registered.
 */
export class Faults {
  private failures: Rule<{ code: string; message: string; status: number; phase: 'before' | 'after' }>[] = [];
  private tampers: Rule<Tamper>[] = [];
  private latencies: Rule<number>[] = [];
  private frozenTls = new Set<string>();
  private unreachableLbs = new Set<string>();

  constructor(private readonly hooks: FaultHooks) {}

  /** Fail the next `times` matching calls of `action`. */
  failNext(action: string, options: FailOptions): FaultHandle {
    const status = options.status ?? DEFAULT_STATUS[options.code] ?? 400;
    const message = options.message ?? DEFAULT_MESSAGES[options.code] ?? 'Injected fault.';
    return this.register(this.failures, action, options.product, options.when, options.times ?? 1, {
      code: options.code,
      message,
      status,
      phase: options.phase ?? 'before',
    });
  }

  /**
   * Rewrite the success body of the next matching calls, e.g. report another Fingerprint from
   * UploadServerCertificate. The stored state is untouched; return a new body or mutate the one given.
   */
  tamperResponse(action: string, tamper: Tamper, options: TamperOptions = {}): FaultHandle {
    return this.register(this.tampers, action, options.product, options.when, options.times ?? 1, tamper);
  }

  /**
   * Make one listener refuse SetLoadBalancerHTTPSListenerAttribute until cancelled. The default code is
   * `Forbidden.RAM` (403): a permanent refusal, like a RAM policy scoped to other load balancers.
   */
  refuseListenerUpdate(
    regionId: string,
    loadBalancerId: string,
    port: number,
    options: { code?: string; message?: string; status?: number; times?: number } = {},
  ): FaultHandle {
    return this.failNext('SetLoadBalancerHTTPSListenerAttribute', {
      code: options.code ?? 'Forbidden.RAM',
      ...(options.message === undefined ? {} : { message: options.message }),
      ...(options.status === undefined ? {} : { status: options.status }),
      times: options.times ?? Number.POSITIVE_INFINITY,
      product: 'slb',
      when: (p) =>
        p.LoadBalancerId === loadBalancerId &&
        Number(p.ListenerPort) === port &&
        (p.RegionId === undefined || p.RegionId === regionId),
    });
  }

  /**
   * The TLS listener keeps serving the certificate it serves now, whatever the API binding becomes, until cancelled
   * (then it catches up at once). Models a CLB whose data plane lags its control plane.
   */
  keepServingOldCertificate(regionId: string, loadBalancerId: string, port: number): FaultHandle {
    const key = `${regionId}/${loadBalancerId}/${port}`;
    this.frozenTls.add(key);
    this.hooks.setTlsFrozen(regionId, loadBalancerId, port, true);
    let cancelled = false;
    return {
      remaining: Number.POSITIVE_INFINITY,
      hits: 0,
      cancel: () => {
        if (cancelled) return;
        cancelled = true;
        this.frozenTls.delete(key);
        this.hooks.setTlsFrozen(regionId, loadBalancerId, port, false);
      },
    };
  }

  /**
   * Take a load balancer off the wire until cancelled: every TLS server of it (and any listener added meanwhile)
   * stops answering, while the API keeps reporting its Address and listeners unchanged, as a cloud load balancer
   * behind a network policy or with a broken data plane does. Deliberately not a private 10.x/192.168 Address: such
   * an address may be routed to a real host on a test machine, and a rotator decides "private" from the API alone.
   * Resolves once connects fail; unknown region or load balancer throws.
   */
  async unreachable(
    regionId: string,
    loadBalancerId: string,
    options: UnreachableOptions = {},
  ): Promise<AsyncFaultHandle> {
    const key = `${regionId}/${loadBalancerId}`;
    await this.hooks.setUnreachable(regionId, loadBalancerId, options.mode ?? 'refuse');
    this.unreachableLbs.add(key);
    let cancelled: Promise<void> | undefined;
    return {
      remaining: Number.POSITIVE_INFINITY,
      hits: 0,
      cancel: () => {
        cancelled ??= (async () => {
          if (!this.unreachableLbs.delete(key)) return;
          await this.hooks.setUnreachable(regionId, loadBalancerId, undefined);
        })();
        return cancelled;
      },
    };
  }

  /** Server-certificate quota of a region (default 100, or startEmulator's `certificateQuota`). */
  setCertificateQuota(regionId: string, quota: number): void {
    this.hooks.setCertificateQuota(regionId, quota);
  }

  /** Delay every matching call by `ms` before it is handled. Several matching rules: the longest wins. */
  latency(ms: number, options: LatencyOptions = {}): FaultHandle {
    return this.register(
      this.latencies,
      options.action,
      undefined,
      options.when,
      options.times ?? Number.POSITIVE_INFINITY,
      ms,
    );
  }

  /**
   * TXT records reach pebble-challtestsrv `ms` after AddDomainRecord answers (default 0: before it answers).
   * Deletions are mirrored at once. For testing a propagation check that polls.
   */
  delayDnsPropagation(ms: number): void {
    this.hooks.setDnsPropagationDelay(ms);
  }

  /**
   * Remove every fault (quotas stay as set). Resolves once unreachable load balancers answer again; await it when a
   * test used `unreachable`, the rest is undone at once.
   */
  reset(): Promise<void> {
    this.failures = [];
    this.tampers = [];
    this.latencies = [];
    for (const key of this.frozenTls) {
      const [regionId, lbId, port] = key.split('/') as [string, string, string];
      this.hooks.setTlsFrozen(regionId, lbId, Number(port), false);
    }
    this.frozenTls.clear();
    this.hooks.setDnsPropagationDelay(0);
    const restores = [...this.unreachableLbs].map((key) => {
      const [regionId, lbId] = key.split('/') as [string, string];
      return this.hooks.setUnreachable(regionId, lbId, undefined);
    });
    this.unreachableLbs.clear();
    return Promise.all(restores).then(() => undefined);
  }

  // ---- used by the RPC server ----

  async delay(product: Product, action: string, params: Params): Promise<void> {
    let ms = 0;
    for (const rule of this.matching(this.latencies, product, action, params)) {
      this.consume(this.latencies, rule);
      ms = Math.max(ms, rule.payload);
    }
    if (ms > 0) await new Promise((resolve) => setTimeout(resolve, ms));
  }

  failure(product: Product, action: string, params: Params, phase: 'before' | 'after'): ApiError | undefined {
    const rule = this.matching(this.failures, product, action, params, (r) => r.payload.phase === phase)[0];
    if (rule === undefined) return undefined;
    this.consume(this.failures, rule);
    const { code, message, status } = rule.payload;
    return new ApiError(code, message, status);
  }

  tamper(product: Product, action: string, params: Params, body: Record<string, unknown>): Record<string, unknown> {
    let out = body;
    for (const rule of this.matching(this.tampers, product, action, params)) {
      this.consume(this.tampers, rule);
      out = rule.payload(out, params) ?? out;
    }
    return out;
  }

  // ---- internals ----

  private register<T>(
    list: Rule<T>[],
    action: string | undefined,
    product: Product | undefined,
    when: ParamPredicate | undefined,
    times: number,
    payload: T,
  ): FaultHandle {
    if (!(times > 0)) throw new Error('times must be > 0');
    const rule: Rule<T> = { action, product, when, remaining: times, hits: 0, payload };
    list.push(rule);
    return {
      get remaining() {
        return rule.remaining;
      },
      get hits() {
        return rule.hits;
      },
      cancel: () => {
        rule.remaining = 0;
        const i = list.indexOf(rule);
        if (i >= 0) list.splice(i, 1);
      },
    };
  }

  private matching<T>(
    list: Rule<T>[],
    product: Product,
    action: string,
    params: Params,
    extra?: (r: Rule<T>) => boolean,
  ): Rule<T>[] {
    return list.filter(
      (r) =>
        r.remaining > 0 &&
        (r.action === undefined || r.action === action) &&
        (r.product === undefined || r.product === product) &&
        (extra === undefined || extra(r)) &&
        (r.when === undefined || r.when(params)),
    );
  }

  private consume<T>(list: Rule<T>[], rule: Rule<T>): void {
    rule.remaining -= 1;
    rule.hits += 1;
    if (rule.remaining <= 0) {
      const i = list.indexOf(rule);
      if (i >= 0) list.splice(i, 1);
    }
  }
}
