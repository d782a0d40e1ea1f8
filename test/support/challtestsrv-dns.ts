/**
 * A DnsProvider for tests that writes to pebble-challtestsrv, the DNS server Pebble validates against. challtestsrv
 * can only append a value or clear a whole name, so removing one record clears the name and re-adds the values still
 * placed: per-record removal, like Alidns by RecordId.
 *
 * challtestsrv cannot list what it serves, so the records placed are kept here, shared by every provider of the same
 * challtestsrv in this process: a second provider sees (and lists, with their creation time) records an earlier one
 * left behind, which is how a run that crashed after placing records looks to the next run. Sharing also keeps one
 * provider's clear-and-re-add from dropping another's values at the same name.
 */
import type { DnsProvider, TxtRecordRef } from '../../shared/ports/dns.js';

export type ListedTxtRecord = TxtRecordRef & { createdAt?: Date };

export interface RecordingDnsProvider extends DnsProvider {
  /** Every record added, in order. */
  readonly added: TxtRecordRef[];
  /** Every record removed, in order (also records placed by another provider). */
  readonly removed: TxtRecordRef[];
  /** Records currently placed by this provider. */
  live(): TxtRecordRef[];
  /**
   * Change the creation time `listTxtRecords` reports for a placed record (of any provider of this challtestsrv):
   * a Date to backdate it, undefined to make it a record whose age is unknown.
   */
  setCreatedAt(record: TxtRecordRef, createdAt: Date | undefined): void;
}

export interface ChalltestsrvDnsOptions {
  /** Change the value written (the ref keeps the written value), e.g. to make validation fail. */
  mangleValue?: (value: string) => string;
  /** Make removal fail (after recording the attempt). */
  failRemoval?: (record: TxtRecordRef) => Error | undefined;
  /** Make listing fail. */
  failList?: (fqdn: string) => Error | undefined;
}

interface Entry {
  ref: TxtRecordRef;
  createdAt: Date | undefined;
  owner: object;
}

interface Store {
  byName: Map<string, Entry[]>;
  /** Clear-and-re-add is not atomic: changes to challtestsrv run one after another. */
  queue: Promise<void>;
}

const stores = new Map<string, Store>();

const sameRecord = (a: TxtRecordRef, b: TxtRecordRef) =>
  a.fqdn === b.fqdn && a.recordId === b.recordId && a.value === b.value;

export function challtestsrvDns(managementUrl: string, options: ChalltestsrvDnsOptions = {}): RecordingDnsProvider {
  const added: TxtRecordRef[] = [];
  const removed: TxtRecordRef[] = [];
  const owner = {};
  let store = stores.get(managementUrl);
  if (!store) {
    store = { byName: new Map(), queue: Promise.resolve() };
    stores.set(managementUrl, store);
  }
  const shared = store;
  let nextId = 1;

  async function post(path: string, body: unknown): Promise<void> {
    const res = await fetch(`${managementUrl}${path}`, { method: 'POST', body: JSON.stringify(body) });
    if (!res.ok) throw new Error(`challtestsrv ${path}: HTTP ${res.status}`);
    await res.arrayBuffer();
  }

  function serialized<T>(fn: () => Promise<T>): Promise<T> {
    const run = shared.queue.then(fn);
    shared.queue = run.then(
      () => {},
      () => {},
    );
    return run;
  }

  const normalize = (fqdn: string) => fqdn.replace(/\.$/, '').toLowerCase();

  return {
    added,
    removed,
    live: () =>
      [...shared.byName.values()]
        .flat()
        .filter((e) => e.owner === owner)
        .map((e) => e.ref),
    setCreatedAt(record, createdAt) {
      const entry = shared.byName.get(normalize(record.fqdn))?.find((e) => sameRecord(e.ref, record));
      if (!entry) throw new Error(`setCreatedAt: ${record.fqdn} record ${record.recordId} is not placed`);
      entry.createdAt = createdAt;
    },
    async zoneOf(fqdn) {
      return fqdn.replace(/\.$/, '').split('.').slice(-2).join('.');
    },
    async addTxtRecord(fqdn, value) {
      const name = fqdn.replace(/\.$/, '');
      const written = options.mangleValue ? options.mangleValue(value) : value;
      const record: TxtRecordRef = {
        fqdn: name,
        value: written,
        zone: await this.zoneOf(name),
        recordId: String(nextId++),
      };
      await serialized(async () => {
        await post('/set-txt', { host: `${name}.`, value: written });
        const key = normalize(name);
        shared.byName.set(key, [...(shared.byName.get(key) ?? []), { ref: record, createdAt: new Date(), owner }]);
      });
      added.push(record);
      return record;
    },
    async listTxtRecords(fqdn) {
      const failure = options.failList?.(fqdn);
      if (failure) throw failure;
      return (shared.byName.get(normalize(fqdn)) ?? []).map((e): ListedTxtRecord => ({
        ...e.ref,
        ...(e.createdAt ? { createdAt: new Date(e.createdAt) } : {}),
      }));
    },
    removeTxtRecord(record) {
      removed.push(record);
      const failure = options.failRemoval?.(record);
      if (failure) return Promise.reject(failure);
      return serialized(async () => {
        const key = normalize(record.fqdn);
        const rest = (shared.byName.get(key) ?? []).filter((e) => !sameRecord(e.ref, record));
        await post('/clear-txt', { host: `${record.fqdn}.` });
        for (const e of rest) await post('/set-txt', { host: `${e.ref.fqdn}.`, value: e.ref.value });
        if (rest.length > 0) shared.byName.set(key, rest);
        else shared.byName.delete(key);
      });
    },
  };
}
