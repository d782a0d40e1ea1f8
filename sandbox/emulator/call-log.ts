export type Product = 'slb' | 'alidns';

/** One wire call, as tests see it. Credentials and key material are removed before it is stored. */
export interface CallRecord {
  /** The emulator's own RequestId for this call (also in the response body). */
  requestId: string;
  /** Undefined when the Version named no product. */
  product: Product | undefined;
  action: string;
  /** Epoch ms on the emulator's clock when the request arrived. */
  time: number;
  method: string;
  /** Every request parameter except the ones in REDACTED_PARAMS. */
  params: Readonly<Record<string, string>>;
  /** HTTP status sent back. */
  status: number;
  /** Error code sent back; undefined for a success. */
  errorCode: string | undefined;
  /** True when the error came from `faults` rather than from the emulated service. */
  injected: boolean;
}

/** Parameters never kept in the call log: secrets and what would let a reader replay or impersonate. */
export const REDACTED_PARAMS: ReadonlySet<string> = new Set([
  'PrivateKey',
  'Signature',
  'SecurityToken',
  'AccessKeyId',
]);

export function redactParams(params: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(params)) if (!REDACTED_PARAMS.has(k)) out[k] = v;
  return out;
}

export class CallLog {
  private readonly records: CallRecord[] = [];

  add(record: CallRecord): void {
    this.records.push(Object.freeze({ ...record, params: Object.freeze({ ...record.params }) }));
  }

  /** A snapshot: later calls do not appear in an array a test already holds. */
  all(): readonly CallRecord[] {
    return [...this.records];
  }

  clear(): void {
    this.records.length = 0;
  }
}
