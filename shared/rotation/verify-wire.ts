import { matchesFingerprint } from '../certs/fingerprint.js';
import { describeTarget, type TargetBinding } from '../domain/certificate.js';
import type { WireProbe } from '../ports/wire-probe.js';
import { handlerOf, type TargetHandlers } from './targets.js';

export type WireStatus =
  /** The new leaf was presented for the target's name. */
  | { target: string; status: 'verified'; detail: string }
  /** No TLS session could be made (e.g. a private address): nothing is claimed either way. */
  | { target: string; status: 'unreachable'; detail: string }
  /** The old (or another) leaf was still presented after the settle time: the change did not take. */
  | { target: string; status: 'stale'; detail: string };

export interface WireCheckOptions {
  probe: WireProbe;
  /** The new certificate's fingerprint as SLB reports it (already checked against the issued leaf). */
  fingerprint: string;
  /** Names of the new certificate, to choose an SNI name for a listener's default certificate. */
  domains: string[];
  /** How long a target may keep presenting the old leaf after the API reports the change. */
  settleMs: number;
  sleep: (ms: number) => Promise<void>;
  now: () => number;
  signal?: AbortSignal;
}

/**
 * Proof on the wire: for each moved target, connect where its handler says clients reach it, with a name the target
 * serves as SNI, and check the presented leaf. SLB applies changes asynchronously, so a stale leaf is retried until
 * the settle time is over before it counts as a failure.
 */
export async function verifyOnWire(
  targets: TargetHandlers,
  bindings: readonly TargetBinding[],
  options: WireCheckOptions,
): Promise<WireStatus[]> {
  const results: WireStatus[] = [];
  for (const { target } of bindings) {
    const name = describeTarget(target);
    const endpoint = await handlerOf(targets, target).wireEndpoint(target, options.domains);
    if ('unreachable' in endpoint) {
      results.push({ target: name, status: 'unreachable', detail: endpoint.unreachable });
      continue;
    }
    results.push(await probeUntilSettled(name, endpoint, options));
  }
  return results;
}

async function probeUntilSettled(
  name: string,
  endpoint: { host: string; port: number; servername: string },
  options: WireCheckOptions,
): Promise<WireStatus> {
  const where = `${endpoint.host}:${endpoint.port} (SNI ${endpoint.servername})`;
  const deadline = options.now() + options.settleMs;
  for (let wait = 250; ; wait = Math.min(wait * 2, 5000)) {
    // Running out of time proves nothing either way: the targets were moved and read back, so report, don't fail.
    const result = await options.probe
      .presentedLeaf(endpoint, options.signal ? { signal: options.signal } : {})
      .catch((err: unknown) => {
        if (options.signal?.aborted) return { kind: 'unreachable' as const, reason: 'the invocation ran out of time' };
        throw err;
      });
    if (result.kind === 'unreachable')
      return { target: name, status: 'unreachable', detail: `${where}: ${result.reason}` };
    if (matchesFingerprint(options.fingerprint, result)) return { target: name, status: 'verified', detail: where };
    if (options.signal?.aborted)
      return { target: name, status: 'unreachable', detail: `${where}: the invocation ran out of time` };
    if (options.now() + wait > deadline) {
      return {
        target: name,
        status: 'stale',
        detail: `${where} still presents ${result.sha1} after ${options.settleMs} ms`,
      };
    }
    await options.sleep(wait);
  }
}
