/** A TXT record the rotator placed; enough to remove exactly that record and nothing else. */
export interface TxtRecordRef {
  /** Fully qualified name without trailing dot, e.g. `_acme-challenge.example.com`. */
  fqdn: string;
  value: string;
  /** The zone the record lives in, e.g. `example.com`. */
  zone: string;
  /** Provider id of the record (Alidns RecordId). */
  recordId: string;
}

/**
 * Places and removes DNS-01 TXT records. Implementations must treat "record already exists with this value" as
 * success (a retried run may find its own record) and removal of a missing record as success.
 */
export interface DnsProvider {
  addTxtRecord(fqdn: string, value: string): Promise<TxtRecordRef>;
  removeTxtRecord(record: TxtRecordRef): Promise<void>;
  /** The zone (an Alidns domain of the account) that holds `fqdn`: its longest suffix the account owns. */
  zoneOf(fqdn: string): Promise<string>;
  /**
   * TXT records at a name, with their creation time when the provider reports one: lets a run remove challenge
   * records an earlier, interrupted run left behind.
   */
  listTxtRecords(fqdn: string): Promise<(TxtRecordRef & { createdAt?: Date })[]>;
}

/** Waits until the servers that the CA will ask serve a TXT value. Polls; never a fixed sleep. */
export interface PropagationChecker {
  waitForTxt(record: TxtRecordRef, options?: { timeoutMs?: number; signal?: AbortSignal }): Promise<void>;
}
