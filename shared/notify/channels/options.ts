import { checkPlatformAnswer, DEFAULT_TIMEOUT_MS, request } from '../http.js';
/** What every channel adapter takes. */
export interface ChannelOptions {
  /** The robot's or webhook's URL, token included. Never log. */
  url: string;
  /** The signing secret, for the channels that sign. Never log. */
  secret?: string;
  /** For the signatures' timestamps. */
  clock?: () => Date;
  timeoutMs?: number;
}

/** Everything in the URL that identifies the robot, for scrubbing answers: the URL, its query values, its last segment. */
export function secretsOf(options: ChannelOptions): string[] {
  const out = [options.url];
  if (options.secret) out.push(options.secret);
  try {
    const url = new URL(options.url);
    out.push(...url.searchParams.values());
    const last = url.pathname.split('/').filter(Boolean).pop();
    if (last) out.push(last);
  } catch {
    // Validated at load time; an unparsable URL has no parts to add.
  }
  return out.filter((v) => v.length >= 8);
}

/**
 * The chat robots' common call: POST the JSON body, then read the platform's own error code from the 200 answer
 * (DingTalk and WeCom `errcode`, Feishu `code`), with the channel's secrets scrubbed from anything reported.
 */
export async function postToRobot(
  url: string,
  body: unknown,
  options: ChannelOptions,
  codeField: 'errcode' | 'code',
): Promise<void> {
  const secrets = secretsOf(options);
  const answer = await request(url, {
    method: 'POST',
    body: JSON.stringify(body),
    headers: { 'content-type': 'application/json; charset=utf-8' },
    timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    secrets,
  });
  checkPlatformAnswer(answer, codeField, secrets);
}
