import type { ManagedCertificate } from '../config/types.js';
import {
  describeTarget,
  type IssuedCertificate,
  type ServerCertificate,
  type Target,
  type TargetBinding,
} from '../domain/certificate.js';
import { asRotatorError, CloudApiError, DeadlineError, type RotatorError, type Stage } from '../errors.js';
import type { Logger } from '../log/logger.js';
import { compareCertificates, sameCertificate } from '../policy/compare.js';
import { factsOf, selectCurrentCertificate } from '../policy/current-certificate.js';
import { decideRenewal } from '../policy/renewal.js';
import type { CertificateAuthority } from '../ports/certificate-authority.js';
import type { LoadBalancerService } from '../ports/load-balancer.js';
import { moveTargets } from './deploy.js';
import { failureFields, type OutcomeRecord, toCurrentRef, toRef } from './outcome.js';
import { rotatorTags, serverCertificateName } from './tags.js';

export interface RotateDependencies {
  loadBalancer: LoadBalancerService;
  /** Created on first use: loading acme-client and registering the account costs time nobody needs when nothing is due. */
  certificateAuthority: () => Promise<CertificateAuthority>;
  clock: () => Date;
  logger: Logger;
}

export interface RotateOptions {
  force: boolean;
  signal?: AbortSignal;
}

interface InUse {
  certificates: ServerCertificate[];
  bindings: TargetBinding[];
  previous: ServerCertificate | null;
  note: string | undefined;
}

/** Rotates one managed certificate: gather what SLB serves, decide, then issue, check, upload, compare and deploy. */
export async function rotateCertificate(
  cert: ManagedCertificate,
  deps: RotateDependencies,
  options: RotateOptions,
): Promise<OutcomeRecord> {
  const startedAt = deps.clock().getTime();
  const log = deps.logger.child({ certificate: cert.name, region: cert.region });
  const record: OutcomeRecord = {
    event: 'rotation.outcome',
    certificate: cert.name,
    region: cert.region,
    domains: cert.domains,
    outcome: 'failed',
    reason: '',
    previous: null,
    current: null,
    daysGained: null,
    targets: [],
    durationMs: 0,
  };
  const finish = (fields: Partial<OutcomeRecord>): OutcomeRecord =>
    Object.assign(record, fields, { durationMs: deps.clock().getTime() - startedAt });
  let stage: Stage = 'gather';

  try {
    if (options.signal?.aborted)
      throw new DeadlineError('the invocation ran out of time before this certificate started');
    const inUse = await gather(deps.loadBalancer, cert);
    record.previous = inUse.previous ? toRef(inUse.previous) : null;
    record.targets = inUse.bindings.map((b) => ({
      target: describeTarget(b.target),
      serverCertificateId: b.serverCertificateId,
      status: 'unchanged' as const,
    }));

    stage = 'decide';
    const decision = decideRenewal({
      current: inUse.previous ? factsOf(inUse.previous) : null,
      domains: cert.domains,
      policy: cert.renewal,
      force: options.force,
      now: deps.clock(),
      spreadKey: `${cert.region}/${cert.name}`,
    });
    const note = inUse.note ? ` (note: ${inUse.note})` : '';
    if (!decision.due) {
      return finish({ outcome: 'not-due', reason: decision.reason + note, renewAt: decision.renewAt.toISOString() });
    }
    log.info({ reason: decision.reason }, 'certificate is due');

    stage = 'issue';
    const ca = await deps.certificateAuthority();
    const issued = await ca.issue({
      domains: cert.domains,
      keyType: cert.keyType,
      ...(options.signal ? { signal: options.signal } : {}),
    });

    if (issued.cleanupError) {
      record.warnings = [`challenge record left behind: ${issued.cleanupError.message}`];
    }

    stage = 'compare';
    const local = compareCertificates({ issued, reported: null, previous: record.previous });
    if (local.verdict !== 'ok') return finish({ outcome: local.verdict, reason: `${local.reason}; nothing uploaded` });

    stage = 'upload';
    const uploaded = await uploadOnce(deps.loadBalancer, cert, issued, inUse.certificates, log);
    record.current = toCurrentRef(uploaded);

    stage = 'compare';
    const verdict = compareCertificates({ issued, reported: uploaded, previous: record.previous });
    if (verdict.verdict !== 'ok') {
      return finish({ outcome: verdict.verdict, reason: `${verdict.reason}; targets not moved` });
    }
    record.daysGained = verdict.daysGained;

    stage = 'deploy';
    if (inUse.bindings.length === 0) {
      return finish({ outcome: 'rotated', reason: `${decision.reason}; uploaded (no targets configured)${note}` });
    }
    const deployed = await moveTargets(deps.loadBalancer, inUse.bindings, uploaded.serverCertificateId);
    record.targets = deployed.targets;
    if (!deployed.ok) {
      const how = deployed.rolledBack ? 'every moved target was put back' : 'ROLLBACK INCOMPLETE, see targets';
      return finish({
        outcome: deployed.rolledBack ? 'rolled-back' : 'failed',
        reason: `${deployed.error.message}; ${how}`,
        ...failureFields(deployed.error),
      });
    }
    return finish({
      outcome: 'rotated',
      reason: `${decision.reason}; ${deployed.targets.length} target(s) verified${note}`,
    });
  } catch (err) {
    const error: RotatorError = asRotatorError(err, stage);
    log.error({ err: error }, 'rotation failed');
    return finish({ outcome: 'failed', reason: error.message, ...failureFields(error) });
  }
}

async function gather(lb: LoadBalancerService, cert: ManagedCertificate): Promise<InUse> {
  const targets: Target[] = cert.listeners.map((l) => ({
    kind: 'listener',
    regionId: cert.region,
    loadBalancerId: l.loadBalancerId,
    port: l.port,
  }));
  const [certificates, bindings] = await Promise.all([
    lb.listServerCertificates(),
    Promise.all(targets.map((t) => lb.getBinding(t))),
  ]);
  const selection = selectCurrentCertificate(cert.name, certificates, bindings);
  if (selection.kind === 'missing') {
    throw new CloudApiError(
      'gather',
      'DescribeServerCertificates',
      `the targets serve ${selection.serverCertificateIds.join(', ')}, which DescribeServerCertificates does not list in ${cert.region}`,
      { code: 'ServerCertificateId.NotFound' },
    );
  }
  return {
    certificates,
    bindings,
    previous: selection.kind === 'none' ? null : selection.certificate,
    note: selection.kind === 'bound' ? selection.note : undefined,
  };
}

/** Reuses a certificate with the same fingerprint already in the region: SLB does not deduplicate, and quota is 100. */
async function uploadOnce(
  lb: LoadBalancerService,
  cert: ManagedCertificate,
  issued: IssuedCertificate,
  existing: readonly ServerCertificate[],
  log: Logger,
): Promise<ServerCertificate> {
  const same = existing.find((c) => sameCertificate(c.fingerprint, issued));
  if (same) {
    log.info(
      { serverCertificateId: same.serverCertificateId },
      'the issued certificate is already uploaded; reusing it',
    );
    return same;
  }
  return lb.uploadServerCertificate({
    regionId: cert.region,
    serverCertificateName: serverCertificateName(cert.name, issued),
    certificatePem: issued.certificatePem,
    privateKeyPem: issued.privateKeyPem,
    tags: rotatorTags(cert.name, issued),
  });
}
