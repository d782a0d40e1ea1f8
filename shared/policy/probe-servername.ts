import { isIP } from 'node:net';

/** The label put in front of a wildcard's base to make a concrete name to send as SNI. */
export const WILDCARD_PROBE_LABEL = 'rotator-probe';

function normalise(name: string): string {
  return name.trim().toLowerCase().replace(/\.$/, '');
}

/** `*.example.com` covers exactly one more label, as CLB's SNI matching and browsers do. */
function covers(pattern: string, name: string): boolean {
  if (pattern === name) return true;
  if (!pattern.startsWith('*.')) return false;
  const suffix = pattern.slice(1);
  return name.length > suffix.length && name.endsWith(suffix) && !name.slice(0, -suffix.length).includes('.');
}

/**
 * A name to send as SNI so that a listener answers with the certificate for `names`. Non-wildcard names come first
 * (a real host name is the most faithful question); a wildcard yields `rotator-probe.<base>`. `exclude` lists names
 * (wildcards allowed) whose SNI would select something else, e.g. the listener's domain-extension domains; a
 * candidate any of them covers is skipped. Undefined when no name is left.
 */
export function probeServername(names: string[], exclude: string[] = []): string | undefined {
  const excluded = exclude.map(normalise).filter((e) => e !== '');
  const usable = (candidate: string): boolean => !excluded.some((e) => covers(e, candidate));
  const cleaned = names.map(normalise).filter((n) => n !== '' && isIP(n) === 0);
  const exact = cleaned.find((n) => !n.includes('*') && usable(n));
  if (exact !== undefined) return exact;
  for (const n of cleaned) {
    // Only a leading `*.` label is a wildcard CLB and clients understand; anything else cannot be turned into a host.
    if (!n.startsWith('*.') || n.slice(2).includes('*') || !n.slice(2).includes('.')) continue;
    const candidate = `${WILDCARD_PROBE_LABEL}.${n.slice(2)}`;
    if (usable(candidate)) return candidate;
  }
  return undefined;
}
