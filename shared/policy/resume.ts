import type { ServerCertificate } from '../domain/certificate.js';
import type { RenewalPolicy } from '../config/types.js';
import { factsOf } from './current-certificate.js';
import { decideRenewal } from './renewal.js';
import { fingerprintMatchesTags, isRotatorCertificate } from '../domain/tags.js';

/**
 * Pure: a certificate an earlier run already uploaded for this name that is better than the one in use — later
 * expiry, covers every configured name, not itself due, and reported by SLB with the fingerprint recorded at upload. Deploying it finishes an interrupted run without a second
 * order (a crash after upload, or between two targets).
 */
export function findResumable(input: {
  name: string;
  domains: string[];
  certificates: readonly ServerCertificate[];
  /** The certificate in use: a resumable one replaces it, so it must be another and expire later. */
  previous: Pick<ServerCertificate, 'serverCertificateId' | 'expireTimeStamp'> | null;
  policy: RenewalPolicy;
  now: Date;
  /** The same key the main decision uses, so both agree where the renewal point falls. */
  spreadKey: string;
}): ServerCertificate | undefined {
  const { previous } = input;
  return input.certificates
    .filter((c) => isRotatorCertificate(c, input.name) && fingerprintMatchesTags(c))
    .filter(
      (c) =>
        !previous ||
        (c.serverCertificateId !== previous.serverCertificateId && c.expireTimeStamp > previous.expireTimeStamp),
    )
    .filter(
      (c) =>
        !decideRenewal({
          current: factsOf(c),
          domains: input.domains,
          policy: input.policy,
          force: false,
          now: input.now,
          spreadKey: input.spreadKey,
        }).due,
    )
    .sort((a, b) => b.expireTimeStamp - a.expireTimeStamp)[0];
}
