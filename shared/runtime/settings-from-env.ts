import { parseDnsServers } from '../adapters/dns/dns-servers.js';
import { ConfigError } from '../errors.js';
import { type Endpoints, resolveEndpoints } from './endpoints.js';

type Env = Readonly<Record<string, string | undefined>>;

/**
 * The levels an operator may choose. pino knows more (`trace`, `fatal`, `silent`), but `trace` adds nothing the
 * adapters log and `silent` would hide the outcome-adjacent warnings that explain a failure.
 */
export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** `value` as a level (trimmed, any case), or undefined when it is none of LOG_LEVELS. */
export function parseLogLevel(value: string): LogLevel | undefined {
  const level = value.trim().toLowerCase();
  return (LOG_LEVELS as readonly string[]).includes(level) ? (level as LogLevel) : undefined;
}

/**
 * ROTATOR_LOG_LEVEL for the function. Read at module load, so it must never throw: an unset `${env()}` in s.yaml
 * arrives as an empty string (the default), and a typo costs a warning, not every invocation of the function.
 */
export function logLevelFromEnvironment(env: Env, fallback: LogLevel = 'info'): { level: LogLevel; warning?: string } {
  const raw = env.ROTATOR_LOG_LEVEL;
  if (raw === undefined || raw.trim() === '') return { level: fallback };
  const level = parseLogLevel(raw);
  if (level) return { level };
  // Echoed (shortened) because a typo is easier to spot than to guess; a log level never holds a secret.
  const shown = JSON.stringify(raw.length > 20 ? `${raw.slice(0, 20)}…` : raw);
  return {
    level: fallback,
    warning: `ROTATOR_LOG_LEVEL ${shown} is not one of ${LOG_LEVELS.join(', ')}: using "${fallback}"`,
  };
}

/** Where the cloud APIs and the propagation check are reached. */
export interface ServiceSettings {
  endpoints: Endpoints;
  /** Name servers pinned for the DNS-01 propagation check; undefined asks each zone's own NS. */
  dnsServers: string[] | undefined;
}

/**
 * ROTATOR_SLB_ENDPOINT, ROTATOR_ALIDNS_ENDPOINT and ROTATOR_DNS_SERVERS. Empty means the default. A bad value has no
 * safe default (the wrong endpoint would send signed requests elsewhere), so it is a ConfigError naming every bad
 * variable at once; it is thrown when a run starts, never at module load.
 */
export function serviceSettingsFromEnvironment(env: Env): ServiceSettings {
  const issues: string[] = [];
  const collect = <T>(read: () => T): T | undefined => {
    try {
      return read();
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      issues.push(...err.issues);
      return undefined;
    }
  };
  const endpoints = collect(() => resolveEndpoints(env));
  const rawDns = env.ROTATOR_DNS_SERVERS?.trim();
  const dnsServers = rawDns ? collect(() => parseDnsServers(rawDns, 'ROTATOR_DNS_SERVERS')) : undefined;
  if (issues.length > 0 || !endpoints) throw new ConfigError(issues);
  return { endpoints, dnsServers };
}
