/**
 * Pure: how a lease is laid out in a store of named text records with an atomic create (Alidns TXT records), and what
 * a listing of one name means for a contender at a given time.
 *
 * Layout, at `_slb-cert-rotator-lease.<first domain>` (the zone of the certificate's challenge records, so no access
 * beyond what DNS-01 already needs):
 * - the lock: value `slb-cert-rotator lease <certificate>`, the same for every contender, so a second create of it is
 *   refused (Alidns `DomainRecordDuplicate`). Its creation time plus the lease duration is its expiry.
 * - the holder record: `slb-cert-rotator lease <certificate> holder <holder> lock <lock id>`, written after the lock.
 *   Naming the lock's id ties it to that one lock: a record naming an older lock is a leftover.
 */

/** A record at the lease name, as the store lists it. */
export interface LeaseRecordEntry {
  id: string;
  value: string;
  /** The store's creation time; undefined when the store does not report it. */
  createdAt: Date | undefined;
}

export const LEASE_LABEL = '_slb-cert-rotator-lease';
/** The function's timeout (900 s in s.yaml) and a margin: a live run must never see its lease expire. */
export const DEFAULT_LEASE_SECONDS = 1200;
const PREFIX = 'slb-cert-rotator lease ';
const HOLDER = /^[A-Za-z0-9._:@-]{1,64}$/;

/** Where a certificate's lease lives: a wildcard's base name, as for its challenge records. */
export function leaseName(domains: readonly string[]): string {
  const first = domains[0];
  if (!first) throw new TypeError('a lease needs the certificate to have at least one domain');
  return `${LEASE_LABEL}.${first.toLowerCase().replace(/^\*\./, '').replace(/\.$/, '')}`;
}

export function lockValue(certificate: string): string {
  return `${PREFIX}${certificate}`;
}

export function holderValue(certificate: string, holder: string, lockId: string): string {
  return `${PREFIX}${certificate} holder ${holder} lock ${lockId}`;
}

/** The holder id goes into a public DNS record and between spaces of a value: a narrow alphabet, never a secret. */
export function checkHolder(holder: string): void {
  if (!HOLDER.test(holder)) {
    throw new TypeError(
      `lease holder ${JSON.stringify(holder.slice(0, 80))} is not 1 to 64 letters, digits or . _ : @ -`,
    );
  }
}

export type LeaseState =
  /** No lock: whoever creates it first holds it. */
  | { kind: 'free'; leftovers: string[] }
  /** The lock is this holder's own and has not expired (a retried worker). */
  | { kind: 'mine'; lockId: string; holderId: string; since: Date; expiresAt: Date; leftovers: string[] }
  | {
      kind: 'held' | 'expired';
      lockId: string;
      holder: string | undefined;
      /** Ids of the lock's holder records: removed with an expired lock. */
      holderIds: string[];
      since: Date;
      expiresAt: Date;
      leftovers: string[];
    };

/**
 * Pure: what the records at the lease name mean for `holder` at `now`. A lock whose creation time the store does not
 * report is taken as created now: it then never expires early, only late. `leftovers` are holder records of this
 * certificate that name no current lock (a run stopped between its two removals): safe to remove.
 */
export function judgeLease(
  records: readonly LeaseRecordEntry[],
  certificate: string,
  holder: string,
  durationMs: number,
  now: Date,
): LeaseState {
  const lock = records.find((r) => r.value === lockValue(certificate));
  const holderPrefix = `${PREFIX}${certificate} holder `;
  const holders = records
    .filter((r) => r.value.startsWith(holderPrefix))
    .map((r) => {
      const [who, word, lockId] = r.value.slice(holderPrefix.length).split(' ');
      return { id: r.id, holder: who, lockId: word === 'lock' ? lockId : undefined };
    });
  if (!lock) return { kind: 'free', leftovers: holders.map((h) => h.id) };
  const mine = holders.filter((h) => h.lockId === lock.id);
  const leftovers = holders.filter((h) => h.lockId !== lock.id).map((h) => h.id);
  const since = lock.createdAt ?? now;
  const expiresAt = new Date(since.getTime() + durationMs);
  const expired = now.getTime() >= expiresAt.getTime();
  // An expired lease of one's own is taken over like any other: a fresh lock gives the full duration again.
  const own = expired ? undefined : mine.find((h) => h.holder === holder);
  if (own) return { kind: 'mine', lockId: lock.id, holderId: own.id, since, expiresAt, leftovers };
  return {
    kind: expired ? 'expired' : 'held',
    lockId: lock.id,
    holder: mine[0]?.holder,
    holderIds: mine.map((h) => h.id),
    since,
    expiresAt,
    leftovers,
  };
}
