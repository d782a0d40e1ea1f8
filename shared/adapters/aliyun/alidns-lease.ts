/**
 * The records behind a certificate's lease, in Alidns (2015-01-09), next to the certificate's challenge records.
 *
 * Why Alidns: it is in the user's account, every managed certificate already needs write access to its zone for
 * DNS-01 (AddDomainRecord, DeleteDomainRecord, DescribeSubDomainRecords: no new service, no new permission), and
 * AddDomainRecord is an atomic create: the same RR, Type and Value a second time is refused with
 * `DomainRecordDuplicate` (HTTP 400, "The DNS record already exists."). That refusal is documented only through
 * public issues (godns#47, acme.sh), not in the API reference: confirmed by practice, not by the documentation.
 * Records carry `CreateTimestamp` (ms), which dates the lock.
 *
 * Lease records are public like any DNS record: their values hold the certificate name, a holder id and a record id,
 * nothing secret, with the configured (short) TTL.
 */
import { CloudApiError } from '../../errors.js';
import type { LeaseRecordEntry } from '../../lease/lease-records.js';
import type { LeaseRecords } from '../../lease/record-lease-store.js';
import type { AlidnsProvider } from './alidns-provider.js';
import type { AliyunRpcClient } from './rpc-client.js';

export class AlidnsLeaseRecords implements LeaseRecords {
  /**
   * `dns`: the run's challenge-record provider, for its zone lookup (cached: the zones are listed once per run) and
   * its listing and removal by RecordId.
   */
  constructor(
    private readonly rpc: AliyunRpcClient,
    private readonly dns: AlidnsProvider,
    private readonly ttl = 600,
  ) {}

  async create(name: string, value: string): Promise<{ id: string } | 'duplicate'> {
    const zone = await this.dns.zoneOf(name);
    const rr = name === zone ? '@' : name.slice(0, -(zone.length + 1));
    try {
      // Not idempotent, and deliberately not retried after a lost answer: a lock created by a call whose answer was
      // lost cannot be told from a contender's, so the run fails (retryable) and that lock simply expires.
      const body = await this.rpc.call<{ RecordId?: string }>(
        'AddDomainRecord',
        { DomainName: zone, RR: rr, Type: 'TXT', Value: value, TTL: this.ttl },
        { stage: 'lease', idempotent: false },
      );
      if (!body.RecordId) {
        throw new CloudApiError('lease', 'AddDomainRecord', `AddDomainRecord for ${name} returned no RecordId`);
      }
      return { id: String(body.RecordId) };
    } catch (err) {
      if (err instanceof CloudApiError && err.code === 'DomainRecordDuplicate') return 'duplicate';
      throw err;
    }
  }

  async list(name: string): Promise<LeaseRecordEntry[]> {
    const records = await this.dns.listTxtRecords(name);
    return records.map((r) => ({ id: r.recordId, value: r.value, createdAt: r.createdAt }));
  }

  async remove(name: string, id: string): Promise<void> {
    // Only the RecordId is sent: the name is for the message when the removal fails.
    await this.dns.removeTxtRecord({ fqdn: name, value: '', zone: '', recordId: id });
  }
}
