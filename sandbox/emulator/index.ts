/**
 * Local emulator of the Alibaba Cloud APIs the rotator calls: SLB (CLB) 2014-05-15 and Alidns 2015-01-09 on one RPC
 * port, real signature v1 checks, HTTPS listeners as real TLS servers, TXT records mirrored into pebble-challtestsrv.
 * Function Compute 3.0 on a second port (InvokeFunction, fc2's `FC` signature) and HTTP triggers on their own ports.
 * A dev/test tool: deployed code (functions/, shared/) must never import it.
 */
import { ALIDNS_VERSION, Alidns, type DomainRecordItem } from './alidns.js';
import { CallLog, type CallRecord, type Product } from './call-log.js';
import { ChalltestsrvMirror } from './challtestsrv-mirror.js';
import { type AccessKey, CredentialStore, type StsCredentials } from './credentials.js';
import { Faults } from './faults.js';
import { type AsyncAttempt, FcService, type FcInvocation, startFcApiServer } from './fc.js';
import type { FcContext, FcFunctionCode, FcFunctionSpec, FcHandler } from './fc-function-runner.js';
import { type HttpTrigger, type HttpTriggerAuthType, startHttpTrigger } from './gateway.js';
import { type ProductHandler, startRpcServer } from './rpc-server.js';
import { ALIDNS_RATE_QUOTAS, RateQuotas } from './rate-quotas.js';
import {
  DEFAULT_CERTIFICATE_QUOTA,
  type DomainExtensionInfo,
  type ListenerBinding,
  type ServerCertificateItem,
  SLB_VERSION,
  Slb,
} from './slb.js';
import { type TlsEndpoint, TlsListeners } from './tls-listeners.js';

export { ApiError } from './errors.js';
export type {
  AsyncFaultHandle,
  FailOptions,
  FaultHandle,
  LatencyOptions,
  ParamPredicate,
  Tamper,
  TamperOptions,
  UnreachableMode,
  UnreachableOptions,
} from './faults.js';
export type {
  AccessKey,
  AsyncAttempt,
  CallRecord,
  DomainExtensionInfo,
  DomainRecordItem,
  FcContext,
  FcFunctionCode,
  FcFunctionSpec,
  FcHandler,
  FcInvocation,
  HttpTrigger,
  HttpTriggerAuthType,
  ListenerBinding,
  Product,
  ServerCertificateItem,
  StsCredentials,
  TlsEndpoint,
};
export { ALIDNS_VERSION, Faults, SLB_VERSION };

export interface EmulatorOptions {
  /** RPC port on 127.0.0.1; 0 (default) picks a free one. */
  port?: number;
  /** pebble-challtestsrv management URL, e.g. `http://127.0.0.1:8055`; TXT records are mirrored there. */
  challtestsrvUrl?: string;
  /** Server certificates per region before OverQuota; default 100. */
  certificateQuota?: number;
  /** Epoch ms; drives Timestamp skew checks, STS expiry, CreateTime and the call log. Default Date.now. */
  clock?: () => number;
  /** Use this long-term key instead of a random one (the standalone CLI lets users pin it). */
  accessKey?: AccessKey;
  /** Start a TLS server per HTTPS listener (default true). */
  tlsListeners?: boolean;
  /** Port of the Function Compute endpoint on 127.0.0.1; 0 (default) picks a free one. */
  fcPort?: number;
  /** The account the FC endpoint serves (checked against fc2's x-fc-account-id); default `1234567890123456`. */
  fcAccountId?: string;
  /** `context.region` of functions the emulator runs; default `cn-hangzhou`. */
  fcRegion?: string;
  /**
   * Refuse calls beyond Alidns's published per-API rate quotas with `Throttling.User` (rate-quotas.ts), as Alidns
   * does; default true.
   */
  alidnsRateQuotas?: boolean;
  /** How long after AddDomainRecord answers a TXT record becomes visible (as on Alidns); default 0. */
  dnsPropagationDelayMs?: number;
  /**
   * After a listener or domain extension write, further such writes to that load balancer get ServiceIsConfiguring
   * for this long (ms), as real CLB while it applies a change; default 0.
   */
  slbConfiguringWindowMs?: number;
  /** Retries of a failed asynchronous FC invocation when the function's spec sets none; default 3, as FC. */
  fcMaxAsyncRetryAttempts?: number;
  /**
   * Called as each attempt of an asynchronous FC invocation starts; a returned promise SIGKILLs that attempt's
   * process when it resolves (a crashed worker). The retry gets the same event and task id.
   */
  fcKillAsyncAttempt?: (attempt: AsyncAttempt) => Promise<void> | undefined;
}

/** Function Compute 3.0: functions, their invocations, and HTTP triggers in front of them. */
export interface FcControl {
  /** `http://127.0.0.1:PORT`: fc2's `endpoint` (ROTATOR_FC_ENDPOINT); serves InvokeFunction under /2023-03-30. */
  readonly endpoint: string;
  readonly accountId: string;
  readonly region: string;
  /** A handler in this process, or a bundle run in warm instances (Node processes with FC's loader). Replaces a same name. */
  registerFunction(spec: FcFunctionSpec): void;
  /** Every invocation so far (API and HTTP triggers), oldest first, without credentials. */
  invocations(functionName?: string): FcInvocation[];
  /** Resolves once the invocation has succeeded or failed. */
  waitForInvocation(requestId: string, timeoutMs?: number): Promise<FcInvocation>;
  /** An HTTP trigger of a registered function on its own loopback port; closed with the emulator. */
  startHttpTrigger(
    functionName: string,
    options: { authType: HttpTriggerAuthType; port?: number },
  ): Promise<HttpTrigger>;
}

/** Seeding and inspection of SLB state, without signed calls. Input rules are the same as the API's. */
export interface SlbControl {
  addLoadBalancer(regionId: string, options?: { name?: string }): { loadBalancerId: string; address: string };
  /** Resolves once the listener's TLS server accepts connections. */
  addHttpsListener(
    regionId: string,
    loadBalancerId: string,
    port: number,
    serverCertificateId: string,
    options?: { status?: 'running' | 'stopped'; bandwidth?: number; tlsCipherPolicy?: string },
  ): Promise<void>;
  /** Returns the DomainExtensionId. At most 3 per listener unless raised with setDomainExtensionLimit. */
  addDomainExtension(
    regionId: string,
    loadBalancerId: string,
    port: number,
    domain: string,
    serverCertificateId: string,
  ): string;
  importCertificate(
    regionId: string,
    input: { certificatePem: string; privateKeyPem: string; name: string; tags?: Record<string, string> },
  ): ServerCertificateItem;
  certificates(regionId: string): ServerCertificateItem[];
  /** What the API says the listener serves. */
  binding(regionId: string, loadBalancerId: string, port: number): ListenerBinding;
  /** What the TLS server serves now (differs from `binding` only under keepServingOldCertificate). */
  servedBinding(regionId: string, loadBalancerId: string, port: number): ListenerBinding | undefined;
  /**
   * Where the listener's TLS server is: the load balancer's Address and the listener port, unless that port could not
   * be bound (EACCES without root for ports <1024, EADDRINUSE), then the same address on a free port. Use the
   * listener's domain as servername for SNI.
   */
  tlsEndpoint(regionId: string, loadBalancerId: string, port: number): TlsEndpoint;
  setCertificateQuota(regionId: string, quota: number): void;
  setDomainExtensionLimit(limit: number): void;
}

export interface AlidnsControl {
  addZone(name: string): { domainId: string; domainName: string };
  records(zone: string): DomainRecordItem[];
  zones(): string[];
  /** Move a record's CreateTimestamp and UpdateTimestamp `ms` into the past; returns the record as now reported. */
  backdateRecord(recordId: string, ms: number): DomainRecordItem;
}

export interface Emulator {
  /** `http://127.0.0.1:PORT`: pass as pop-core's `endpoint` for both SLB and Alidns. */
  readonly endpoint: string;
  readonly port: number;
  /** A long-term key the emulator accepts. */
  readonly credentials: AccessKey;
  /** Temporary credentials like FC's `context.credentials` (default TTL 1 h on the emulator's clock). */
  issueStsCredentials(ttlMs?: number): StsCredentials;
  /** Another long-term key (e.g. for a second client). */
  createAccessKey(): AccessKey;
  readonly slb: SlbControl;
  readonly alidns: AlidnsControl;
  readonly faults: Faults;
  readonly fc: FcControl;
  /** Snapshot of every wire call so far, oldest first, with credentials and PrivateKey removed. */
  readonly calls: readonly CallRecord[];
  /** `calls` filtered by action (and product). */
  callsOf(action: string, product?: Product): CallRecord[];
  clearCalls(): void;
  /** Closes the RPC server, every TLS listener, the FC endpoint and its triggers (running functions are killed). */
  close(): Promise<void>;
}

export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const clock = options.clock ?? Date.now;
  const credentials = new CredentialStore(clock);
  const longTerm = credentials.createAccessKey(options.accessKey);
  const tls = options.tlsListeners === false ? undefined : new TlsListeners();
  const mirror = options.challtestsrvUrl ? new ChalltestsrvMirror(options.challtestsrvUrl) : undefined;
  const slb = new Slb({
    clock,
    certificateQuota: options.certificateQuota ?? DEFAULT_CERTIFICATE_QUOTA,
    tls,
    configuringWindowMs: options.slbConfiguringWindowMs ?? 0,
  });
  const alidns = new Alidns({
    clock,
    mirror,
    ...(options.dnsPropagationDelayMs !== undefined ? { propagationDelayMs: options.dnsPropagationDelayMs } : {}),
  });
  const faults = new Faults({
    setCertificateQuota: (regionId, quota) => slb.setCertificateQuota(regionId, quota),
    setTlsFrozen: (regionId, lbId, port, frozen) => slb.setTlsFrozen(regionId, lbId, port, frozen),
    setUnreachable: (regionId, lbId, mode) => slb.setUnreachable(regionId, lbId, mode),
    setDnsPropagationDelay: (ms) => alidns.setPropagationDelay(ms),
    setDeleteReferencedAllowed: (allowed) => slb.setDeleteReferencedAllowed(allowed),
  });
  const calls = new CallLog();
  const products = new Map<string, ProductHandler>([
    [SLB_VERSION, slb],
    [ALIDNS_VERSION, alidns],
  ]);
  const rpc = await startRpcServer({
    host: '127.0.0.1',
    port: options.port ?? 0,
    clock,
    credentials,
    products,
    faults,
    calls,
    rateQuotas: new RateQuotas(clock, options.alidnsRateQuotas === false ? {} : { alidns: ALIDNS_RATE_QUOTAS }),
  });
  const fc = new FcService({
    clock,
    credentials,
    accountId: options.fcAccountId ?? '1234567890123456',
    region: options.fcRegion ?? 'cn-hangzhou',
    ...(options.fcMaxAsyncRetryAttempts !== undefined
      ? { maxAsyncRetryAttempts: options.fcMaxAsyncRetryAttempts }
      : {}),
    ...(options.fcKillAsyncAttempt ? { killAsyncAttempt: options.fcKillAsyncAttempt } : {}),
  });
  const fcApi = await startFcApiServer(fc, { host: '127.0.0.1', port: options.fcPort ?? 0, clock, credentials });
  const triggers: HttpTrigger[] = [];

  let closed: Promise<void> | undefined;
  return {
    endpoint: rpc.endpoint,
    port: rpc.port,
    credentials: longTerm,
    issueStsCredentials: (ttlMs) => credentials.issueSts(ttlMs),
    createAccessKey: () => credentials.createAccessKey(),
    slb: {
      addLoadBalancer: (regionId, o) => slb.addLoadBalancer(regionId, o),
      addHttpsListener: async (regionId, lbId, port, certId, o) => {
        await slb.addHttpsListener(regionId, lbId, port, certId, o);
      },
      addDomainExtension: (regionId, lbId, port, domain, certId) =>
        slb.addDomainExtension(regionId, lbId, port, domain, certId),
      importCertificate: (regionId, input) => slb.importCertificate(regionId, input),
      certificates: (regionId) => slb.certificates(regionId),
      binding: (regionId, lbId, port) => slb.binding(regionId, lbId, port),
      servedBinding: (regionId, lbId, port) => slb.servedBinding(regionId, lbId, port),
      tlsEndpoint: (regionId, lbId, port) => slb.tlsEndpoint(regionId, lbId, port),
      setCertificateQuota: (regionId, quota) => slb.setCertificateQuota(regionId, quota),
      setDomainExtensionLimit: (limit) => slb.setDomainExtensionLimit(limit),
    },
    alidns: {
      addZone: (name) => alidns.addZone(name),
      records: (zone) => alidns.records(zone),
      zones: () => alidns.zoneNames(),
      backdateRecord: (recordId, ms) => alidns.backdateRecord(recordId, ms),
    },
    faults,
    fc: {
      endpoint: fcApi.endpoint,
      accountId: fc.accountId,
      region: fc.region,
      registerFunction: (spec) => fc.register(spec),
      invocations: (name) => fc.invocations(name),
      waitForInvocation: (id, timeoutMs) => fc.waitFor(id, timeoutMs),
      startHttpTrigger: async (functionName, o) => {
        if (!fc.has(functionName)) throw new Error(`no function ${functionName} is registered`);
        const trigger = await startHttpTrigger(fc, {
          functionName,
          authType: o.authType,
          host: '127.0.0.1',
          port: o.port ?? 0,
          clock,
          credentials,
        });
        triggers.push(trigger);
        return trigger;
      },
    },
    get calls() {
      return calls.all();
    },
    callsOf: (action, product) =>
      calls.all().filter((c) => c.action === action && (product === undefined || c.product === product)),
    clearCalls: () => calls.clear(),
    close: () => {
      closed ??= (async () => {
        await Promise.all([rpc.close(), tls?.closeAll(), fcApi.close(), ...triggers.map((t) => t.close())]);
        await fc.close();
        await alidns.settle();
      })();
      return closed;
    },
  };
}
