import { matchesFingerprint } from '../certs/fingerprint.js';
import type { ManagedCertificate } from '../config/types.js';
import { describeTarget, type IssuedCertificate, type ServerCertificate } from '../domain/certificate.js';
import { asRotatorError, CloudApiError, DeadlineError, DeployError, RotatorError, type Stage } from '../errors.js';
import type { Logger } from '../log/logger.js';
import { compareCertificates, daysBetween } from '../policy/compare.js';
import { factsOf } from '../policy/current-certificate.js';
import { decideRenewal } from '../policy/renewal.js';
import { findResumable } from '../policy/resume.js';
import type { CertificateAuthority } from '../ports/certificate-authority.js';
import type { LoadBalancerService } from '../ports/load-balancer.js';
import type { RenewalInfoSource, RenewalWindow } from '../ports/renewal-info.js';
import type { WireProbe } from '../ports/wire-probe.js';
import { moveTargets, rollBack } from './deploy.js';
import { gatherInUse, type InUse } from './gather.js';
import { failureFields, type OutcomeRecord, toCurrentRef, toRef } from './outcome.js';
import { pruneOwnCertificates } from './prune.js';
import { ariCertIdOf, rotatorTags, serverCertificateName } from './tags.js';
import { verifyOnWire } from './verify-wire.js';

export interface RotateDependencies {
  loadBalancer: LoadBalancerService;
  /** Created on first use: loading acme-client and registering the account costs time nobody needs when nothing is due. */
  certificateAuthority: () => Promise<CertificateAuthority>;
  /** The CA's renewal information (RFC 9773); absent when not wired. */
  renewalInfo?: RenewalInfoSource;
  /** Proof on the wire; absent or `verifyOnWire: false` means API read-back only. */
  wireProbe?: WireProbe;
  clock: () => Date;
  sleep?: (ms: number) => Promise<void>;
  logger: Logger;
}

export interface RotateSettings {
  certificateQuota: number;
  verifyOnWire: boolean;
  wireSettleSeconds: number;
}

export interface RotateOptions {
  force: boolean;
  signal?: AbortSignal;
}

/**
 * Rotates one managed certificate: gather what SLB serves, decide, then obtain (resume an earlier upload, or issue,
 * check and upload), compare, deploy, prove on the wire, and prune. Writes nothing before it has decided.
 */
export async function rotateCertificate(
  cert: ManagedCertificate,
  deps: RotateDependencies,
  options: RotateOptions,
  settings: RotateSettings,
): Promise<OutcomeRecord> {
  const startedAt = deps.clock().getTime();
  const log = deps.logger.child({ certificate: cert.name, region: cert.region });
  const lb = deps.loadBalancer;
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
  const warn = (w: string) => {
    record.warnings = [...(record.warnings ?? []), w];
  };
  const finish = (fields: Partial<OutcomeRecord>): OutcomeRecord =>
    Object.assign(record, fields, { durationMs: deps.clock().getTime() - startedAt });
  let stage: Stage = 'gather';

  try {
    if (options.signal?.aborted)
      throw new DeadlineError('the invocation ran out of time before this certificate started');
    const inUse = await gatherInUse(lb, cert);
    const previous = inUse.previous;
    record.previous = previous ? toRef(previous) : null;
    record.targets = inUse.bindings.map((b) => ({
      target: describeTarget(b.target),
      serverCertificateId: b.serverCertificateId,
      status: 'unchanged' as const,
    }));

    stage = 'decide';
    const ariId = previous ? ariCertIdOf(previous) : undefined;
    const ari = ariId ? await renewalWindow(deps, ariId, options.signal, warn) : null;
    const decision = decideRenewal({
      current: previous ? factsOf(previous) : null,
      domains: cert.domains,
      policy: cert.renewal,
      force: options.force,
      now: deps.clock(),
      spreadKey: `${cert.region}/${cert.name}`,
      ari,
    });
    const note = inUse.note ? ` (note: ${inUse.note})` : '';
    if (!decision.due) {
      return finish({ outcome: 'not-due', reason: decision.reason + note, renewAt: decision.renewAt.toISOString() });
    }
    log.info({ reason: decision.reason }, 'certificate is due');

    // An earlier run may have uploaded a good certificate and stopped before every target served it.
    // A forced run always orders anew: that is what force is for (e.g. a key to be replaced).
    const resumable = options.force
      ? undefined
      : findResumable({
          name: cert.name,
          domains: cert.domains,
          certificates: inUse.certificates,
          previous,
          policy: cert.renewal,
          now: deps.clock(),
          spreadKey: `${cert.region}/${cert.name}`,
        });
    let current: ServerCertificate;
    if (resumable) {
      log.info(
        { serverCertificateId: resumable.serverCertificateId },
        'resuming with a certificate an earlier run uploaded',
      );
      current = resumable;
      record.resumed = true;
    } else {
      stage = 'preflight';
      await ensureQuota(lb, cert, inUse, settings.certificateQuota, warn);

      stage = 'issue';
      const ca = await deps.certificateAuthority();
      const issued = await ca.issue({
        domains: cert.domains,
        keyType: cert.keyType,
        ...(ariId ? { replaces: ariId } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
      });
      if (issued.cleanupError) warn(`challenge record left behind: ${issued.cleanupError.message}`);

      stage = 'compare';
      const local = compareCertificates({ issued, reported: null, previous: record.previous });
      if (local.verdict !== 'ok')
        return finish({ outcome: local.verdict, reason: `${local.reason}; nothing uploaded` });

      stage = 'upload';
      current = await uploadOnce(lb, cert, issued, inUse.certificates, log);

      stage = 'compare';
      const verdict = compareCertificates({ issued, reported: current, previous: record.previous });
      if (verdict.verdict !== 'ok') {
        record.current = toCurrentRef(current);
        return finish({ outcome: verdict.verdict, reason: `${verdict.reason}; targets not moved` });
      }
    }
    record.current = toCurrentRef(current);
    record.daysGained = previous ? daysBetween(previous.expireTimeStamp, current.expireTimeStamp) : null;
    const how = record.resumed ? `; resumed with ${current.serverCertificateId} uploaded by an earlier run` : '';

    stage = 'deploy';
    if (inUse.bindings.length === 0) {
      await prune(lb, cert, current, log, record, warn);
      return finish({
        outcome: 'rotated',
        reason: `${decision.reason}${how}; uploaded (no targets configured)${note}`,
      });
    }
    const deployed = await moveTargets(lb, inUse.bindings, current.serverCertificateId);
    record.targets = deployed.targets;
    if (!deployed.ok) {
      return finish(rolledBackFields(deployed.error, deployed.rolledBack, 'deploy'));
    }

    stage = 'verify';
    if (settings.verifyOnWire && deps.wireProbe) {
      const moved = inUse.bindings.filter((b) => b.serverCertificateId !== current.serverCertificateId);
      let failure: RotatorError | undefined;
      try {
        const wire = await verifyOnWire(lb, inUse.bindings, inUse.inventory, {
          probe: deps.wireProbe,
          fingerprint: current.fingerprint,
          domains: cert.domains,
          settleMs: settings.wireSettleSeconds * 1000,
          sleep: deps.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms))),
          now: () => deps.clock().getTime(),
          ...(options.signal ? { signal: options.signal } : {}),
        });
        for (const w of wire) {
          const t = record.targets.find((r) => r.target === w.target);
          if (t) Object.assign(t, { wire: w.status, wireDetail: w.detail });
          if (w.status === 'unreachable') warn(`not verified on the wire: ${w.target}: ${w.detail}`);
        }
        const stale = wire.filter((w) => w.status === 'stale');
        if (stale.length > 0) {
          failure = new DeployError(
            `the wire check failed: ${stale.map((w) => `${w.target}: ${w.detail}`).join('; ')}`,
            {
              retryable: true,
            },
          );
        }
      } catch (err) {
        // Targets were moved but could not be checked: they must not stay on an unchecked certificate.
        failure = new DeployError(`the wire check could not be completed: ${asRotatorError(err, 'verify').message}`, {
          cause: err,
          retryable: true,
        });
      }
      if (failure) {
        const back = await rollBack(lb, moved, record.targets, current.serverCertificateId);
        return finish(rolledBackFields(failure, back, 'verify'));
      }
    }

    if (record.targets.some((t) => t.wire === 'unreachable')) {
      // The certificate to roll back to stays until every target has been seen serving the new one.
      warn('older certificates kept: not every target could be verified on the wire');
    } else {
      await prune(lb, cert, current, log, record, warn);
    }
    const verified = record.targets.filter((t) => t.wire === 'verified').length;
    return finish({
      outcome: 'rotated',
      reason: `${decision.reason}${how}; ${record.targets.length} target(s) moved and read back${settings.verifyOnWire && deps.wireProbe ? `, ${verified} verified on the wire` : ''}${note}`,
    });
  } catch (err) {
    const error: RotatorError = options.signal?.aborted
      ? new DeadlineError(`the invocation ran out of time during ${stage}; the next run continues`, stage, {
          cause: err,
        })
      : asRotatorError(err, stage);
    log.error({ err: error }, 'rotation failed');
    // Adapters say which call failed (`gather` for every read); the outcome reports the stage the run was in, except
    // while issuing, where the adapter's finer stage (dns, issue, check) is the useful one.
    const fields = failureFields(error);
    return finish({
      outcome: 'failed',
      reason: error.message,
      ...fields,
      stage: stage === 'issue' || stage === 'gather' ? error.stage : stage,
    });
  }
}

function rolledBackFields(error: RotatorError, complete: boolean, stage: Stage): Partial<OutcomeRecord> {
  return {
    outcome: complete ? 'rolled-back' : 'failed',
    reason: `${error.message}; ${complete ? 'every moved target was put back on its previous certificate, unless someone else had changed it since' : 'ROLLBACK INCOMPLETE, see targets'}`,
    ...failureFields(error),
    stage,
    retryable: true,
  };
}

async function renewalWindow(
  deps: RotateDependencies,
  certId: string,
  signal: AbortSignal | undefined,
  warn: (w: string) => void,
): Promise<RenewalWindow | null> {
  if (!deps.renewalInfo) return null;
  try {
    return await deps.renewalInfo.renewalWindow(certId, signal ? { signal } : {});
  } catch (err) {
    // ARI is advice: without it the lifetime rule still decides.
    warn(`renewal information unavailable, using the lifetime rule: ${asRotatorError(err, 'decide').message}`);
    return null;
  }
}

/** Before ordering: the upload must fit the region's quota. Makes room from the rotator's own old certificates first. */
async function ensureQuota(
  lb: LoadBalancerService,
  cert: ManagedCertificate,
  inUse: InUse,
  quota: number,
  warn: (w: string) => void,
): Promise<void> {
  if (inUse.certificates.length < quota) return;
  const keep = inUse.previous?.serverCertificateId ?? '';
  const pruned = await pruneOwnCertificates(lb, {
    name: cert.name,
    currentId: keep,
    retain: 0,
    certificates: inUse.certificates,
  });
  for (const p of pruned.problems) warn(p);
  const count = inUse.certificates.length - pruned.deleted.length;
  if (count >= quota) {
    throw new RotatorError(
      'preflight',
      `${cert.region} holds ${count} server certificates and its quota is ${quota}: the new certificate would exceed it. ` +
        'Delete certificates nothing uses, or raise slb_quota_certs_num in Quota Center and slb.certificateQuota in the configuration',
      { code: 'QuotaWouldBeExceeded' },
    );
  }
}

/**
 * Uploads unless the region already has a certificate with this fingerprint (SLB does not deduplicate). When the
 * answer to an upload is lost, the certificate may exist anyway: look before reporting a failure.
 */
async function uploadOnce(
  lb: LoadBalancerService,
  cert: ManagedCertificate,
  issued: IssuedCertificate,
  existing: readonly ServerCertificate[],
  log: Logger,
): Promise<ServerCertificate> {
  const same = existing.find((c) => matchesFingerprint(c.fingerprint, issued));
  if (same) {
    log.info(
      { serverCertificateId: same.serverCertificateId },
      'the issued certificate is already uploaded; reusing it',
    );
    return same;
  }
  try {
    return await lb.uploadServerCertificate({
      regionId: cert.region,
      serverCertificateName: serverCertificateName(cert.name, issued),
      certificatePem: issued.certificatePem,
      privateKeyPem: issued.privateKeyPem,
      tags: rotatorTags(cert.name, issued),
    });
  } catch (err) {
    if (err instanceof CloudApiError && /^(Timeout|ECONNRESET|EPIPE|NonJsonResponse)$/.test(err.code ?? '')) {
      const found = await lb
        .listServerCertificates()
        .then((all) => all.find((c) => matchesFingerprint(c.fingerprint, issued)))
        .catch(() => undefined);
      if (found) return found;
      // Whether SLB kept it is unknown; the next run finds it (deduplication) or uploads it.
      throw new CloudApiError('upload', 'UploadServerCertificate', err.message, {
        cause: err,
        retryable: true,
        ...(err.code ? { code: err.code } : {}),
      });
    }
    throw err;
  }
}

async function prune(
  lb: LoadBalancerService,
  cert: ManagedCertificate,
  current: ServerCertificate,
  log: Logger,
  record: OutcomeRecord,
  warn: (w: string) => void,
): Promise<void> {
  try {
    const result = await pruneOwnCertificates(lb, {
      name: cert.name,
      currentId: current.serverCertificateId,
      retain: cert.retain,
    });
    if (result.deleted.length > 0) {
      record.deleted = result.deleted;
      log.info({ deleted: result.deleted }, 'deleted older certificates nothing serves');
    }
    for (const p of result.problems) warn(p);
  } catch (err) {
    // The rotation itself succeeded; a failed clean-up is retried by the next run.
    warn(`clean-up of older certificates failed: ${asRotatorError(err, 'cleanup').message}`);
  }
}
