/** The DNS-01 challenge name of a certificate name: a wildcard validates at its base name's (RFC 8555 §8.4). */
export function challengeName(domain: string): string {
  return `_acme-challenge.${domain.replace(/^\*\./, '').replace(/\.$/, '').toLowerCase()}`;
}

/**
 * The certificates (by name) that share a challenge name with another certificate of the list: the same name in two
 * regions, or a name also covered by another certificate. Runs of either may place records there at any time.
 */
export function certificatesSharingChallengeNames(
  certificates: readonly { name: string; domains: readonly string[] }[],
): Set<string> {
  const users = new Map<string, Set<string>>();
  for (const cert of certificates) {
    for (const domain of cert.domains) {
      const name = challengeName(domain);
      users.set(name, (users.get(name) ?? new Set()).add(cert.name));
    }
  }
  const sharing = new Set<string>();
  for (const names of users.values()) if (names.size > 1) for (const n of names) sharing.add(n);
  return sharing;
}
