/**
 * A URL from the configuration that the rotator will call and may print. Credentials in the userinfo part
 * (`https://user:password@host/`) would be printed with it (the `validate` output, log lines, error messages), so
 * such a URL is refused, and the refusal never repeats the URL: it may be refused precisely for what it holds.
 */
export function urlProblem(value: string, protocols: readonly string[] = ['https:']): string | undefined {
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    return 'not a URL (the value is not shown)';
  }
  if (url.username !== '' || url.password !== '') {
    return (
      'contains a user name or password (user:password@host); credentials in a URL end up in logs, so it is ' +
      'refused (the value is not shown)'
    );
  }
  if (!protocols.includes(url.protocol)) {
    return `must be an ${protocols.map((p) => p.replace(/:$/, '')).join(' or ')} URL`;
  }
  return undefined;
}
