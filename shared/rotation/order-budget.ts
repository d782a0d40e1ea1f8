import { AcmeError } from '../errors.js';
import type { CertificateAuthority } from '../ports/certificate-authority.js';

/**
 * New ACME orders one run places at most, unless `acme.maxNewOrdersPerRun` says otherwise. Let's Encrypt allows 300
 * new orders per account per 3 hours; staying well below leaves room for a second run (a retry, a manual one) and
 * for the odd order placed twice (without `replaces` after the CA refused it).
 */
export const DEFAULT_MAX_NEW_ORDERS_PER_RUN = 100;

/**
 * The run's CertificateAuthority with a budget of new orders: past `limit`, `issue` fails at stage `issue` with code
 * `OrderBudgetExhausted` (retryable: the next run orders it) without asking the CA, and without loading acme-client
 * for it. Every `issue` call that reaches the CA counts, failed ones too: the CA counts an order once it exists, and
 * whether it got that far is not always known.
 */
export function withOrderBudget(
  certificateAuthority: () => Promise<CertificateAuthority>,
  limit: number,
): () => Promise<CertificateAuthority> {
  if (!Number.isInteger(limit) || limit < 1) {
    throw new RangeError(`the order budget must be a whole number of at least 1, not ${String(limit)}`);
  }
  let placed = 0;
  const budgeted: CertificateAuthority = {
    async issue(request) {
      if (placed >= limit) {
        throw new AcmeError(
          `not ordered: this run already placed ${placed} new ACME order(s), its budget (acme.maxNewOrdersPerRun = ${limit}); the next run orders it`,
          { code: 'OrderBudgetExhausted', retryable: true },
        );
      }
      // Reserved before anything is awaited: certificates running concurrently must not all see the last free slot.
      placed++;
      let ca: CertificateAuthority;
      try {
        ca = await certificateAuthority();
      } catch (err) {
        // No order was placed when the CA could not even be reached or the account not registered.
        placed--;
        throw err;
      }
      return ca.issue(request);
    },
  };
  return () => Promise.resolve(budgeted);
}
