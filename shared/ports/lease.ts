/**
 * A lease per managed certificate, so that runs that overlap (the timer and a manual call, a CLI run during the
 * function's run, two workers of a fan-out) never order or deploy the same certificate twice. A crashed holder's lease
 * expires; a holder that comes back with the same id (a retried worker) re-enters its own lease.
 */
export interface LeaseRequest {
  /** The configured certificate name: one lease per name. */
  certificate: string;
  /** The certificate's names: the lease lives next to the first one's challenge records, in the same zone. */
  domains: readonly string[];
  /**
   * Who takes it: letters, digits and `. _ : @ -`, at most 64 characters. The lease is public (a DNS record), so
   * this must not be secret. The same holder re-enters a lease it already holds.
   */
  holder: string;
  now: Date;
}

/** A lease as its holder got it: enough to release exactly this lease and never a successor's. */
export interface Lease {
  certificate: string;
  holder: string;
  /** Where it lives, e.g. `_slb-cert-rotator-lease.example.com`: for release and for messages. */
  where: string;
  /** The store's id of the lease itself (an Alidns RecordId): release removes it by id. */
  id: string;
  /** The store's id of the record naming the holder, when it could be written (re-entry needs it). */
  holderId?: string;
  expiresAt: Date;
  /** True when this holder already held it (a retried worker coming back). */
  reentered: boolean;
  /** The expired lease of another holder this one replaced: that run died (or overran the lease). */
  tookOver?: { holder: string | undefined; since: Date; expiredAt: Date };
}

export type LeaseAttempt =
  | { acquired: true; lease: Lease }
  /** Someone else holds it: `holder` is undefined when its holder record is missing (not written yet, or lost). */
  | { acquired: false; holder: string | undefined; since: Date; expiresAt: Date };

export interface LeaseStore {
  /** How long a lease holds after it was taken; a holder must finish well within it. */
  readonly durationMs: number;
  /** Takes the lease, re-enters it, or takes over an expired one; never waits for a live holder. */
  acquire(request: LeaseRequest): Promise<LeaseAttempt>;
  /** Removes this lease by its id. A lease already gone (taken over after it expired) is not an error. */
  release(lease: Lease): Promise<void>;
}
