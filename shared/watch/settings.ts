import { isIP } from 'node:net';
import { z } from 'zod';

/**
 * The `watch` setting: TLS endpoints the rotator does not manage but checks on every run (expiry, names, chain), so
 * a certificate someone else renews by hand cannot lapse unnoticed.
 *
 * ```yaml
 * watch:
 *   - endpoint: partner.example.net:443
 *   - endpoint: 10.0.0.7:8443
 *     servername: intranet.example.org   # SNI and the name the certificate must cover; default: the host
 *     expiryWarningDays: 21              # "expiring" from this many days before notAfter; default 14
 * ```
 */

/** Someone else renews these, typically 30 days ahead: two weeks left means their renewal has failed. */
export const DEFAULT_EXPIRY_WARNING_DAYS = 14;
/** More than this many endpoints would make a daily run a port scan; split them over several rotators. */
export const MAX_WATCH_ENDPOINTS = 200;

const LABEL = '(?!-)[a-z0-9-]{1,63}(?<!-)';
// The last label must not be all digits: `999.1.1.1` is a mistyped address, not a host name.
const HOST_NAME_RE = new RegExp(`^(${LABEL}\\.)*(?![0-9]+$)${LABEL}$`);

export interface ParsedEndpoint {
  host: string;
  port: number;
}

/**
 * `host:port`, `1.2.3.4:port` or `[::1]:port`. Returns a problem in words rather than throwing, so the schema can
 * report it at the field.
 */
export function parseEndpoint(text: string): ParsedEndpoint | { problem: string } {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text.trim());
  if (!m) return { problem: 'must be host:port (an IPv6 address in brackets: [2001:db8::1]:443)' };
  const port = Number(m[3]);
  if (port < 1 || port > 65535) return { problem: `port ${m[3]} is not 1-65535` };
  if (m[1] !== undefined) {
    if (isIP(m[1]) !== 6) return { problem: `[${m[1]}] is not an IPv6 address` };
    return { host: m[1].toLowerCase(), port };
  }
  const host = (m[2] ?? '').toLowerCase().replace(/\.$/, '');
  if (isIP(host) === 4) return { host, port };
  if (host.length > 253 || !HOST_NAME_RE.test(host)) return { problem: `"${m[2]}" is not a host name or IP address` };
  return { host, port };
}

const servername = z
  .string()
  .transform((s) => s.trim().toLowerCase().replace(/\.$/, ''))
  .refine((s) => s.length <= 253 && (HOST_NAME_RE.test(s) || isIP(s) !== 0), {
    message: 'not a host name (the SNI name the endpoint is asked for)',
  });

export const watchEntry = z
  .object({
    endpoint: z.string().superRefine((s, ctx) => {
      const parsed = parseEndpoint(s);
      if ('problem' in parsed) ctx.addIssue({ code: 'custom', message: parsed.problem });
    }),
    servername: servername.optional(),
    expiryWarningDays: z.number().positive().max(365).optional(),
  })
  .strict();

export const watchList = z
  .array(watchEntry)
  .max(MAX_WATCH_ENDPOINTS, `at most ${MAX_WATCH_ENDPOINTS} endpoints`)
  .superRefine((list, ctx) => {
    const seen = new Set<string>();
    list.forEach((w, i) => {
      const parsed = parseEndpoint(w.endpoint);
      if ('problem' in parsed) return;
      const key = `${parsed.host}:${parsed.port}/${w.servername ?? parsed.host}`;
      if (seen.has(key))
        ctx.addIssue({ code: 'custom', path: [i, 'endpoint'], message: `${w.endpoint} is listed twice` });
      seen.add(key);
    });
  });

export type RawWatchList = z.infer<typeof watchList>;

/** One watched endpoint with every default applied. */
export interface WatchTarget {
  /** As configured, for reports. */
  endpoint: string;
  host: string;
  port: number;
  servername: string;
  expiryWarningDays: number;
}

export function resolveWatchList(raw: RawWatchList | undefined): WatchTarget[] {
  return (raw ?? []).map((w) => {
    const parsed = parseEndpoint(w.endpoint);
    // The schema has refused every endpoint that does not parse.
    if ('problem' in parsed) throw new TypeError(`watch endpoint ${w.endpoint}: ${parsed.problem}`);
    return {
      endpoint: w.endpoint.trim(),
      host: parsed.host,
      port: parsed.port,
      servername: w.servername ?? parsed.host,
      expiryWarningDays: w.expiryWarningDays ?? DEFAULT_EXPIRY_WARNING_DAYS,
    };
  });
}
