import { matchesFingerprint } from '../certs/fingerprint.js';
import type { ServerCertificate } from './certificate.js';

/**
 * Tags the rotator puts on every certificate it uploads. They are how it recognises its own certificates (it never
 * deletes or adopts anything else) and how it remembers facts SLB does not report, so the function stays stateless.
 * Dots rather than colons or slashes: the characters SLB allows in tag keys are not fully documented.
 */
export const TAG_NAME = 'slb-cert-rotator.name';
export const TAG_NOT_BEFORE = 'slb-cert-rotator.not-before';
export const TAG_SHA1 = 'slb-cert-rotator.sha1';
export const TAG_SHA256 = 'slb-cert-rotator.sha256';
/** RFC 9773 certificate identifier: what ACME Renewal Information and `replaces` need, since SLB never returns the PEM. */
export const TAG_ARI_ID = 'slb-cert-rotator.ari-id';

export function rotatorTags(
  name: string,
  issued: { notBefore: Date; sha1: string; sha256: string; ariCertId?: string },
): Record<string, string> {
  return {
    [TAG_NAME]: name,
    [TAG_NOT_BEFORE]: issued.notBefore.toISOString(),
    [TAG_SHA1]: issued.sha1,
    [TAG_SHA256]: issued.sha256,
    ...(issued.ariCertId ? { [TAG_ARI_ID]: issued.ariCertId } : {}),
  };
}

/**
 * Whether SLB's fingerprint for a certificate is the one the rotator recorded when it uploaded it: a certificate that
 * ended in `mismatch` must never be picked up later as if it had been checked.
 */
export function fingerprintMatchesTags(c: ServerCertificate): boolean {
  const sha1 = c.tags[TAG_SHA1];
  const sha256 = c.tags[TAG_SHA256];
  return (
    Boolean(sha1 && sha256) && matchesFingerprint(c.fingerprint, { sha1: sha1 as string, sha256: sha256 as string })
  );
}

export function ariCertIdOf(c: ServerCertificate): string | undefined {
  return c.tags[TAG_ARI_ID] || undefined;
}

export function isRotatorCertificate(c: ServerCertificate, name: string): boolean {
  return c.tags[TAG_NAME] === name;
}

export function notBeforeFromTags(c: ServerCertificate): Date | undefined {
  const raw = c.tags[TAG_NOT_BEFORE];
  if (!raw) return undefined;
  const d = new Date(raw);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

/** `name-YYYYMMDD-<8 hex>`: readable in the console, unique per certificate, within SLB's 80-character limit. */
export function serverCertificateName(name: string, issued: { notBefore: Date; sha1: string }): string {
  const day = issued.notBefore.toISOString().slice(0, 10).replaceAll('-', '');
  return `${name}-${day}-${issued.sha1.slice(0, 8)}`;
}
