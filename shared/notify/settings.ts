import { z } from 'zod';
import type { secretRef as SecretRefSchema } from '../config/schema.js';
import { type Environment, readSecret } from '../config/secrets.js';
import { registerSecret } from '../log/secret-values.js';

/**
 * The `alerts` and `heartbeat` sections of the configuration, and their resolution to values at load time.
 *
 * The schemas are built from the config's own `secretRef` schema, handed in by `shared/config/schema.ts`: importing
 * it here at run time would make the two modules import each other, and whichever loads second would see it
 * uninitialised.
 */

export const CHANNEL_TYPES = ['dingtalk', 'feishu', 'wecom', 'webhook'] as const;
export type ChannelType = (typeof CHANNEL_TYPES)[number];

export const DEFAULT_EXPIRY_WARNING_DAYS = 14;

export function notifySchemas(secretRef: typeof SecretRefSchema) {
  // WeCom group robots have no signing: a secret there would look like protection that does not exist.
  const channel = z.discriminatedUnion(
    'type',
    [
      z.object({ type: z.literal('dingtalk'), url: secretRef, secret: secretRef.optional() }).strict(),
      z.object({ type: z.literal('feishu'), url: secretRef, secret: secretRef.optional() }).strict(),
      z.object({ type: z.literal('wecom'), url: secretRef }).strict(),
      z.object({ type: z.literal('webhook'), url: secretRef, secret: secretRef.optional() }).strict(),
    ],
    { error: `type must be one of ${CHANNEL_TYPES.join(', ')}` },
  );
  const alerts = z
    .object({
      /** Alert when a served certificate expires within this many days, whatever the reason. */
      expiryWarningDays: z.number().int().min(0).max(365).default(DEFAULT_EXPIRY_WARNING_DAYS),
      channels: z.array(channel).min(1, 'list at least one channel').max(10, 'at most 10 channels'),
    })
    .strict();
  const heartbeat = z
    .object({
      /** Pinged (GET) after every completed run; `/fail` is appended when the run had failures. */
      url: secretRef,
      /** Pinged instead of `url` + `/fail` after a failed run, for monitors without that convention (Uptime Kuma). */
      failUrl: secretRef.optional(),
    })
    .strict();
  return { alerts, heartbeat };
}

type Schemas = ReturnType<typeof notifySchemas>;
export type RawAlerts = z.infer<Schemas['alerts']>;
export type RawHeartbeat = z.infer<Schemas['heartbeat']>;

/** One channel with its secrets read. Never log: the URL carries the robot's token. */
export interface ChannelSettings {
  type: ChannelType;
  url: string;
  secret?: string;
}

export interface AlertSettings {
  expiryWarningDays: number;
  channels: ChannelSettings[];
}

/** Never log: the URL is the monitor's only credential. */
export interface HeartbeatSettings {
  url: string;
  failUrl?: string;
}

export interface ResolvedNotifySettings {
  /** One entry per problem, naming the field; empty when everything resolved. */
  problems: string[];
  alerts?: AlertSettings;
  heartbeat?: HeartbeatSettings;
}

/** Reads every referenced URL and secret, checks the URLs, and registers each value for redaction. */
export async function resolveNotifySettings(
  raw: { alerts?: RawAlerts | undefined; heartbeat?: RawHeartbeat | undefined },
  env: Environment,
  origin: string,
): Promise<ResolvedNotifySettings> {
  const problems: string[] = [];
  const read = async (ref: z.infer<typeof SecretRefSchema>, path: string): Promise<string | undefined> => {
    const secret = await readSecret(ref, env);
    if ('problem' in secret) {
      problems.push(`${origin}: ${path}: ${secret.problem}`);
      return undefined;
    }
    return secret.value.trim();
  };
  const readUrl = async (
    ref: z.infer<typeof SecretRefSchema>,
    path: string,
    type?: ChannelType,
  ): Promise<string | undefined> => {
    const value = await read(ref, path);
    if (value === undefined) return undefined;
    registerSecret(value);
    const problem = checkUrl(value, type);
    if (problem) {
      problems.push(`${origin}: ${path}: ${problem}`);
      return undefined;
    }
    registerUrlParts(value, type);
    return value;
  };

  const result: ResolvedNotifySettings = { problems };
  if (raw.alerts) {
    const channels: ChannelSettings[] = [];
    for (const [i, c] of raw.alerts.channels.entries()) {
      const url = await readUrl(c.url, `alerts.channels[${i}].url`, c.type);
      const secret = 'secret' in c && c.secret ? await read(c.secret, `alerts.channels[${i}].secret`) : undefined;
      registerSecret(secret);
      if (url !== undefined) channels.push({ type: c.type, url, ...(secret !== undefined ? { secret } : {}) });
    }
    result.alerts = { expiryWarningDays: raw.alerts.expiryWarningDays, channels };
  }
  if (raw.heartbeat) {
    const url = await readUrl(raw.heartbeat.url, 'heartbeat.url');
    const failUrl = raw.heartbeat.failUrl ? await readUrl(raw.heartbeat.failUrl, 'heartbeat.failUrl') : undefined;
    if (url !== undefined) result.heartbeat = { url, ...(failUrl !== undefined ? { failUrl } : {}) };
  }
  return result;
}

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/** What is wrong with a channel or heartbeat URL, in words that never repeat the URL (it is a credential). */
export function checkUrl(value: string, type?: ChannelType): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'not a URL';
  }
  // The URL is the credential: over plain HTTP anyone on the path could post as the robot.
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname))) {
    return 'must be an https:// URL (http:// only for a loopback address)';
  }
  if (url.username || url.password) return 'must not carry a user name or password';
  if (type === 'dingtalk' && !url.searchParams.get('access_token')) {
    return 'not a DingTalk robot URL: expected …/robot/send?access_token=…';
  }
  if (type === 'wecom' && !url.searchParams.get('key')) {
    return 'not a WeCom robot URL: expected …/cgi-bin/webhook/send?key=…';
  }
  if (type === 'feishu' && !/\/hook\/[^/]+$/.test(url.pathname)) {
    return 'not a Feishu/Lark robot URL: expected …/open-apis/bot/v2/hook/<token>';
  }
  return undefined;
}

/**
 * The token alone can show up where the whole URL does not (a platform error echoing it, a URL printed in parts).
 * Only the parts that are tokens by each platform's convention are registered: registering an ordinary path segment
 * such as `notifications` would scrub that word from every log line.
 */
function registerUrlParts(value: string, type: ChannelType | undefined): void {
  const url = new URL(value);
  const lastSegment = url.pathname.split('/').filter(Boolean).pop();
  if (type === 'dingtalk') registerSecret(url.searchParams.get('access_token'));
  else if (type === 'wecom') registerSecret(url.searchParams.get('key'));
  else if (type === 'feishu') registerSecret(lastSegment);
  else if (type === 'webhook') for (const v of url.searchParams.values()) registerSecret(v);
  // A heartbeat URL (no type): healthchecks.io, Better Stack and Uptime Kuma all put the token last in the path.
  else registerSecret(lastSegment);
}
