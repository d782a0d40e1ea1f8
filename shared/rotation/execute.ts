import { randomUUID } from 'node:crypto';
import { matchesFingerprint } from '../certs/fingerprint.js';
import type { ManagedCertificate } from '../config/types.js';
import type { IssuedCertificate, ServerCertificate } from '../domain/certificate.js';
import { rotatorTags, serverCertificateName } from '../domain/tags.js';
import { asRotatorError, CloudApiError, DeadlineError, DeployError, RotatorError, type Stage } from '../errors.js';
import type { Logger } from '../log/logger.js';
import type { CertificatePlan } from '../plan/types.js';
import { compareCertificates } from '../policy/compare.js';
import type { CertificateAuthority } from '../ports/certificate-authority.js';
import type { Lease, LeaseStore } from '../ports/lease.js';
import type { WireProbe } from '../ports/wire-probe.js';
import { interruptionOf } from '../runtime/interrupt.js';
import type { KeyedMutex } from '../util/keyed-mutex.js';
import { moveTargets, rollBack } from './deploy.js';
import type { SkipCode, TargetResult } from './outcome.js';
import { pruneOwnCertificates } from './prune.js';
import { type SinceThePlan, sinceThePlan } from './since-the-plan.js';
import type { RegionView } from './region-view.js';
import type { TargetHandlers } from './targets.js';
import { verifyOnWire, type WireStatus } from './verify-wire.js';

export interface ExecuteDependencies {
  region: RegionView;
  targets: TargetHandlers;
  /** Created on first use: loading acme-client and registering the account costs time nobody needs when nothing is due. */
  certificateAuthority: () => Promise<CertificateAuthority>;
  /** Proof on the wire; absent or `verifyOnWire: false` means API read-back only. */
  wireProbe?: WireProbe;
  clock: () => Date;
  sleep?: (ms: number) => Promise<void>;
  logger: Logger;
  /** Told each time the certificate enters a stage: a terminal shows it while a long run goes on. Must not throw. */
  progress?: ProgressListener;
  /** A lease per certificate across processes, taken before anything changes; absent = no leasing (unit tests). */
  leases?: LeaseStore;
  /** Who takes the lease: the same holder re-enters its own lease (a retried fan-out worker). Default: a new id. */
  leaseHolder?: string;
  /** The run's one writer per load balancer, shared by the certificates it rotates at the same time. */
  writeLocks?: KeyedMutex;
  /**
   * Another configured certificate validates at one of this certificate's challenge names. Its records there may be
   * live while this certificate's lease is taken over, so only their age can say they were left behind.
   */
  challengeNamesShared?: boolean;
}

/** One certificate entering one stage of its execution. */
export interface ProgressEvent {
  certificate: string;
  region: string;
  stage: Stage;
}

export type ProgressListener = (event: ProgressEvent) => void;

export interface ExecuteSettings {
  certificateQuota: number;
  verifyOnWire: boolean;
  wireSettleSeconds: number;
}

/** What carrying out a plan came to: the facts the outcome record is built from. */
export interface Execution {
  /** The step the run was in last: where a failure happened. */
  stage: Stage;
  warnings: string[];
  /** The certificate uploaded (or reused, or resumed) for the targets. */
  current?: ServerCertificate;
  resumed: boolean;
  /** Another run has this certificate (it holds the lease, or finished it after this run's plan): nothing changed. */
  skipped?: { code: SkipCode; reason: string };
  /** The comparison stopped the rotation: nothing (more) was changed. */
  verdict?: { verdict: 'unchanged' | 'regressed' | 'mismatch'; reason: string };
  /** Each target after the run; absent when the run never reached the targets. */
  targets?: TargetResult[];
  /** Moved targets that were put back (`complete`: all of them), and why. */
  rollback?: { error: RotatorError; complete: boolean; stage: Stage };
  /** The run stopped (deadline or signal) after the targets were moved and read back, before the wire proved them. */
  unverified?: string;
  deleted?: string[];
  failure?: RotatorError;
}

/**
 * Carries out one certificate's plan, step by step: obtain (resume, or preflight → issue → compare → upload →
 * compare), deploy, verify on the wire, prune. Each step is a named stage; a failure stops the steps and is returned,
 * never thrown, so the record can say how far the run got.
 */
export async function executePlan(
  plan: CertificatePlan,
  cert: ManagedCertificate,
  deps: ExecuteDependencies,
  settings: ExecuteSettings,
  signal?: AbortSignal,
): Promise<Execution> {
  const log = deps.logger.child({ certificate: cert.name, region: cert.region });
  const run: Execution = { stage: 'decide', warnings: [], resumed: false };
  const warn = (w: string) => void run.warnings.push(w);
  const enter = (stage: Stage) => {
    run.stage = stage;
    try {
      deps.progress?.({ certificate: cert.name, region: cert.region, stage });
    } catch {
      // A display that fails must never stop a rotation.
    }
  };
  let lease: Lease | undefined;
  /** What the lease found changed since the plan: the targets' bindings now, and what to deploy without an order. */
  let meanwhile: Extract<SinceThePlan, { bindings: unknown }> | undefined;
  let releaseUpload = () => {};
  /**
   * Before each write that another run must not repeat (upload, moving the targets): this run must still hold its
   * lease. One that outlived it may have been taken over, and the run that took it is ordering and moving now.
   */
  const stillLeased = (next: Stage) => {
    if (!lease || !deps.leases) return;
    // A tenth of the duration for the clocks of two processes (and the store's creation time) to disagree.
    const margin = deps.leases.durationMs / 10;
    if (deps.clock().getTime() < lease.expiresAt.getTime() - margin) return;
    throw new RotatorError(
      next,
      `this run's lease ${lease.where} ran out at ${lease.expiresAt.toISOString()} (or is about to) before ${next}: ` +
        'another run may have taken the certificate over, so this run changes nothing more; the next run continues',
      { retryable: true, code: 'LeaseExpired' },
    );
  };
  try {
    if (plan.action === 'none') return run;
    log.info({ reason: plan.reason, code: plan.code }, 'certificate is due');

    if (deps.leases) {
      enter('lease');
      const attempt = await deps.leases.acquire({
        certificate: cert.name,
        domains: cert.domains,
        holder: deps.leaseHolder ?? `run-${randomUUID()}`,
        now: deps.clock(),
      });
      if (!attempt.acquired) {
        const reason =
          `another run holds the lease on this certificate (holder ${attempt.holder ?? 'unknown'}, since ` +
          `${attempt.since.toISOString()}, until ${attempt.expiresAt.toISOString()}) and is rotating it; nothing ordered or moved`;
        log.info({ holder: attempt.holder, expiresAt: attempt.expiresAt.toISOString() }, 'lease held by another run');
        run.skipped = { code: 'lease.held', reason };
        return run;
      }
      lease = attempt.lease;
      log.info(
        {
          lease: lease.where,
          recordId: lease.id,
          reentered: lease.reentered,
          expiresAt: lease.expiresAt.toISOString(),
        },
        'lease taken',
      );
      if (lease.tookOver) {
        warn(
          `took over the expired lease of ${lease.tookOver.holder ?? 'an unknown holder'} (taken ` +
            `${lease.tookOver.since.toISOString()}, expired ${lease.tookOver.expiredAt.toISOString()}): that run stopped without finishing`,
        );
      }
      const since = await sinceThePlan(deps.region, plan, cert, lease, deps.clock());
      if (since && 'finished' in since) {
        run.skipped = { code: 'lease.rotated-meanwhile', reason: `${since.finished}; nothing ordered or moved` };
        return run;
      }
      meanwhile = since;
    }
    // Read after the lease, so it supersedes the plan's.
    const resume = meanwhile ? meanwhile.resume : plan.resume;

    if (resume) {
      log.info(
        { serverCertificateId: resume.serverCertificateId },
        'resuming with a certificate an earlier run uploaded',
      );
      run.current = resume;
      run.resumed = true;
    } else {
      enter('preflight');
      releaseUpload = await ensureQuota(deps.region, cert, plan, settings.certificateQuota, warn);

      enter('issue');
      const ca = await deps.certificateAuthority();
      const issued = await ca.issue({
        domains: cert.domains,
        keyType: cert.keyType,
        ...(plan.replaces ? { replaces: plan.replaces } : {}),
        // The dead holder placed its challenge records while its lease held: no live run of this certificate did.
        ...(lease?.tookOver && !deps.challengeNamesShared ? { abandonedRecordsBefore: lease.tookOver.expiredAt } : {}),
        ...(signal ? { signal } : {}),
      });
      if (issued.cleanupError) warn(`challenge record left behind: ${issued.cleanupError.message}`);

      enter('compare');
      const forced = plan.code === 'due.forced';
      const local = compareCertificates({ issued, reported: null, previous: plan.previous, forced });
      if (local.verdict !== 'ok') {
        run.verdict = { verdict: local.verdict, reason: `${local.reason}; nothing uploaded` };
        return run;
      }

      enter('upload');
      stillLeased('upload');
      run.current = await uploadOnce(deps.region, cert, issued, log);

      enter('compare');
      const verdict = compareCertificates({ issued, reported: run.current, previous: plan.previous, forced });
      if (verdict.verdict !== 'ok') {
        run.verdict = { verdict: verdict.verdict, reason: `${verdict.reason}; targets not moved` };
        return run;
      }
    }
    const current = run.current;

    enter('deploy');
    stillLeased('deploy');
    const bindings =
      meanwhile?.bindings ?? plan.targets.map((t) => ({ target: t.target, serverCertificateId: t.from }));
    if (bindings.length === 0) {
      await prune(deps.region, cert, current, log, run, warn);
      return run;
    }
    const deployed = await moveTargets(deps.targets, bindings, current.serverCertificateId, deps.writeLocks);
    run.targets = deployed.targets;
    if (!deployed.ok) {
      run.rollback = { error: deployed.error, complete: deployed.rolledBack, stage: 'deploy' };
      return run;
    }

    enter('verify');
    if (settings.verifyOnWire && deps.wireProbe) {
      const moved = bindings.filter((b) => b.serverCertificateId !== current.serverCertificateId);
      let failure: RotatorError | undefined;
      let wire: WireStatus[] = [];
      try {
        wire = await verifyOnWire(deps.targets, bindings, {
          probe: deps.wireProbe,
          fingerprint: current.fingerprint,
          domains: cert.domains,
          settleMs: settings.wireSettleSeconds * 1000,
          sleep: deps.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms))),
          now: () => deps.clock().getTime(),
          ...(signal ? { signal } : {}),
        });
      } catch (err) {
        // Targets were moved but could not be checked: they must not stay on an unchecked certificate.
        failure = new DeployError(`the wire check could not be completed: ${asRotatorError(err, 'verify').message}`, {
          cause: err,
          retryable: true,
        });
      }
      if (signal?.aborted && !failure) {
        // Stopped before every target was seen serving the new leaf: that is not a rotation anyone can rely on.
        const unseen = run.targets.filter((t) => !wire.some((w) => w.target === t.target && w.status === 'verified'));
        for (const t of unseen) Object.assign(t, { wire: 'unverified', wireDetail: stopReason(signal) });
        for (const w of wire.filter((x) => x.status === 'verified')) {
          const t = run.targets.find((r) => r.target === w.target);
          if (t) Object.assign(t, { wire: w.status, wireDetail: w.detail });
        }
        run.unverified = `${stopReason(signal)} during verify: ${run.targets.length} target(s) moved and read back, ${unseen.length} not verified on the wire (${unseen.map((t) => t.target).join(', ')})`;
        return run;
      }
      for (const w of wire) {
        const t = run.targets.find((r) => r.target === w.target);
        if (t) Object.assign(t, { wire: w.status, wireDetail: w.detail });
        if (w.status === 'unreachable') warn(`not verified on the wire: ${w.target}: ${w.detail}`);
      }
      const stale = wire.filter((w) => w.status === 'stale');
      if (!failure && stale.length > 0) {
        failure = new DeployError(`the wire check failed: ${stale.map((w) => `${w.target}: ${w.detail}`).join('; ')}`, {
          retryable: true,
        });
      }
      if (failure) {
        const complete = await rollBack(deps.targets, moved, run.targets, current.serverCertificateId, deps.writeLocks);
        run.rollback = { error: failure, complete, stage: 'verify' };
        return run;
      }
    }

    if (run.targets.some((t) => t.wire === 'unreachable')) {
      // The certificate to roll back to stays until every target has been seen serving the new one.
      warn('older certificates kept: not every target could be verified on the wire');
    } else {
      await prune(deps.region, cert, current, log, run, warn);
    }
    return run;
  } catch (err) {
    run.failure = signal?.aborted
      ? new DeadlineError(`${stopReason(signal)} during ${run.stage}; the next run continues`, run.stage, {
          cause: err,
        })
      : asRotatorError(err, run.stage);
    log.error({ err: run.failure }, 'rotation failed');
    return run;
  } finally {
    // Held to the end, not only to the upload: the room others wait for is made by the pruning after the move.
    releaseUpload();
    if (lease && deps.leases) {
      try {
        await deps.leases.release(lease);
      } catch (err) {
        // The rotation's result stands; the lease only delays the next run until it expires.
        warn(
          `the lease ${lease.where} (record ${lease.id}) could not be released, it expires ${lease.expiresAt.toISOString()}: ${asRotatorError(err, 'lease').message}`,
        );
      }
    }
  }
}

/** "interrupted by SIGTERM" when an operator stopped the run, else the function's deadline. */
export function stopReason(signal: AbortSignal | undefined): string {
  return interruptionOf(signal) ?? 'the invocation ran out of time';
}

/**
 * Before ordering: the upload must fit the region's quota, counting the uploads that certificates rotated at the
 * same time have reserved. Makes room from the rotator's own old certificates first; when the region is full only
 * because of those reservations, waits for them (their certificates upload, then prune what they replaced). Returns
 * this certificate's reservation.
 */
async function ensureQuota(
  region: RegionView,
  cert: ManagedCertificate,
  plan: CertificatePlan,
  quota: number,
  warn: (w: string) => void,
): Promise<() => void> {
  let pruned = false;
  for (;;) {
    // Earlier certificates of this run may have uploaded since the plan was made: count what the region holds now.
    // No await between the count and the reservation: certificates running at the same time see each other's.
    const count = (await region.certificates()).length;
    if (count + region.reservedUploads < quota) return region.reserveUpload();
    if (!pruned) {
      pruned = true;
      const result = await pruneOwnCertificates(region, {
        name: cert.name,
        currentId: plan.previous?.serverCertificateId ?? '',
        retain: 0,
        relist: false,
      });
      for (const p of result.problems) warn(p);
      continue;
    }
    if (region.reservedUploads === 0) throw quotaExceeded(cert, count, quota);
    await region.slotsChange();
  }
}

function quotaExceeded(cert: ManagedCertificate, count: number, quota: number): RotatorError {
  return new RotatorError(
    'preflight',
    `${cert.region} holds ${count} server certificates and its quota is ${quota}: the new certificate would exceed it. ` +
      'Delete certificates nothing uses, or raise slb_quota_certs_num in Quota Center and slb.certificateQuota in the configuration',
    { code: 'QuotaWouldBeExceeded' },
  );
}

/**
 * Uploads unless the region already has a certificate with this fingerprint (SLB does not deduplicate). When the
 * answer to an upload is lost, the certificate may exist anyway: look before reporting a failure.
 */
async function uploadOnce(
  region: RegionView,
  cert: ManagedCertificate,
  issued: IssuedCertificate,
  log: Logger,
): Promise<ServerCertificate> {
  const same = (await region.certificates()).find((c) => matchesFingerprint(c.fingerprint, issued));
  if (same) {
    log.info(
      { serverCertificateId: same.serverCertificateId },
      'the issued certificate is already uploaded; reusing it',
    );
    return same;
  }
  try {
    const uploaded = await region.lb.uploadServerCertificate({
      regionId: cert.region,
      serverCertificateName: serverCertificateName(cert.name, issued),
      certificatePem: issued.certificatePem,
      privateKeyPem: issued.privateKeyPem,
      tags: rotatorTags(cert.name, issued),
    });
    region.recordUpload(uploaded);
    return uploaded;
  } catch (err) {
    if (err instanceof CloudApiError && /^(Timeout|ECONNRESET|EPIPE|NonJsonResponse)$/.test(err.code ?? '')) {
      const found = await region
        .freshCertificates()
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
  region: RegionView,
  cert: ManagedCertificate,
  current: ServerCertificate,
  log: Logger,
  run: Execution,
  warn: (w: string) => void,
): Promise<void> {
  try {
    const result = await pruneOwnCertificates(region, {
      name: cert.name,
      currentId: current.serverCertificateId,
      retain: cert.retain,
      relist: true,
    });
    if (result.deleted.length > 0) {
      run.deleted = result.deleted;
      log.info({ deleted: result.deleted }, 'deleted older certificates nothing serves');
    }
    for (const p of result.problems) warn(p);
  } catch (err) {
    // The rotation itself succeeded; a failed clean-up is retried by the next run.
    warn(`clean-up of older certificates failed: ${asRotatorError(err, 'cleanup').message}`);
  }
}
