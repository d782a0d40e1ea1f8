import type { ServerCertificate } from '../domain/certificate.js';

/**
 * Tags the rotator puts on every certificate it uploads. They are how it recognises its own certificates (it never
 * deletes or adopts anything else) and how it remembers facts SLB does not report, so the function stays stateless.
 * Dots rather than colons or slashes: the characters SLB allows in tag keys are not fully documented.
 */
export const TAG_NAME = 'slb-cert-rotator.name';
export const TAG_NOT_BEFORE = 'slb-cert-rotator.not-before';
export const TAG_SHA256 = 'slb-cert-rotator.sha256';
/** RFC 9773 certificate identifier: what ACME Renewal Information and `replaces` need, since SLB never returns the PEM. */
export const TAG_ARI_ID = 'slb-cert-rotator.ari-id';

export function rotatorTags(
  name: string,
  issued: { notBefore: Date; sha256: string; ariCertId?: string },
): Record<string, string> {
  return {
    [TAG_NAME]: name,
    [TAG_NOT_BEFORE]: issued.notBefore.toISOString(),
    [TAG_SHA256]: issued.sha256,
    ...(issued.ariCertId ? { [TAG_ARI_ID]: issued.ariCertId } : {}),
  };
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
