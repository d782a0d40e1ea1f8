import { CloudApiError, DnsChallengeError } from '../../errors.js';
import type { DnsProvider, TxtRecordRef } from '../../ports/dns.js';
import type { AliyunRpcClient } from './rpc-client.js';

interface WireRecord {
  RecordId?: string;
  RR?: string;
  Type?: string;
  Value?: string;
  CreateTimestamp?: number | string;
}

/** DNS-01 records through Alidns 2015-01-09. */
export class AlidnsProvider implements DnsProvider {
  #zones: Promise<string[]> | undefined;

  constructor(
    private readonly rpc: AliyunRpcClient,
    private readonly ttl = 600,
  ) {}

  /** The longest suffix of `fqdn` that is a domain of this account (subdomain zones win over their parents). */
  async zoneOf(fqdn: string): Promise<string> {
    const name = fqdn.toLowerCase().replace(/\.$/, '');
    const zones = await this.#listZones();
    const zone = zones.filter((z) => name === z || name.endsWith(`.${z}`)).sort((a, b) => b.length - a.length)[0];
    if (!zone) {
      throw new DnsChallengeError(
        `no Alidns domain of this account contains ${name} (the account has: ${zones.slice(0, 10).join(', ') || 'none'}${zones.length > 10 ? ', …' : ''})`,
      );
    }
    return zone;
  }

  async addTxtRecord(fqdn: string, value: string): Promise<TxtRecordRef> {
    const name = fqdn.toLowerCase().replace(/\.$/, '');
    const zone = await this.zoneOf(name);
    const rr = name === zone ? '@' : name.slice(0, -(zone.length + 1));
    try {
      const body = await this.rpc.call<{ RecordId?: string }>(
        'AddDomainRecord',
        { DomainName: zone, RR: rr, Type: 'TXT', Value: value, TTL: this.ttl },
        { stage: 'dns', idempotent: false },
      );
      if (!body.RecordId) throw new DnsChallengeError(`AddDomainRecord for ${name} returned no RecordId`);
      return { fqdn: name, value, zone, recordId: String(body.RecordId) };
    } catch (err) {
      // An earlier run that stopped before cleaning up may have left exactly this record, or the answer to this very
      // call was lost after Alidns created it: adopt it, so it is removed with the others.
      if (
        err instanceof CloudApiError &&
        /^(DomainRecordDuplicate|Timeout|ECONNRESET|EPIPE|NonJsonResponse)$/.test(err.code ?? '')
      ) {
        const existing = await this.#find(name, zone, value).catch(() => undefined);
        if (existing) return { fqdn: name, value, zone, recordId: existing };
      }
      throw wrap(err, `cannot add the TXT record ${name}`);
    }
  }

  async removeTxtRecord(record: TxtRecordRef): Promise<void> {
    try {
      await this.rpc.call('DeleteDomainRecord', { RecordId: record.recordId }, { stage: 'dns', idempotent: true });
    } catch (err) {
      // Gone already (removed by hand or by an earlier attempt whose answer was lost): the goal is reached.
      if (err instanceof CloudApiError && /NotBelongToUser|NotExist|NotFound/i.test(err.code ?? '')) return;
      throw wrap(err, `cannot remove the TXT record ${record.fqdn} (RecordId ${record.recordId})`);
    }
  }

  async listTxtRecords(fqdn: string): Promise<(TxtRecordRef & { createdAt?: Date })[]> {
    const name = fqdn.toLowerCase().replace(/\.$/, '');
    const zone = await this.zoneOf(name);
    const records = await this.#subDomainRecords(name, zone);
    return records
      .filter((r) => r.Type === 'TXT' && r.RecordId && r.Value !== undefined)
      .map((r) => {
        const created = Number(r.CreateTimestamp);
        return {
          fqdn: name,
          zone,
          value: r.Value as string,
          recordId: String(r.RecordId),
          ...(Number.isFinite(created) && created > 0 ? { createdAt: new Date(created) } : {}),
        };
      });
  }

  async #find(name: string, zone: string, value: string): Promise<string | undefined> {
    const records = await this.#subDomainRecords(name, zone);
    return records.find((r) => r.Type === 'TXT' && r.Value === value)?.RecordId;
  }

  async #subDomainRecords(name: string, zone: string): Promise<WireRecord[]> {
    const out: WireRecord[] = [];
    for (let page = 1; page <= 50; page++) {
      const body = await this.rpc.call<{ TotalCount?: number; DomainRecords?: { Record?: WireRecord[] } }>(
        'DescribeSubDomainRecords',
        { SubDomain: name, DomainName: zone, Type: 'TXT', PageNumber: page, PageSize: 100 },
        { stage: 'dns', idempotent: true },
      );
      const batch = body.DomainRecords?.Record ?? [];
      out.push(...batch);
      if (batch.length < 100 || out.length >= Number(body.TotalCount ?? 0)) break;
    }
    return out;
  }

  #listZones(): Promise<string[]> {
    this.#zones ??= (async () => {
      const zones: string[] = [];
      for (let page = 1; page <= 100; page++) {
        const body = await this.rpc.call<{ TotalCount?: number; Domains?: { Domain?: { DomainName?: string }[] } }>(
          'DescribeDomains',
          { PageNumber: page, PageSize: 100 },
          { stage: 'dns', idempotent: true },
        );
        const batch = body.Domains?.Domain ?? [];
        for (const d of batch) if (d.DomainName) zones.push(d.DomainName.toLowerCase().replace(/\.$/, ''));
        if (batch.length < 100 || zones.length >= Number(body.TotalCount ?? 0)) break;
      }
      return zones;
    })();
    // A failed listing must not be cached for the rest of the run.
    this.#zones.catch(() => {
      this.#zones = undefined;
    });
    return this.#zones;
  }
}

function wrap(err: unknown, context: string): Error {
  if (err instanceof DnsChallengeError) return err;
  if (err instanceof CloudApiError) {
    return new DnsChallengeError(`${context}: ${err.message}`, {
      cause: err,
      retryable: err.retryable,
      ...(err.code ? { code: err.code } : {}),
    });
  }
  return new DnsChallengeError(`${context}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
}
