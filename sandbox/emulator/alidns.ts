import { randomInt, randomUUID } from 'node:crypto';
import type { ChalltestsrvMirror } from './challtestsrv-mirror.js';
import { ApiError, invalidParameter } from './errors.js';
import { optional, optionalEnum, optionalInt, type Params, parseIntParam, required } from './params.js';
import type { ProductHandler } from './rpc-server.js';
import { formatTimestamp } from './signature.js';

export const ALIDNS_VERSION = '2015-01-09';

/** A record as Alidns reports it (one `DomainRecords.Record` item). */
export interface DomainRecordItem {
  RecordId: string;
  DomainName: string;
  RR: string;
  Type: string;
  Value: string;
  TTL: number;
  Line: string;
  /** The reference says `Enable`/`Disable`; real bodies show `ENABLE`/`DISABLE` (case UNCONFIRMED). */
  Status: string;
  Locked: boolean;
  Weight: number;
  Priority?: number;
  Remark?: string;
  CreateTimestamp: number;
  UpdateTimestamp: number;
}

interface Zone {
  id: string;
  name: string;
  createTimeStamp: number;
  records: Map<string, DomainRecordItem>;
}

export interface AlidnsOptions {
  clock: () => number;
  mirror: ChalltestsrvMirror | undefined;
  /**
   * How long after AddDomainRecord has answered a TXT record reaches challtestsrv (the zone's "authoritative
   * servers"). Default 0: the next timer tick, which is still after the answer, so a client that does not wait for
   * propagation fails here as it would against the real service.
   */
  propagationDelayMs?: number;
}

/** A TXT value waiting to reach challtestsrv, or on its way there. */
interface PendingPublish {
  timer: NodeJS.Timeout | undefined;
  write: Promise<void> | undefined;
}

const RECORD_TYPES = ['A', 'AAAA', 'CNAME', 'TXT', 'MX', 'NS', 'SRV', 'CAA', 'REDIRECT_URL', 'FORWARD_URL'] as const;

/** Hostname syntax: an underscore label is not a domain, which is why `_acme-challenge.x.com` gets `.Format`. */
function isDomainSyntax(name: string): boolean {
  return (
    name.length <= 253 && /^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}$/i.test(name) && !name.endsWith('-')
  );
}

function isRrSyntax(rr: string): boolean {
  return rr === '@' || (rr.length <= 253 && /^[A-Za-z0-9_*]([A-Za-z0-9_.*-]*[A-Za-z0-9_*])?$/.test(rr));
}

// Error bodies below are quoted in public issues: InvalidDomainName.NoExist (acme.sh#4670, qdm12/ddns-updater#253),
// InvalidDomainName.Format (acme.sh#6204), DomainRecordNotBelongToUser (aliyun-openapi-python-sdk#407),
// DomainRecordDuplicate (godns#47), QuotaExceeded.TTL (ddns-go#280, #1717).
function noSuchDomain(): ApiError {
  return new ApiError(
    'InvalidDomainName.NoExist',
    'The specified domain name does not exist. Refresh the page and try again.',
  );
}

function badDomainFormat(): ApiError {
  return new ApiError('InvalidDomainName.Format', 'Invalid domain name.');
}

/** Alibaba Cloud DNS 2015-01-09: the zones (domains) of one account and their records. */
export class Alidns implements ProductHandler {
  readonly product = 'alidns' as const;
  readonly hostId = 'alidns.aliyuncs.com';
  readonly actions: ReadonlySet<string> = new Set([
    'DescribeDomains',
    'AddDomainRecord',
    'DeleteDomainRecord',
    'DescribeDomainRecords',
    'DescribeSubDomainRecords',
    'GetMainDomainName',
  ]);

  private readonly zones = new Map<string, Zone>();
  private nextRecord = 1_800_000_000_000_000_000n + BigInt(randomInt(1_000_000_000));
  private propagationDelayMs: number;
  private readonly pendingPublishes = new Set<PendingPublish>();

  constructor(private readonly options: AlidnsOptions) {
    this.propagationDelayMs = validDelay(options.propagationDelayMs ?? 0);
  }

  handle(action: string, params: Params): Promise<Record<string, unknown>> | Record<string, unknown> {
    switch (action) {
      case 'DescribeDomains':
        return this.describeDomains(params);
      case 'AddDomainRecord':
        return this.addDomainRecord(params);
      case 'DeleteDomainRecord':
        return this.deleteDomainRecord(params);
      case 'DescribeDomainRecords':
        return this.describeDomainRecords(params);
      case 'DescribeSubDomainRecords':
        return this.describeSubDomainRecords(params);
      case 'GetMainDomainName':
        return this.getMainDomainName(params);
      default:
        throw new ApiError(
          'InvalidAction.NotFound',
          'Specified api is not found, please check your url and method.',
          404,
        );
    }
  }

  // ------------------------------------------------------------------ wire actions

  private describeDomains(params: Params): Record<string, unknown> {
    const pageNumber = optionalInt(params, 'PageNumber', 1, 1_000_000) ?? 1;
    const pageSize = optionalInt(params, 'PageSize', 1, 100) ?? 20;
    const keyword = optional(params, 'KeyWord')?.toLowerCase();
    const searchMode = optionalEnum(params, 'SearchMode', ['LIKE', 'EXACT'] as const) ?? 'LIKE';
    const all = [...this.zones.values()].filter(
      (z) => keyword === undefined || (searchMode === 'EXACT' ? z.name === keyword : z.name.includes(keyword)),
    );
    const page = all.slice((pageNumber - 1) * pageSize, pageNumber * pageSize);
    return {
      TotalCount: all.length,
      PageNumber: pageNumber,
      PageSize: pageSize,
      Domains: {
        Domain: page.map((z) => ({
          DomainId: z.id,
          DomainName: z.name,
          PunyCode: z.name,
          AliDomain: true,
          RecordCount: z.records.size,
          VersionCode: 'mianfei',
          VersionName: 'Alibaba Cloud DNS',
          CreateTime: formatTimestamp(z.createTimeStamp),
          CreateTimestamp: z.createTimeStamp,
          Starmark: false,
          ResourceGroupId: 'rg-acfmxazb4ph6aiy',
          // The free edition's name servers, as in the doc example.
          DnsServers: { DnsServer: ['dns29.hichina.com', 'dns30.hichina.com'] },
          Tags: { Tag: [] },
        })),
      },
    };
  }

  private addDomainRecord(params: Params): Record<string, unknown> {
    const zone = this.zoneFromParam(required(params, 'DomainName'));
    const rr = required(params, 'RR');
    // Codes for a bad RR / Type are UNCONFIRMED.
    if (!isRrSyntax(rr)) throw new ApiError('InvalidRR.Format', 'The specified RR is not valid.');
    const type = required(params, 'Type').toUpperCase();
    if (!(RECORD_TYPES as readonly string[]).includes(type)) {
      throw new ApiError('InvalidType', 'The specified record type is not valid.');
    }
    const value = required(params, 'Value');
    const ttl = this.ttl(params);
    const line = optional(params, 'Line') ?? 'default';
    const priority = type === 'MX' ? (optionalInt(params, 'Priority', 1, 50) ?? 5) : undefined;
    for (const r of zone.records.values()) {
      if (r.RR.toLowerCase() === rr.toLowerCase() && r.Type === type && r.Value === value && r.Line === line) {
        throw new ApiError('DomainRecordDuplicate', 'The DNS record already exists.');
      }
    }
    const now = this.options.clock();
    const record: DomainRecordItem = {
      RecordId: String(this.nextRecord++),
      DomainName: zone.name,
      RR: rr,
      Type: type,
      Value: value,
      TTL: ttl,
      Line: line,
      Status: 'ENABLE',
      Locked: false,
      Weight: 1,
      ...(priority === undefined ? {} : { Priority: priority }),
      CreateTimestamp: now,
      UpdateTimestamp: now,
    };
    zone.records.set(record.RecordId, record);
    if (type === 'TXT') this.publishAfterAnswer(zone, record);
    return { RecordId: record.RecordId };
  }

  private async deleteDomainRecord(params: Params): Promise<Record<string, unknown>> {
    const id = required(params, 'RecordId');
    for (const zone of this.zones.values()) {
      const record = zone.records.get(id);
      if (!record) continue;
      zone.records.delete(id);
      if (record.Type === 'TXT' && this.options.mirror) {
        const mirror = this.options.mirror;
        const fqdn = this.fqdn(zone, record.RR);
        const remaining = [...zone.records.values()]
          .filter((r) => r.Type === 'TXT' && this.fqdn(zone, r.RR) === fqdn)
          .map((r) => r.Value);
        await this.mirrorOrFail(() => mirror.replaceTxt(fqdn, remaining));
      }
      return { RecordId: id };
    }
    throw new ApiError('DomainRecordNotBelongToUser', 'The DNS record does not exist in your account.');
  }

  private describeDomainRecords(params: Params): Record<string, unknown> {
    const zone = this.zoneFromParam(required(params, 'DomainName'));
    const pageNumber = optionalInt(params, 'PageNumber', 1, 1_000_000) ?? 1;
    const pageSize = optionalInt(params, 'PageSize', 1, 500) ?? 20;
    const mode = optionalEnum(params, 'SearchMode', ['LIKE', 'EXACT', 'ADVANCED', 'COMBINATION'] as const) ?? 'LIKE';
    const keyword = optional(params, 'KeyWord')?.toLowerCase();
    const rrKey = optional(params, 'RRKeyWord')?.toLowerCase();
    const typeKey = (optional(params, 'TypeKeyWord') ?? optional(params, 'Type'))?.toUpperCase();
    const valueKey = optional(params, 'ValueKeyWord')?.toLowerCase();
    const line = optional(params, 'Line');
    const status = optional(params, 'Status')?.toUpperCase();
    const exactish = mode === 'COMBINATION';
    const match = (field: string, key: string | undefined, exact: boolean) =>
      key === undefined || (exact ? field.toLowerCase() === key : field.toLowerCase().includes(key));
    const records = [...zone.records.values()].filter((r) => {
      if (keyword !== undefined) {
        if (mode === 'EXACT' && r.RR.toLowerCase() !== keyword) return false;
        if (mode === 'LIKE' && !r.RR.toLowerCase().includes(keyword) && !r.Value.toLowerCase().includes(keyword)) {
          return false;
        }
      }
      return (
        match(r.RR, rrKey, exactish) &&
        (typeKey === undefined || r.Type === typeKey) &&
        match(r.Value, valueKey, exactish) &&
        (line === undefined || r.Line === line) &&
        (status === undefined || r.Status === status)
      );
    });
    return this.recordPage(records, pageNumber, pageSize);
  }

  private describeSubDomainRecords(params: Params): Record<string, unknown> {
    const sub = required(params, 'SubDomain').toLowerCase().replace(/\.$/, '');
    const given = optional(params, 'DomainName')?.toLowerCase();
    const pageNumber = optionalInt(params, 'PageNumber', 1, 1_000_000) ?? 1;
    const pageSize = optionalInt(params, 'PageSize', 1, 100) ?? 20;
    const type = optional(params, 'Type')?.toUpperCase();
    const line = optional(params, 'Line');
    let zone: Zone | undefined;
    if (given !== undefined) {
      zone = this.zoneFromParam(given);
      if (sub !== zone.name && !sub.endsWith(`.${zone.name}`)) throw invalidParameter('SubDomain');
    } else {
      zone = this.zoneOf(sub);
    }
    // A SubDomain outside the account's zones yields an empty list here; what the real service answers is
    // UNCONFIRMED (it splits by the public-suffix list, not by the account's zones).
    if (!zone) return this.recordPage([], pageNumber, pageSize);
    const z = zone;
    const rr = sub === z.name ? '@' : sub.slice(0, -(z.name.length + 1));
    const records = [...z.records.values()].filter(
      (r) =>
        r.RR.toLowerCase() === rr && (type === undefined || r.Type === type) && (line === undefined || r.Line === line),
    );
    return this.recordPage(records, pageNumber, pageSize);
  }

  private getMainDomainName(params: Params): Record<string, unknown> {
    const input = required(params, 'InputString').toLowerCase().replace(/\.$/, '');
    // Real: public-suffix list (UNCONFIRMED whether it knows subdomain zones). Here: the account's longest zone, else
    // the last two labels (three under a few common two-label suffixes).
    const zone = this.zoneOf(input);
    let domain = zone?.name;
    if (domain === undefined) {
      const labels = input.split('.');
      const twoLabelSuffix = /\.(com|net|org|gov|edu)\.(cn|hk|uk|au)$|\.co\.(uk|jp)$/.test(input);
      domain = labels.slice(-(twoLabelSuffix ? 3 : 2)).join('.');
      if (labels.length < 2) throw badDomainFormat();
    }
    const rr = input === domain ? '' : input.slice(0, -(domain.length + 1));
    return { DomainName: domain, RR: rr, DomainLevel: rr === '' ? 1 : rr.split('.').length + 1 };
  }

  // ------------------------------------------------------------------ seeding and inspection (in-process)

  addZone(name: string): { domainId: string; domainName: string } {
    const n = name.toLowerCase().replace(/\.$/, '');
    if (!isDomainSyntax(n)) throw badDomainFormat();
    if (this.zones.has(n)) throw new ApiError('DomainAddedByOthers', `Zone ${n} already exists.`);
    const id = randomUUID();
    this.zones.set(n, { id, name: n, createTimeStamp: this.options.clock(), records: new Map() });
    return { domainId: id, domainName: n };
  }

  records(zone: string): DomainRecordItem[] {
    const z = this.zones.get(zone.toLowerCase().replace(/\.$/, ''));
    if (!z) throw noSuchDomain();
    return [...z.records.values()].map((r) => ({ ...r }));
  }

  /**
   * Make a record look `ms` older: CreateTimestamp and UpdateTimestamp move back together, so a test can leave a
   * challenge record behind "from a crashed run" without waiting or moving the emulator's clock.
   */
  backdateRecord(recordId: string, ms: number): DomainRecordItem {
    if (!Number.isFinite(ms) || ms < 0) throw new Error('backdate by a non-negative number of ms');
    for (const zone of this.zones.values()) {
      const record = zone.records.get(recordId);
      if (!record) continue;
      record.CreateTimestamp -= ms;
      record.UpdateTimestamp -= ms;
      return { ...record };
    }
    throw new Error(`no record ${recordId}`);
  }

  zoneNames(): string[] {
    return [...this.zones.keys()];
  }

  /** For records added from now on; `undefined` goes back to the constructor's `propagationDelayMs`. */
  setPropagationDelay(ms: number | undefined): void {
    this.propagationDelayMs = validDelay(ms ?? this.options.propagationDelayMs ?? 0);
  }

  /**
   * For a clean close: values still waiting for their delay are never published, and writes already on their way to
   * challtestsrv are waited for (each ends within the mirror's time-out).
   */
  async settle(): Promise<void> {
    const writes: Promise<void>[] = [];
    for (const p of this.pendingPublishes) {
      clearTimeout(p.timer);
      if (p.write) writes.push(p.write);
      else this.pendingPublishes.delete(p);
    }
    await Promise.all(writes);
  }

  // ------------------------------------------------------------------ internals

  private zoneFromParam(name: string): Zone {
    const n = name.toLowerCase().replace(/\.$/, '');
    if (!isDomainSyntax(n)) throw badDomainFormat();
    const zone = this.zones.get(n);
    if (!zone) throw noSuchDomain();
    return zone;
  }

  /** Longest account zone that `fqdn` is in or equal to. */
  private zoneOf(fqdn: string): Zone | undefined {
    const labels = fqdn.split('.');
    for (let i = 0; i < labels.length - 1; i++) {
      const z = this.zones.get(labels.slice(i).join('.'));
      if (z) return z;
    }
    return undefined;
  }

  private fqdn(zone: Zone, rr: string): string {
    return (rr === '@' ? zone.name : `${rr}.${zone.name}`).toLowerCase();
  }

  private ttl(params: Params): number {
    const raw = optional(params, 'TTL');
    if (raw === undefined) return 600;
    if (!/^\d+$/.test(raw) || Number(raw) === 0) {
      // Seen for TTL=0 (libdns/alidns#6); the code name is UNCONFIRMED.
      throw new ApiError('InvalidTTL', 'Specified parameter TTL is not valid.');
    }
    const ttl = parseIntParam('TTL', raw, 1, Number.MAX_SAFE_INTEGER);
    // 600 is the free edition's minimum; paid editions go lower (not modelled).
    if (ttl < 600 || ttl > 86400) {
      throw new ApiError(
        'QuotaExceeded.TTL',
        'The specified TTL is invalid. A valid TTL must be in the range of 600 to 86400.',
      );
    }
    return ttl;
  }

  /**
   * Real Alidns answers AddDomainRecord once the record is stored; its authoritative servers serve it some time later.
   * So the value reaches challtestsrv only after the answer (a timer fires after the response is written), and a
   * failure to get it there is logged, not answered: the client's own propagation check is what must notice.
   */
  private publishAfterAnswer(zone: Zone, record: DomainRecordItem): void {
    const mirror = this.options.mirror;
    if (!mirror) return;
    const fqdn = this.fqdn(zone, record.RR);
    const pending: PendingPublish = { timer: undefined, write: undefined };
    pending.timer = setTimeout(() => {
      // Deleted before it propagated: it never reaches the name servers.
      if (!zone.records.has(record.RecordId)) {
        this.pendingPublishes.delete(pending);
        return;
      }
      pending.write = mirror
        .addTxt(fqdn, record.Value)
        .catch((err: unknown) =>
          console.error('[emulator] challtestsrv mirror failed:', err instanceof Error ? err.message : String(err)),
        )
        .finally(() => this.pendingPublishes.delete(pending));
    }, this.propagationDelayMs);
    this.pendingPublishes.add(pending);
  }

  private async mirrorOrFail(op: () => Promise<void>): Promise<void> {
    try {
      await op();
    } catch (err) {
      console.error('[emulator] challtestsrv mirror failed:', err instanceof Error ? err.message : String(err));
      throw new ApiError('InternalError', 'The request processing has failed due to some unknown error.', 500);
    }
  }

  private recordPage(records: DomainRecordItem[], pageNumber: number, pageSize: number): Record<string, unknown> {
    return {
      TotalCount: records.length,
      PageNumber: pageNumber,
      PageSize: pageSize,
      DomainRecords: {
        Record: records.slice((pageNumber - 1) * pageSize, pageNumber * pageSize).map((r) => ({ ...r })),
      },
    };
  }
}

function validDelay(ms: number): number {
  if (!Number.isFinite(ms) || ms < 0)
    throw new Error(`propagation delay must be a finite number of ms >= 0, not ${ms}`);
  return ms;
}
