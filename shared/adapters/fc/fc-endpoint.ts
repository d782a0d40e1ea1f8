import { ConfigError } from '../../errors.js';

/**
 * The Function Compute 3.0 API endpoint every call goes to when `ROTATOR_FC_ENDPOINT` is set (the emulator, a VPC
 * endpoint), or undefined for the default, which fc2 builds itself from the account and region
 * (`https://<accountId>.<region>.fc.aliyuncs.com` with `secure: true`).
 */
export function fcEndpointOverride(env: Readonly<Record<string, string | undefined>>): string | undefined {
  const value = env.ROTATOR_FC_ENDPOINT?.trim();
  if (value === undefined || value === '') return undefined;
  const url = URL.canParse(value) ? new URL(value) : undefined;
  // fc2 appends `/<version>/functions/…` to the endpoint, so a path, query or fragment would land in the wrong
  // place; user:password would be sent to whatever host is named.
  if (
    url === undefined ||
    (url.protocol !== 'https:' && url.protocol !== 'http:') ||
    url.username !== '' ||
    url.password !== '' ||
    url.search !== '' ||
    url.hash !== '' ||
    url.pathname !== '/'
  ) {
    // The value is not echoed: a rejected URL may be rejected precisely because it carries credentials.
    throw new ConfigError([
      'ROTATOR_FC_ENDPOINT: not an http(s) URL of a host (no path, query string or user:password)',
    ]);
  }
  return `${url.protocol}//${url.host}`;
}
