/**
 * How a notification endpoint appears in logs: scheme, host and port only. Every other part of these URLs can be
 * the credential (DingTalk's and WeCom's query, Feishu's and healthchecks.io's last path segment).
 */
export function endpointForLog(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return '(invalid URL)';
  }
}
