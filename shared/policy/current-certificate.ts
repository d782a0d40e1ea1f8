import type { ServerCertificate, TargetBinding } from '../domain/certificate.js';
import { isRotatorCertificate, notBeforeFromTags } from '../domain/tags.js';
import type { CurrentCertificateFacts } from './renewal.js';

export type CurrentSelection =
  | { kind: 'bound'; certificate: ServerCertificate; note?: string }
  | { kind: 'newest-own'; certificate: ServerCertificate }
  | { kind: 'none' }
  | { kind: 'missing'; serverCertificateIds: string[] };

/**
 * Pure: which certificate is "in use now" for a managed certificate. SLB is the source of truth: the certificates
 * its targets serve. When targets disagree, the one that expires first decides, since it is the one that would
 * break first. Without targets, the newest certificate the rotator uploaded under that name.
 */
export function selectCurrentCertificate(
  name: string,
  certificates: readonly ServerCertificate[],
  bindings: readonly TargetBinding[],
): CurrentSelection {
  if (bindings.length > 0) {
    const ids = [...new Set(bindings.map((b) => b.serverCertificateId))];
    const found = ids.map((id) => certificates.find((c) => c.serverCertificateId === id));
    const missing = ids.filter((_, i) => !found[i]);
    if (missing.length > 0) return { kind: 'missing', serverCertificateIds: missing };
    const bound = (found as ServerCertificate[]).sort((a, b) => a.expireTimeStamp - b.expireTimeStamp);
    const first = bound[0] as ServerCertificate;
    return ids.length > 1
      ? {
          kind: 'bound',
          certificate: first,
          note: `targets serve ${ids.length} different certificates (${ids.join(', ')})`,
        }
      : { kind: 'bound', certificate: first };
  }
  const own = certificates
    .filter((c) => isRotatorCertificate(c, name))
    .sort((a, b) => b.expireTimeStamp - a.expireTimeStamp || (b.createTimeStamp ?? 0) - (a.createTimeStamp ?? 0));
  return own[0] ? { kind: 'newest-own', certificate: own[0] } : { kind: 'none' };
}

export function factsOf(c: ServerCertificate): CurrentCertificateFacts {
  return {
    notAfter: new Date(c.expireTimeStamp),
    notBefore: notBeforeFromTags(c),
    uploadedAt: c.createTimeStamp ? new Date(c.createTimeStamp) : undefined,
    names: [
      ...new Set([...(c.commonName ? [c.commonName] : []), ...c.subjectAlternativeNames].map((n) => n.toLowerCase())),
    ],
  };
}
