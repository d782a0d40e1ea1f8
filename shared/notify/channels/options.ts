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
