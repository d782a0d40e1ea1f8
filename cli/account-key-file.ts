import { open, rm } from 'node:fs/promises';
import { createAcmeAccount } from '../shared/adapters/acme/acme-certificate-authority.js';
import type { RotatorConfig } from '../shared/config/types.js';
import { UsageError } from './usage-error.js';

/**
 * Creates and registers an ACME account for the configured CA and writes its key to `path`. The file is created
 * exclusively with mode 0600: an existing key (and the account it stands for) is never overwritten.
 */
export async function createAccountKeyFile(config: RotatorConfig, path: string): Promise<{ accountUrl: string }> {
  // Open first, so an existing file stops us before an account is registered for nothing.
  const file = await open(path, 'wx', 0o600).catch((err: NodeJS.ErrnoException) => {
    throw outFileError(path, err.code);
  });
  try {
    const { accountKeyPem, accountUrl } = await createAcmeAccount({
      directoryUrl: config.acme.directoryUrl,
      email: config.acme.email,
      externalAccountBinding: config.acme.externalAccountBinding,
    });
    await file.writeFile(accountKeyPem);
    await file.close();
    return { accountUrl };
  } catch (err) {
    await file.close();
    await rm(path, { force: true });
    throw err;
  }
}

export function outFileError(path: string, code: string | undefined): UsageError {
  return new UsageError(
    code === 'EEXIST'
      ? `--out ${path}: the file exists; an account key is never overwritten`
      : `--out ${path}: cannot be created (${code ?? 'error'})`,
  );
}
