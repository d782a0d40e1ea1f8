import type { ManagedCertificate, RotatorConfig } from '../config/types.js';
import { certificatesSharingChallengeNames } from '../domain/challenge-names.js';
import { ConfigError, DeadlineError, asRotatorError, type RotatorError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import type { OutcomeSink } from '../log/outcome-sink.js';
import { planCertificate } from '../plan/make-plan.js';
import type { CertificatePlan, RunPlan } from '../plan/types.js';
import type { CertificateAuthority } from '../ports/certificate-authority.js';
import type { LeaseStore } from '../ports/lease.js';
import type { LoadBalancerService } from '../ports/load-balancer.js';
import type { RenewalInfoSource } from '../ports/renewal-info.js';
import type { WireProbe } from '../ports/wire-probe.js';
import { KeyedMutex } from '../util/keyed-mutex.js';
import { mapConcurrent } from '../util/map-concurrent.js';
import { buildOutcome } from './build-outcome.js';
import { executePlan, type ProgressListener, stopReason } from './execute.js';
import { type Gathered, gather } from './gather.js';
import { referencedIds } from './inventory.js';
import { DEFAULT_MAX_NEW_ORDERS_PER_RUN, withOrderBudget } from './order-budget.js';
import { failureFields, type OutcomeRecord, type SummaryRecord, summarize } from './outcome.js';
import { RegionView } from './region-view.js';
import { slbTargetHandlers, type TargetHandlers } from './targets.js';

/**
 * Certificates in flight at once unless `run.concurrency` says otherwise. Most of a rotation is waiting (DNS
 * propagation, the CA's validation, CLB applying a change, the wire check), so with twenty in flight one propagation
 * wait covers a typical fleet, while request pacing per product keeps the API calls under the providers' rate limits
 * and one writer per load balancer keeps CLB out of its configuring window.
 */
export const DEFAULT_CONCURRENCY = 20;

export interface RunRequest {
  /** Names of the certificates to consider; all when absent. */
  certificates?: string[];
  force?: boolean;
  /** `timer`, `http`, `cli`: recorded in the summary. */
  trigger: string;
  signal?: AbortSignal;
  /** Told when each certificate enters a stage (gather, then the executor's steps); the CLI's progress line. */
  onProgress?: ProgressListener;
  /**
   * Who holds the leases this run takes: a fan-out worker passes an id derived from its task, so the same worker
   * retried by Function Compute re-enters its own leases. A fresh id per run when absent.
   */
  leaseHolder?: string;
}

export interface RunDependencies {
  /** One LoadBalancerService per region. */
  loadBalancer: (regionId: string) => LoadBalancerService;
  certificateAuthority: () => Promise<CertificateAuthority>;
  renewalInfo?: RenewalInfoSource;
  wireProbe?: WireProbe;
  /** One lease per certificate before anything is ordered or deployed; absent = no leasing (unit tests). */
  leases?: LeaseStore;
  /** The handlers per kind of target; SLB listeners and domain extensions over the region's view by default. */
  targets?: (region: RegionView) => TargetHandlers;
  sleep?: (ms: number) => Promise<void>;
  sink: OutcomeSink;
  clock: () => Date;
  logger: Logger;
}

export interface RunResult {
  records: OutcomeRecord[];
  summary: SummaryRecord;
}

/** Unknown names, and an explicit empty list, are a caller error, reported before anything runs. */
export function selectCertificates(config: RotatorConfig, names: readonly string[] | undefined): ManagedCertificate[] {
  if (!names) return config.certificates;
  if (names.length === 0) {
    // An empty list is a mistake (a filter that matched nothing upstream), not "everything": leave it out for all.
    throw new ConfigError(['certificates: the list is empty; leave it out to select every configured certificate']);
  }
  const known = new Map(config.certificates.map((c) => [c.name, c]));
  const unknown = names.filter((n) => !known.has(n));
  if (unknown.length > 0) {
    throw new ConfigError([
      `certificates: unknown name(s) ${unknown.map((n) => JSON.stringify(n)).join(', ')}; configured: ${[...known.keys()].join(', ')}`,
    ]);
  }
  return [...new Set(names)].map((n) => known.get(n) as ManagedCertificate);
}

/**
 * The regions of one run: each read at most once, shared by every certificate in it. A view is made synchronously
 * on first use and its reads are cached as promises, so certificates that start together share one in-flight read.
 */
export class Regions {
  readonly #views = new Map<string, RegionView>();
  constructor(private readonly deps: RunDependencies) {}
  view(regionId: string): RegionView {
    let view = this.#views.get(regionId);
    if (!view) {
      view = new RegionView(this.deps.loadBalancer(regionId));
      this.#views.set(regionId, view);
    }
    return view;
  }
}

export type PlanOrFailure = { plan: CertificatePlan; gathered: Gathered } | { failure: RotatorError };

export async function gatherAndPlan(
  cert: ManagedCertificate,
  region: RegionView,
  config: RotatorConfig,
  deps: RunDependencies,
  force: boolean,
  signal: AbortSignal | undefined,
): Promise<PlanOrFailure> {
  try {
    const gathered = await gather(region, cert, deps.renewalInfo, signal);
    const plan = planCertificate(
      { ...gathered, referenced: gathered.inventory ? referencedIds(gathered.inventory) : undefined },
      {
        force,
        now: deps.clock(),
        certificateQuota: config.slb.certificateQuota,
        leases: deps.leases !== undefined,
      },
    );
    return { plan, gathered };
  } catch (err) {
    return {
      failure: signal?.aborted
        ? new DeadlineError(`${stopReason(signal)} during gather; the next run continues`, 'gather', { cause: err })
        : asRotatorError(err, 'gather'),
    };
  }
}

/**
 * What a run would do now, certificate by certificate: gathers (reads only) and plans. Nothing is ordered and nothing
 * in SLB or Alidns changes; acme-client is never loaded.
 */
export async function planRun(
  config: RotatorConfig,
  request: Omit<RunRequest, 'trigger'>,
  deps: RunDependencies,
): Promise<RunPlan> {
  const selected = selectCertificates(config, request.certificates);
  const regions = new Regions(deps);
  const plan: RunPlan = {
    event: 'rotation.plan',
    generatedAt: deps.clock().toISOString(),
    certificates: [],
    failures: [],
  };
  // Reads only: gathered concurrently like a run, reported in configuration order.
  const results = await mapConcurrent(selected, concurrencyOf(config), (cert) =>
    gatherAndPlan(cert, regions.view(cert.region), config, deps, request.force === true, request.signal),
  );
  for (const [i, cert] of selected.entries()) {
    const result = results[i] as PlanOrFailure;
    if ('plan' in result) plan.certificates.push(result.plan);
    else {
      plan.failures.push({
        certificate: cert.name,
        region: cert.region,
        stage: result.failure.stage,
        reason: result.failure.message,
        ...(result.failure.code ? { errorCode: result.failure.code } : {}),
      });
    }
  }
  return plan;
}

/**
 * Rotates the selected certificates, up to `run.concurrency` at a time: gather → plan → execute → record for each,
 * writing its outcome record as soon as it is known (so in the order they finish), then a summary. The records the
 * run returns, and so the summary's view of them, are in configuration order. Each region is read once and shared
 * by its certificates; writes to one load balancer are serialised (deploy.ts); at most `acme.maxNewOrdersPerRun` new
 * orders are placed (order-budget.ts).
 */
export async function runRotation(
  config: RotatorConfig,
  request: RunRequest,
  deps: RunDependencies,
): Promise<RunResult> {
  const selected = selectCertificates(config, request.certificates);
  const startedAt = deps.clock().getTime();
  const regions = new Regions(deps);
  let ca: Promise<CertificateAuthority> | undefined;
  const certificateAuthority = () => {
    ca ??= deps.certificateAuthority();
    // A failed start (account registration refused, CA unreachable) is retried by the next certificate.
    ca.catch(() => {
      ca = undefined;
    });
    return ca;
  };

  const orders = withOrderBudget(
    certificateAuthority,
    config.acme.maxNewOrdersPerRun ?? DEFAULT_MAX_NEW_ORDERS_PER_RUN,
  );
  const locks = new KeyedMutex();
  // Every configured certificate, not only this run's: another process (a fan-out worker) may be rotating the others.
  const sharing = certificatesSharingChallengeNames(config.certificates);

  const records = await mapConcurrent(selected, concurrencyOf(config), async (cert) => {
    const began = deps.clock().getTime();
    const record = await rotateOne(cert, regions.view(cert.region), config, deps, orders, locks, request, sharing);
    record.durationMs = deps.clock().getTime() - began;
    deps.sink.write(record);
    return record;
  });
  const summary = summarize(records, request.trigger, deps.clock().getTime() - startedAt);
  deps.sink.write(summary);
  return { records, summary };
}

async function rotateOne(
  cert: ManagedCertificate,
  region: RegionView,
  config: RotatorConfig,
  deps: RunDependencies,
  certificateAuthority: () => Promise<CertificateAuthority>,
  locks: KeyedMutex,
  request: RunRequest,
  sharing: ReadonlySet<string>,
): Promise<OutcomeRecord> {
  const { signal } = request;
  try {
    request.onProgress?.({ certificate: cert.name, region: cert.region, stage: 'gather' });
  } catch {
    // A display that fails must never stop a rotation.
  }
  const planned = signal?.aborted
    ? {
        failure: new DeadlineError(`${stopReason(signal)} before this certificate started`, 'gather') as RotatorError,
      }
    : await gatherAndPlan(cert, region, config, deps, request.force === true, signal);
  if ('failure' in planned) {
    deps.logger.error({ err: planned.failure, certificate: cert.name, region: cert.region }, 'rotation failed');
    return failedBeforePlan(cert, planned.failure);
  }
  const execution = await executePlan(
    planned.plan,
    cert,
    {
      region,
      targets: (deps.targets ?? slbTargetHandlers)(region),
      writeLocks: locks,
      challengeNamesShared: sharing.has(cert.name),
      certificateAuthority,
      clock: deps.clock,
      logger: deps.logger,
      ...(deps.wireProbe ? { wireProbe: deps.wireProbe } : {}),
      ...(deps.sleep ? { sleep: deps.sleep } : {}),
      ...(request.onProgress ? { progress: request.onProgress } : {}),
      ...(deps.leases ? { leases: deps.leases } : {}),
      ...(request.leaseHolder ? { leaseHolder: request.leaseHolder } : {}),
    },
    config.slb,
    signal,
  );
  return buildOutcome(planned.plan, execution, 0);
}

function concurrencyOf(config: RotatorConfig): number {
  return config.run?.concurrency ?? DEFAULT_CONCURRENCY;
}

function failedBeforePlan(cert: ManagedCertificate, error: RotatorError): OutcomeRecord {
  return {
    event: 'rotation.outcome',
    certificate: cert.name,
    region: cert.region,
    domains: cert.domains,
    outcome: 'failed',
    reason: error.message,
    previous: null,
    current: null,
    daysGained: null,
    targets: [],
    durationMs: 0,
    ...failureFields(error),
  };
}
