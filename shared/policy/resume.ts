import type { ServerCertificate } from '../domain/certificate.js';
import type { RenewalPolicy } from '../config/types.js';
import { factsOf } from './current-certificate.js';
import { decideRenewal } from './renewal.js';
import { isRotatorCertificate } from '../rotation/tags.js';

/**
 * Pure: a certificate an earlier run already uploaded for this name that is better than the one in use — later
 * expiry, covers every configured name, not itself due. Deploying it finishes an interrupted run without a second
 * order (a crash after upload, or between two targets).
 */
export function findResumable(input: {
  name: string;
  domains: string[];
  certificates: readonly ServerCertificate[];
  previous: ServerCertificate | null;
  policy: RenewalPolicy;
  now: Date;
}): ServerCertificate | undefined {
  const { previous } = input;
  return input.certificates
    .filter((c) => isRotatorCertificate(c, input.name))
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
          spreadKey: c.serverCertificateId,
        }).due,
    )
    .sort((a, b) => b.expireTimeStamp - a.expireTimeStamp)[0];
}
