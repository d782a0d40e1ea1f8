import { describeTarget, type TargetBinding } from '../domain/certificate.js';
import { asRotatorError, DeployError, type RotatorError } from '../errors.js';
import type { KeyedMutex } from '../util/keyed-mutex.js';
import type { TargetResult } from './outcome.js';
import { handlerOf, type TargetHandlers } from './targets.js';

export type DeployResult =
  | { ok: true; targets: TargetResult[] }
  | { ok: false; error: RotatorError; rolledBack: boolean; targets: TargetResult[] };

/**
 * Runs `fn` holding the run's lock of every load balancer `bindings` write to, for the whole sequence of writes and
 * read-backs. CLB refuses a write while it still applies the previous one (`ServiceIsConfiguring`), and two
 * certificates moving targets of one load balancer at once would also make a rollback hard to reason about;
 * certificates on different load balancers still move in parallel. Without locks (one certificate at a time) it
 * just runs.
 */
function holdingLocks<T>(
  locks: KeyedMutex | undefined,
  bindings: readonly TargetBinding[],
  fn: () => Promise<T>,
): Promise<T> {
  if (!locks) return fn();
  return locks.run(
    bindings.map((b) => `${b.target.regionId}/${b.target.loadBalancerId}`),
    fn,
  );
}

/**
 * Moves every target to the new certificate and reads each one back. On the first failure every target moved in this
 * run goes back to the certificate it served before, so no target is left on a certificate the run could not verify.
 */
export function moveTargets(
  targets: TargetHandlers,
  bindings: readonly TargetBinding[],
  newCertificateId: string,
  locks?: KeyedMutex,
): Promise<DeployResult> {
  const writing = bindings.filter((b) => b.serverCertificateId !== newCertificateId);
  return holdingLocks(locks, writing, () => moveAll(targets, bindings, newCertificateId));
}

async function moveAll(
  targets: TargetHandlers,
  bindings: readonly TargetBinding[],
  newCertificateId: string,
): Promise<DeployResult> {
  const results: TargetResult[] = [];
  const moved: TargetBinding[] = [];
  for (const binding of bindings) {
    const name = describeTarget(binding.target);
    if (binding.serverCertificateId === newCertificateId) {
      results.push({ target: name, serverCertificateId: newCertificateId, status: 'unchanged' });
      continue;
    }
    try {
      const handler = handlerOf(targets, binding.target);
      await handler.point(binding.target, newCertificateId);
      moved.push(binding);
      const readBack = await handler.read(binding.target);
      if (readBack !== newCertificateId) {
        throw new DeployError(`${name} still serves ${readBack} after being set to ${newCertificateId}`, {
          retryable: true,
        });
      }
      results.push({ target: name, serverCertificateId: newCertificateId, status: 'moved' });
    } catch (err) {
      const error = asRotatorError(err, 'deploy');
      results.push({
        target: name,
        serverCertificateId: binding.serverCertificateId,
        status: 'failed',
        error: error.message,
      });
      const rollback = await putBack(targets, moved, results, newCertificateId);
      return { ok: false, error, rolledBack: rollback, targets: [...results, ...pending(bindings, results)] };
    }
  }
  return { ok: true, targets: results };
}

/**
 * Puts each moved target back on the certificate it served before (newest move first), updating `results` in
 * place; true when all of them went back. A target that no longer serves `newCertificateId` was changed by someone
 * else since (an operator, an overlapping run): it is left as it is rather than undone.
 */
export function rollBack(
  targets: TargetHandlers,
  moved: readonly TargetBinding[],
  results: TargetResult[],
  newCertificateId: string,
  locks?: KeyedMutex,
): Promise<boolean> {
  return holdingLocks(locks, moved, () => putBack(targets, moved, results, newCertificateId));
}

/** rollBack's work, for a caller that already holds the locks (they are not reentrant). */
async function putBack(
  targets: TargetHandlers,
  moved: readonly TargetBinding[],
  results: TargetResult[],
  newCertificateId: string,
): Promise<boolean> {
  let all = true;
  for (const binding of [...moved].reverse()) {
    const name = describeTarget(binding.target);
    const entry = results.find((r) => r.target === name);
    try {
      const handler = handlerOf(targets, binding.target);
      const now = await handler.read(binding.target);
      if (now !== newCertificateId && now !== binding.serverCertificateId) {
        if (entry) entry.error = `not rolled back: it now serves ${now}, set by someone else`;
        continue;
      }
      await handler.point(binding.target, binding.serverCertificateId);
      if (entry) Object.assign(entry, { status: 'rolled-back', serverCertificateId: binding.serverCertificateId });
    } catch (err) {
      all = false;
      if (entry) entry.error = `rollback failed: ${asRotatorError(err, 'deploy').message}`;
    }
  }
  return all;
}

function pending(bindings: readonly TargetBinding[], results: TargetResult[]): TargetResult[] {
  const done = new Set(results.map((r) => r.target));
  return bindings
    .filter((b) => !done.has(describeTarget(b.target)))
    .map((b) => ({
      target: describeTarget(b.target),
      serverCertificateId: b.serverCertificateId,
      status: 'unchanged',
    }));
}
