import type { Product } from './call-log.js';
import { ApiError } from './errors.js';

/**
 * Alidns's published API rate quotas ("API rate quota", alidns 2015-01-09, Quota Center), per API and account: at
 * most this many calls in one second. Actions not listed here have no published quota (DescribeDomains among them)
 * and are never throttled. SLB publishes no API rate quota at all, so the emulator throttles none of its calls.
 */
export const ALIDNS_RATE_QUOTAS: Readonly<Record<string, number>> = {
  AddDomainRecord: 60,
  DeleteDomainRecord: 60,
  UpdateDomainRecord: 60,
  DeleteSubDomainRecords: 20,
  DescribeDomainRecords: 100,
  DescribeDomainRecordInfo: 200,
  DescribeSubDomainRecords: 300,
};

/**
 * The emulator is one account: calls beyond an action's quota within any one second are refused with
 * `Throttling.User` (the code and message Alibaba Cloud's gateways answer a user over a flow-control limit with; the
 * status is UNCONFIRMED, 400 like the other throttling codes). A refused call does not count against the quota.
 */
export class RateQuotas {
  readonly #quotas = new Map<string, number>();
  /** Accepted calls' times per `product:action`, oldest first, only the last second's. */
  readonly #recent = new Map<string, number[]>();

  constructor(
    private readonly clock: () => number,
    quotas: Partial<Record<Product, Readonly<Record<string, number>>>>,
  ) {
    for (const [product, actions] of Object.entries(quotas)) {
      for (const [action, perSecond] of Object.entries(actions ?? {}))
        this.#quotas.set(`${product}:${action}`, perSecond);
    }
  }

  /** Throws `Throttling.User` when this call would exceed its action's quota; otherwise counts it. */
  admit(product: Product, action: string): void {
    const key = `${product}:${action}`;
    const quota = this.#quotas.get(key);
    if (quota === undefined) return;
    const now = this.clock();
    const recent = (this.#recent.get(key) ?? []).filter((t) => t > now - 1000);
    if (recent.length >= quota) {
      this.#recent.set(key, recent);
      throw new ApiError('Throttling.User', 'Request was denied due to user flow control.', 400);
    }
    recent.push(now);
    this.#recent.set(key, recent);
  }
}
