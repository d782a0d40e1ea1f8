import { CredentialsError } from '../errors.js';
import { registerSecret } from '../log/secret-values.js';

/** Alibaba Cloud credentials. Never log them; the secret parts are registered for redaction where they are read. */
export interface CloudCredentials {
  accessKeyId: string;
  accessKeySecret: string;
  securityToken?: string;
}

/** Called on every request so that temporary credentials can be refreshed without rebuilding clients. */
export interface CredentialsProvider {
  getCredentials(): Promise<CloudCredentials>;
}

/** Function Compute passes the function role's temporary STS credentials in the invocation context. */
export interface FcContextCredentials {
  accessKeyId?: string;
  accessKeySecret?: string;
  securityToken?: string;
}

/**
 * Function Compute passes the role's credentials in the context, and also as the standard ALIBABA_CLOUD_* variables
 * of the instance; the context is preferred because it is per invocation and so never stale.
 */
export function credentialsFromFcContext(
  creds: FcContextCredentials | undefined,
  env: Readonly<Record<string, string | undefined>> = {},
): CredentialsProvider {
  if (!creds?.accessKeyId || !creds.accessKeySecret) {
    if (env.ALIBABA_CLOUD_ACCESS_KEY_ID && env.ALIBABA_CLOUD_ACCESS_KEY_SECRET) return credentialsFromEnvironment(env);
    throw new CredentialsError(
      'the invocation context carries no credentials: give the function a role (s.yaml `role`) with the permissions in the README',
    );
  }
  const value: CloudCredentials = {
    accessKeyId: creds.accessKeyId,
    accessKeySecret: creds.accessKeySecret,
    ...(creds.securityToken ? { securityToken: creds.securityToken } : {}),
  };
  registerCredentials(value);
  return { getCredentials: async () => value };
}

/** Outside Function Compute: the standard Alibaba Cloud variables. */
export function credentialsFromEnvironment(env: Readonly<Record<string, string | undefined>>): CredentialsProvider {
  const accessKeyId = env.ALIBABA_CLOUD_ACCESS_KEY_ID?.trim();
  const accessKeySecret = env.ALIBABA_CLOUD_ACCESS_KEY_SECRET?.trim();
  const securityToken = env.ALIBABA_CLOUD_SECURITY_TOKEN?.trim();
  const missing = [
    !accessKeyId && 'ALIBABA_CLOUD_ACCESS_KEY_ID',
    !accessKeySecret && 'ALIBABA_CLOUD_ACCESS_KEY_SECRET',
  ].filter(Boolean);
  if (missing.length > 0 || !accessKeyId || !accessKeySecret) {
    throw new CredentialsError(`no cloud credentials: set ${missing.join(' and ')}`);
  }
  if (accessKeyId.startsWith('STS.') && !securityToken) {
    throw new CredentialsError(
      'ALIBABA_CLOUD_ACCESS_KEY_ID is a temporary (STS.) key: set ALIBABA_CLOUD_SECURITY_TOKEN',
    );
  }
  const value: CloudCredentials = { accessKeyId, accessKeySecret, ...(securityToken ? { securityToken } : {}) };
  registerCredentials(value);
  return { getCredentials: async () => value };
}

/**
 * From here on, every text the process writes is scrubbed of these values, in any form (see `redact`). The key id is
 * not secret on its own and appears in support requests; the shape rules still hide it in URLs and form bodies.
 */
export function registerCredentials(credentials: CloudCredentials): void {
  registerSecret(credentials.accessKeySecret);
  registerSecret(credentials.securityToken);
}
