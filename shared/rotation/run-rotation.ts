import type { ManagedCertificate, RotatorConfig } from '../config/types.js';
import { ConfigError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import type { OutcomeSink } from '../log/outcome-sink.js';
import type { CertificateAuthority } from '../ports/certificate-authority.js';
import type { LoadBalancerService } from '../ports/load-balancer.js';
import type { RenewalInfoSource } from '../ports/renewal-info.js';
import type { WireProbe } from '../ports/wire-probe.js';
import { type OutcomeRecord, type SummaryRecord, summarize } from './outcome.js';
import { rotateCertificate } from './rotate-certificate.js';

export interface RunRequest {
  /** Names of the certificates to consider; all when empty or absent. */
  certificates?: string[];
  force?: boolean;
  /** `timer`, `http`, `cli`: recorded in the summary. */
  trigger: string;
  signal?: AbortSignal;
}

export interface RunDependencies {
  /** One LoadBalancerService per region. */
  loadBalancer: (regionId: string) => LoadBalancerService;
  certificateAuthority: () => Promise<CertificateAuthority>;
  renewalInfo?: RenewalInfoSource;
  wireProbe?: WireProbe;
  sleep?: (ms: number) => Promise<void>;
  sink: OutcomeSink;
  clock: () => Date;
  logger: Logger;
}

export interface RunResult {
  records: OutcomeRecord[];
  summary: SummaryRecord;
}

/** Unknown names are a caller error, reported before anything runs. */
export function selectCertificates(config: RotatorConfig, names: readonly string[] | undefined): ManagedCertificate[] {
  if (!names || names.length === 0) return config.certificates;
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
 * Rotates the selected certificates one after another (orders, DNS changes and SLB writes stay well inside the
 * providers' rate limits that way), writing one outcome record per certificate as soon as it is known, then a summary.
 */
export async function runRotation(
  config: RotatorConfig,
  request: RunRequest,
  deps: RunDependencies,
): Promise<RunResult> {
  const selected = selectCertificates(config, request.certificates);
  const startedAt = deps.clock().getTime();
  const regions = new Map<string, LoadBalancerService>();
  let ca: Promise<CertificateAuthority> | undefined;
  const certificateAuthority = () => {
    ca ??= deps.certificateAuthority();
    // A failed start (account registration refused, CA unreachable) is retried by the next certificate.
    ca.catch(() => {
      ca = undefined;
    });
    return ca;
  };

  const records: OutcomeRecord[] = [];
  for (const cert of selected) {
    let lb = regions.get(cert.region);
    if (!lb) {
      lb = deps.loadBalancer(cert.region);
      regions.set(cert.region, lb);
    }
    const record = await rotateCertificate(
      cert,
      {
        loadBalancer: lb,
        certificateAuthority,
        clock: deps.clock,
        logger: deps.logger,
        ...(deps.renewalInfo ? { renewalInfo: deps.renewalInfo } : {}),
        ...(deps.wireProbe ? { wireProbe: deps.wireProbe } : {}),
        ...(deps.sleep ? { sleep: deps.sleep } : {}),
      },
      { force: request.force === true, ...(request.signal ? { signal: request.signal } : {}) },
      config.slb,
    );
    records.push(record);
    deps.sink.write(record);
  }
  const summary = summarize(records, request.trigger, deps.clock().getTime() - startedAt);
  deps.sink.write(summary);
  return { records, summary };
}
