import { matchesFingerprint } from '../certs/fingerprint.js';
import type { RotatorConfig } from '../config/types.js';
import { describeTarget } from '../domain/certificate.js';
import type { WireProbe } from '../ports/wire-probe.js';
import type { Gathered } from '../rotation/gather.js';
import { gatherAndPlan, Regions, type RunDependencies, selectCertificates } from '../rotation/run-rotation.js';
import { handlerOf, slbTargetHandlers } from '../rotation/targets.js';
import { mapConcurrent } from '../util/map-concurrent.js';
import { checkWatchList } from '../watch/check-watch-list.js';
import { certificateStatus } from './build-status.js';
import type { CertificateStatus, StatusReport } from './types.js';

export interface StatusRunRequest {
  certificates?: string[];
  /** A live TLS check of every target. */
  wire?: boolean;
  /** Due for longer than this many days is `overdue`. */
  overdueAfterDays: number;
  signal?: AbortSignal;
}

type WireFinding = { status: 'verified' | 'stale' | 'unreachable'; detail: string };

/** Targets probed at the same time during `status --wire`. */
const PROBES_IN_FLIGHT = 8;

/**
 * Every selected managed certificate's state, from what SLB reports now (and, with `wire`, what each target
 * presents). Reads only; stateless: SLB and the rotator's tags are the record.
 */
export async function statusRun(
  config: RotatorConfig,
  request: StatusRunRequest,
  deps: RunDependencies,
): Promise<StatusReport> {
  const selected = selectCertificates(config, request.certificates);
  const regions = new Regions(deps);
  const now = deps.clock();
  const certificates: CertificateStatus[] = [];
  for (const cert of selected) {
    const region = regions.view(cert.region);
    const result = await gatherAndPlan(cert, region, config, deps, false, request.signal);
    if ('failure' in result) {
      certificates.push({
        certificate: cert.name,
        region: cert.region,
        domains: cert.domains,
        state: 'unreachable',
        code: `failed.${result.failure.stage}`,
        reason: result.failure.message,
        serverCertificateId: null,
        fingerprint: null,
        expireTime: null,
        expireTimeStamp: null,
        daysLeft: null,
        lifetimeDays: null,
        renewAt: null,
        targets: [],
      });
      continue;
    }
    const { plan, gathered } = result;
    const wire =
      request.wire && deps.wireProbe
        ? await wireCheck(deps.wireProbe, slbTargetHandlers(region), gathered, request.signal)
        : undefined;
    certificates.push(
      certificateStatus(
        {
          plan,
          certificates: gathered.certificates,
          bindings: gathered.bindings,
          previous: gathered.previous,
          ...(wire ? { wire } : {}),
        },
        { now, overdueAfterDays: request.overdueAfterDays },
      ),
    );
  }
  const watch = config.watch?.length ? await checkWatchList(config.watch, { now }) : [];
  return { event: 'rotation.status', generatedAt: now.toISOString(), certificates, watch };
}

async function wireCheck(
  probe: WireProbe,
  targets: ReturnType<typeof slbTargetHandlers>,
  gathered: Gathered,
  signal: AbortSignal | undefined,
): Promise<Map<string, WireFinding>> {
  const checks = await mapConcurrent(gathered.bindings, PROBES_IN_FLIGHT, async (b): Promise<[string, WireFinding]> => {
    const name = describeTarget(b.target);
    const expected = gathered.certificates.find((c) => c.serverCertificateId === b.serverCertificateId);
    const endpoint = await handlerOf(targets, b.target).wireEndpoint(b.target, gathered.certificate.domains);
    if ('unreachable' in endpoint) return [name, { status: 'unreachable', detail: endpoint.unreachable }];
    const where = `${endpoint.host}:${endpoint.port} (SNI ${endpoint.servername})`;
    const seen = await probe.presentedLeaf(endpoint, signal ? { signal } : {});
    if (seen.kind === 'unreachable') return [name, { status: 'unreachable', detail: `${where}: ${seen.reason}` }];
    return expected && matchesFingerprint(expected.fingerprint, seen)
      ? [name, { status: 'verified', detail: where }]
      : [name, { status: 'stale', detail: `${where} presents ${seen.sha1}, not ${b.serverCertificateId}` }];
  });
  return new Map(checks);
}
