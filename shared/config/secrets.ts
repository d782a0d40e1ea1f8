import { readFile } from 'node:fs/promises';
import type { SecretRef } from './schema.js';

export type Environment = Readonly<Record<string, string | undefined>>;

/**
 * Reads a secret named by the configuration. Returns a problem description instead of throwing so that every
 * missing secret is reported at once; the description names the variable or file, never the value.
 */
export async function readSecret(ref: SecretRef, env: Environment): Promise<{ value: string } | { problem: string }> {
  if ('env' in ref) {
    const value = env[ref.env];
    if (value === undefined || value.trim() === '') return { problem: `environment variable ${ref.env} is not set` };
    return { value };
  }
  try {
    const value = await readFile(ref.file, 'utf8');
    if (value.trim() === '') return { problem: `file ${ref.file} is empty` };
    return { value };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    return { problem: `file ${ref.file} cannot be read (${code})` };
  }
}
