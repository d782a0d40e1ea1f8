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

/** A listener's default certificate, or one SNI domain extension of that listener. */
export interface BindingTarget {
  regionId: string;
  loadBalancerId: string;
  port: number;
  /** Absent: the listener's default certificate. */
  domainExtensionId?: string;
}

export interface ReadBackOptions {
  /** How many read-backs after the change are affected; default 1. */
  times?: number;
}

export interface FailReadBackOptions extends ReadBackOptions {
  /** Default `InternalError` (500). A client that retries that code needs `times` above its attempts. */
  code?: string;
  message?: string;
  status?: number;
}

/** What faults need from the rest of the emulator; wired by startEmulator. */
export interface FaultHooks {
  setCertificateQuota(regionId: string, quota: number): void;
  setUnreachable(regionId: string, loadBalancerId: string, mode: UnreachableMode | undefined): Promise<void>;
  setTlsFrozen(regionId: string, loadBalancerId: string, port: number, frozen: boolean): void;
  /** `undefined`: back to the emulator's configured delay. */
  setDnsPropagationDelay(ms: number | undefined): void;
  /** Optional so an older wiring still compiles; `allowDeletingReferencedCertificates` needs it. */
  setDeleteReferencedAllowed?(allowed: boolean): void;
}

/** The read-back of a binding: the listener attribute carries its certificate and its domain extensions. */
const READ_BACK_ACTION = 'DescribeLoadBalancerHTTPSListenerAttribute';

function changesBinding(target: BindingTarget): { action: string; when: ParamPredicate } {
  const inRegion = (p: Params) => p.RegionId === undefined || p.RegionId === target.regionId;
  if (target.domainExtensionId !== undefined) {
    return {
      action: 'SetDomainExtensionAttribute',
      when: (p) =>
        inRegion(p) && p.DomainExtensionId === target.domainExtensionId && p.ServerCertificateId !== undefined,
    };
  }
  return {
    action: 'SetLoadBalancerHTTPSListenerAttribute',
    when: (p) =>
      inRegion(p) &&
      p.LoadBalancerId === target.loadBalancerId &&
      Number(p.ListenerPort) === target.port &&
      p.ServerCertificateId !== undefined,
  };
}

function readsBinding(target: BindingTarget): ParamPredicate {
  return (p) =>
    (p.RegionId === undefined || p.RegionId === target.regionId) &&
    p.LoadBalancerId === target.loadBalancerId &&
    Number(p.ListenerPort) === target.port;
}

/** The certificate id a listener-attribute answer reports for the target, or undefined when it names none. */
function reportedCertificate(body: Record<string, unknown>, target: BindingTarget): string | undefined {
  if (target.domainExtensionId === undefined) {
    return typeof body.ServerCertificateId === 'string' ? body.ServerCertificateId : undefined;
  }
  return extensionsOf(body).find((e) => e.DomainExtensionId === target.domainExtensionId)?.ServerCertificateId;
}

function withReportedCertificate(
  body: Record<string, unknown>,
  target: BindingTarget,
  certificateId: string,
): Record<string, unknown> {
  if (target.domainExtensionId === undefined) return { ...body, ServerCertificateId: certificateId };
  const DomainExtension = extensionsOf(body).map((e) =>
    e.DomainExtensionId === target.domainExtensionId ? { ...e, ServerCertificateId: certificateId } : e,
  );
  return { ...body, DomainExtensions: { DomainExtension } };
}

function extensionsOf(body: Record<string, unknown>): { DomainExtensionId?: string; ServerCertificateId?: string }[] {
  const wrapper = body.DomainExtensions as { DomainExtension?: unknown } | undefined;
  return Array.isArray(wrapper?.DomainExtension)
    ? (wrapper.DomainExtension as { DomainExtensionId?: string; ServerCertificateId?: string }[])
    : [];
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
  private deleteReferencedAllowed = false;

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

  /**
   * The next change of the target's certificate is accepted and takes effect (listener, TLS server, later reads), but
   * the read-back right after it still reports the certificate the target had before, as a read path that lags the
   * write path does. "Before" is what the previous read of that listener reported, so a client that never read it
   * first sees no difference (`hits` stays 0).
   */
  staleReadBack(target: BindingTarget, options: ReadBackOptions = {}): FaultHandle {
    const times = positiveTimes(options.times ?? 1);
    let armed = false;
    let before: string | undefined;
    let remaining = times;
    let hits = 0;
    const change = changesBinding(target);
    const arm = this.register(this.tampers, change.action, 'slb', change.when, 1, (body) => {
      armed = true;
      return body;
    });
    const reads = readsBinding(target);
    const rewrite = this.register(
      this.tampers,
      READ_BACK_ACTION,
      'slb',
      reads,
      Number.POSITIVE_INFINITY,
      (body: Record<string, unknown>) => {
        if (!armed) {
          before = reportedCertificate(body, target) ?? before;
          return body;
        }
        if (remaining <= 0 || before === undefined) return body;
        remaining -= 1;
        hits += 1;
        if (remaining === 0) rewrite.cancel();
        return withReportedCertificate(body, target, before);
      },
    );
    return {
      get remaining() {
        return remaining;
      },
      get hits() {
        return hits;
      },
      cancel: () => {
        remaining = 0;
        arm.cancel();
        rewrite.cancel();
      },
    };
  }

  /**
   * The next change of the target's certificate is accepted and takes effect, and the read-back right after it
   * fails with `code`: the client cannot tell what the target serves now, although it does serve the new
   * certificate.
   */
  failReadBack(target: BindingTarget, options: FailReadBackOptions = {}): FaultHandle {
    const times = positiveTimes(options.times ?? 1);
    const code = options.code ?? 'InternalError';
    let armed = false;
    const change = changesBinding(target);
    const arm = this.register(this.tampers, change.action, 'slb', change.when, 1, (body) => {
      armed = true;
      return body;
    });
    const reads = readsBinding(target);
    const failure = this.register(this.failures, READ_BACK_ACTION, 'slb', (p) => armed && reads(p), times, {
      code,
      message: options.message ?? DEFAULT_MESSAGES[code] ?? 'Injected fault.',
      status: options.status ?? DEFAULT_STATUS[code] ?? 400,
      phase: 'before' as const,
    });
    return {
      get remaining() {
        return failure.remaining;
      },
      get hits() {
        return failure.hits;
      },
      cancel: () => {
        arm.cancel();
        failure.cancel();
      },
    };
  }

  /**
   * Until cancelled, DeleteServerCertificate deletes a certificate even while a listener or domain extension serves
   * it, instead of refusing with `CertificateAndPrivateKeyIsRefered`: a permissive service, so a test sees what a
   * client itself asks for rather than what SLB saves it from. The TLS servers keep serving what they have.
   */
  allowDeletingReferencedCertificates(): FaultHandle {
    const set = this.hooks.setDeleteReferencedAllowed;
    if (set === undefined) {
      throw new Error('allowDeletingReferencedCertificates: this emulator does not wire setDeleteReferencedAllowed');
    }
    set(true);
    this.deleteReferencedAllowed = true;
    let cancelled = false;
    return {
      remaining: Number.POSITIVE_INFINITY,
      hits: 0,
      cancel: () => {
        if (cancelled) return;
        cancelled = true;
        this.deleteReferencedAllowed = false;
        set(false);
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
   * TXT records added from now on reach pebble-challtestsrv `ms` after AddDomainRecord answers (without this fault:
   * the emulator's configured delay, 0 by default, which is still after the answer). Deletions are mirrored before
   * DeleteDomainRecord answers. For testing a propagation check that polls.
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
    this.hooks.setDnsPropagationDelay(undefined);
    if (this.deleteReferencedAllowed) {
      this.deleteReferencedAllowed = false;
      this.hooks.setDeleteReferencedAllowed?.(false);
    }
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
    positiveTimes(times);
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

function positiveTimes(times: number): number {
  if (!(times > 0)) throw new Error('times must be > 0');
  return times;
}
