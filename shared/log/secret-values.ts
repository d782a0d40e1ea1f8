/**
 * Redaction by value: every secret the process holds (cloud credentials, signatures it computed, webhook tokens,
 * ACME account and EAB keys) is registered here where it is loaded, and `redact` scrubs it from any text, whatever
 * shape the text has (a JSON echo, a plain-text echo, a URL). The shape-based rules in `redact.ts` stay as a second
 * line for secrets the process never held (e.g. a token in a foreign error body).
 */
const values = new Set<string>();

/** Values shorter than this are not registered: scrubbing a 3-character string would mangle ordinary text. */
const MIN_LENGTH = 8;

export function registerSecret(value: string | undefined | null): void {
  if (typeof value !== 'string') return;
  const v = value.trim();
  if (v.length >= MIN_LENGTH) values.add(v);
}

/** The registered values, longest first, so a secret that contains another is replaced whole. */
export function registeredSecrets(): string[] {
  return [...values].sort((a, b) => b.length - a.length);
}

/** Tests only. */
export function clearRegisteredSecrets(): void {
  values.clear();
}
