import { RotatorError } from '../errors.js';
import type { Lease, LeaseAttempt, LeaseRequest, LeaseStore } from '../ports/lease.js';
import { checkHolder, holderValue, judgeLease, type LeaseRecordEntry, leaseName, lockValue } from './lease-records.js';

/** What a lease needs of a record store: Alidns TXT records give exactly this, and so does an in-memory fake. */
export interface LeaseRecords {
  /** Atomic: creates the record, or answers `duplicate` when one with this exact value already exists at the name. */
  create(name: string, value: string): Promise<{ id: string } | 'duplicate'>;
  list(name: string): Promise<LeaseRecordEntry[]>;
  /** By id, never by name or value; a record already gone is success. */
  remove(name: string, id: string): Promise<void>;
}

/** Lost races (a lock released or taken over between our create and our listing) before giving up. */
const ATTEMPTS = 4;

/** A lease per certificate over a record store with an atomic create (see lease-records.ts for the layout). */
export class RecordLeaseStore implements LeaseStore {
  constructor(
    private readonly records: LeaseRecords,
    readonly durationMs: number,
  ) {
    if (!(durationMs > 0)) throw new TypeError(`lease duration must be positive, not ${String(durationMs)}`);
  }

  async acquire(request: LeaseRequest): Promise<LeaseAttempt> {
    checkHolder(request.holder);
    const name = leaseName(request.domains);
    const { certificate, holder, now } = request;
    let tookOver: Lease['tookOver'];
    for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
      const created = await this.records.create(name, lockValue(certificate));
      if (created !== 'duplicate') {
        const holderId = await this.records
          .create(name, holderValue(certificate, holder, created.id))
          .then((r) => (r === 'duplicate' ? undefined : r.id))
          // The lock alone is the lease: without its holder record only re-entry is lost.
          .catch(() => undefined);
        const lease: Lease = {
          certificate,
          holder,
          where: name,
          id: created.id,
          expiresAt: new Date(now.getTime() + this.durationMs),
          reentered: false,
          ...(holderId ? { holderId } : {}),
          ...(tookOver ? { tookOver } : {}),
        };
        return { acquired: true, lease };
      }
      const state = judgeLease(await this.records.list(name), certificate, holder, this.durationMs, now);
      await this.#removeQuietly(name, state.leftovers);
      switch (state.kind) {
        case 'free':
          // Released between our create and our listing: try again.
          continue;
        case 'mine':
          return {
            acquired: true,
            lease: {
              certificate,
              holder,
              where: name,
              id: state.lockId,
              holderId: state.holderId,
              expiresAt: state.expiresAt,
              reentered: true,
            },
          };
        case 'held':
          return { acquired: false, holder: state.holder, since: state.since, expiresAt: state.expiresAt };
        case 'expired':
          // By id: a contender that took it over a moment ago has a new lock with another id, which stays.
          await this.records.remove(name, state.lockId);
          await this.#removeQuietly(name, state.holderIds);
          tookOver = { holder: state.holder, since: state.since, expiredAt: state.expiresAt };
          continue;
      }
    }
    throw new RotatorError(
      'lease',
      `the lease on ${certificate} (${name}) changed hands ${ATTEMPTS} times while this run tried to take it; the next run tries again`,
      { retryable: true, code: 'LeaseContention' },
    );
  }

  async release(lease: Lease): Promise<void> {
    await this.records.remove(lease.where, lease.id);
    if (lease.holderId) await this.records.remove(lease.where, lease.holderId);
  }

  /** Leftover holder records are noise, never a reason to fail or to stop. */
  async #removeQuietly(name: string, ids: readonly string[]): Promise<void> {
    for (const id of ids) await this.records.remove(name, id).catch(() => undefined);
  }
}
