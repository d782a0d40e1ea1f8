import { registerSecret } from '../log/secret-values.js';
import { formatBytes, readTextFile } from './read-text-file.js';
import type { SecretRef } from './schema.js';

export type Environment = Readonly<Record<string, string | undefined>>;

/**
 * Far above any key the rotator takes (an RSA-4096 PEM is about 3.3 KB), far below anything that hurts to hold:
 * a secret reference pointing at a log file or a disk image is refused rather than read.
 */
export const MAX_SECRET_BYTES = 16 * 1024;

/** Where a secret came from, in words, for messages: `environment variable NAME` or `file PATH`. */
export function describeSecretSource(ref: SecretRef): string {
  return 'env' in ref ? `environment variable ${ref.env}` : `file ${ref.file}`;
}

/**
 * Reads a secret named by the configuration. Returns a problem instead of throwing so that every bad secret is
 * reported at once; the problem starts with the source (`environment variable NAME …`, `file PATH …`) and never
 * contains the value.
 */
export async function readSecret(ref: SecretRef, env: Environment): Promise<{ value: string } | { problem: string }> {
  const source = describeSecretSource(ref);
  if ('env' in ref) {
    const value = env[ref.env];
    if (value === undefined || value.trim() === '') return { problem: `${source} is not set` };
    const bytes = Buffer.byteLength(value, 'utf8');
    if (bytes > MAX_SECRET_BYTES) {
      return { problem: `${source} holds ${bytes} bytes; the limit is ${formatBytes(MAX_SECRET_BYTES)}` };
    }
    return { value };
  }
  const read = await readTextFile(ref.file, MAX_SECRET_BYTES);
  if ('problem' in read) return { problem: `${source} ${read.problem}` };
  if (read.text.trim() === '') return { problem: `${source} is empty` };
  return { value: read.text };
}

/**
 * Registers a loaded secret for redaction by value: the text itself and, for PEM, each base64 line and the body of
 * each block, so a key that reappears re-wrapped or one line at a time (a parser quoting the line it choked on) is
 * scrubbed as well. Registered even when the value is then refused: it was read, so it may be echoed.
 */
export function registerSecretText(value: string): void {
  registerSecret(value);
  const bodies = value.matchAll(/-----BEGIN [A-Z0-9 ]+-----([\s\S]*?)-----END [A-Z0-9 ]+-----/g);
  for (const [, body = ''] of bodies) {
    const lines = body.split(/\r?\n|\r/).map((l) => l.trim());
    registerSecret(lines.filter((l) => !l.includes(':')).join(''));
    for (const line of lines) if (line.length >= 16 && !line.includes(':')) registerSecret(line);
  }
}
