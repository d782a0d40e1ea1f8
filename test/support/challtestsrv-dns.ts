/**
 * A DnsProvider for tests that writes to pebble-challtestsrv, the DNS server Pebble validates against. challtestsrv
 * can only append a value or clear a whole name, so removing one record clears the name and re-adds the values this
 * provider still owns: per-record removal, like Alidns by RecordId.
 */
import type { DnsProvider, TxtRecordRef } from '../../shared/ports/dns.js';

export interface RecordingDnsProvider extends DnsProvider {
  /** Every record added, in order. */
  readonly added: TxtRecordRef[];
  /** Every record removed, in order. */
  readonly removed: TxtRecordRef[];
  /** Records currently placed by this provider. */
  live(): TxtRecordRef[];
}

export interface ChalltestsrvDnsOptions {
  /** Change the value written (the ref keeps the written value), e.g. to make validation fail. */
  mangleValue?: (value: string) => string;
  /** Make removal fail (after recording the attempt). */
  failRemoval?: (record: TxtRecordRef) => Error | undefined;
}

export function challtestsrvDns(managementUrl: string, options: ChalltestsrvDnsOptions = {}): RecordingDnsProvider {
  const added: TxtRecordRef[] = [];
  const removed: TxtRecordRef[] = [];
  const byName = new Map<string, TxtRecordRef[]>();
  let nextId = 1;
  let queue: Promise<void> = Promise.resolve();

  async function post(path: string, body: unknown): Promise<void> {
    const res = await fetch(`${managementUrl}${path}`, { method: 'POST', body: JSON.stringify(body) });
    if (!res.ok) throw new Error(`challtestsrv ${path}: HTTP ${res.status}`);
    await res.arrayBuffer();
  }

  return {
    added,
    removed,
    live: () => [...byName.values()].flat(),
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
      await post('/set-txt', { host: `${name}.`, value: written });
      added.push(record);
      byName.set(name, [...(byName.get(name) ?? []), record]);
      return record;
    },
    removeTxtRecord(record) {
      removed.push(record);
      const failure = options.failRemoval?.(record);
      if (failure) return Promise.reject(failure);
      // Clear-and-re-add is not atomic: removals at one name run one after another.
      const run = queue.then(async () => {
        const rest = (byName.get(record.fqdn) ?? []).filter((r) => r.recordId !== record.recordId);
        await post('/clear-txt', { host: `${record.fqdn}.` });
        for (const r of rest) await post('/set-txt', { host: `${r.fqdn}.`, value: r.value });
        if (rest.length > 0) byName.set(record.fqdn, rest);
        else byName.delete(record.fqdn);
      });
      queue = run.catch(() => {});
      return run;
    },
  };
}
