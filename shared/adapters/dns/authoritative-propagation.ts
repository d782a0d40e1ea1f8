/**
 * Waits until the name servers the CA will ask serve a DNS-01 TXT value. Asking a recursive resolver proves little
 * (it may cache the old answer or hit an up-to-date anycast node the CA does not); asking every authoritative server
 * is what the CA's validation depends on.
 */
import { promises as dnsPromises } from 'node:dns';
import { DnsChallengeError } from '../../errors.js';
import type { Logger } from '../../log/logger.js';
import type { PropagationChecker, TxtRecordRef } from '../../ports/dns.js';

/** The DNS lookups the checker makes; replaceable in tests. */
export interface PropagationDns {
  /** Name server host names of a zone. */
  resolveNs(zone: string): Promise<string[]>;
  /** IP addresses of a name server host. */
  resolveAddresses(host: string): Promise<string[]>;
  /** TXT values (chunks joined) at `fqdn`, asked of one server (`ip:port`) only. */
  resolveTxt(server: string, fqdn: string, signal: AbortSignal): Promise<string[]>;
}

export interface AuthoritativePropagationOptions {
  /** Pinned servers (`ip:port`, see parseDnsServers): ask exactly these instead of the zone's NS. */
  servers?: string[] | undefined;
  /** Overall limit per record. Default 5 minutes. */
  timeoutMs?: number;
  /**
   * First poll interval, growing ×1.5 up to `maxIntervalMs`. Defaults 250 ms and 1 s: the CA is asked within about a
   * second of the record becoming visible (with 500 ms doubling to 5 s it was 2.5–5 s late), while each name server
   * gets at most four queries a second per record, one a second after the first two seconds.
   */
  initialIntervalMs?: number;
  maxIntervalMs?: number;
  /** Per query. Default 3 s. */
  queryTimeoutMs?: number;
  logger?: Pick<Logger, 'debug'>;
  dns?: PropagationDns;
  now?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

const NOT_YET = new Set(['ENOTFOUND', 'ENODATA']);
const DEFAULT_INITIAL_INTERVAL_MS = 250;
const DEFAULT_MAX_INTERVAL_MS = 1_000;
const INTERVAL_GROWTH = 1.5;

export class AuthoritativePropagationChecker implements PropagationChecker {
  private readonly pinned: string[] | undefined;
  private readonly timeoutMs: number;
  private readonly initialIntervalMs: number;
  private readonly maxIntervalMs: number;
  private readonly dns: PropagationDns;
  private readonly now: () => number;
  private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  private readonly logger: Pick<Logger, 'debug'> | undefined;

  constructor(options: AuthoritativePropagationOptions = {}) {
    this.pinned = options.servers && options.servers.length > 0 ? [...options.servers] : undefined;
    this.timeoutMs = options.timeoutMs ?? 300_000;
    this.initialIntervalMs = options.initialIntervalMs ?? DEFAULT_INITIAL_INTERVAL_MS;
    this.maxIntervalMs = options.maxIntervalMs ?? DEFAULT_MAX_INTERVAL_MS;
    this.dns = options.dns ?? nodeDns(options.queryTimeoutMs ?? 3_000);
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? abortableSleep;
    this.logger = options.logger;
  }

  async waitForTxt(record: TxtRecordRef, options: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<void> {
    const { signal } = options;
    const timeoutMs = options.timeoutMs ?? this.timeoutMs;
    const deadline = this.now() + timeoutMs;
    const what = `TXT ${record.fqdn} (${JSON.stringify(record.value)})`;
    let interval = this.initialIntervalMs;
    let servers: string[] | undefined = this.pinned;
    let discoveryProblem = '';
    const pending = new Set<string>();
    const lastSeen = new Map<string, string>();

    for (let round = 1; ; round++) {
      throwIfAborted(signal);
      if (servers === undefined) {
        try {
          servers = await this.authoritativeServers(record.zone);
          for (const s of servers) pending.add(s);
          this.logger?.debug({ zone: record.zone, servers }, 'authoritative name servers');
        } catch (err) {
          discoveryProblem = describeDnsError(err);
        }
      } else if (round === 1) {
        for (const s of servers) pending.add(s);
      }

      if (servers !== undefined) {
        const results = await Promise.all(
          [...pending].map(async (server) => {
            try {
              const values = await this.dns.resolveTxt(server, record.fqdn, signal ?? neverAborted);
              return { server, ok: values.includes(record.value), seen: values.length ? 'other values' : 'no value' };
            } catch (err) {
              const code = (err as { code?: string }).code ?? '';
              return { server, ok: false, seen: NOT_YET.has(code) ? 'no record' : describeDnsError(err) };
            }
          }),
        );
        throwIfAborted(signal);
        for (const r of results) {
          if (r.ok) pending.delete(r.server);
          else lastSeen.set(r.server, r.seen);
        }
        if (pending.size === 0) {
          this.logger?.debug({ fqdn: record.fqdn, servers, rounds: round }, 'TXT record served by every server');
          return;
        }
      }

      const remaining = deadline - this.now();
      if (remaining <= 0) {
        const detail =
          servers === undefined
            ? `the authoritative name servers of ${record.zone} could not be found (${discoveryProblem})`
            : `not served by ${[...pending].map((s) => `${s} (${lastSeen.get(s) ?? 'no answer'})`).join(', ')}`;
        throw new DnsChallengeError(`${what} did not propagate within ${Math.round(timeoutMs / 1000)} s: ${detail}`, {
          retryable: true,
          code: 'PROPAGATION_TIMEOUT',
        });
      }
      await this.sleep(Math.min(interval, remaining), signal);
      interval = Math.min(Math.round(interval * INTERVAL_GROWTH), this.maxIntervalMs);
    }
  }

  private async authoritativeServers(zone: string): Promise<string[]> {
    const hosts = await this.dns.resolveNs(zone);
    const addresses = (await Promise.all(hosts.map((h) => this.dns.resolveAddresses(h).catch(() => [])))).flat();
    const unique = [...new Set(addresses)].map((ip) => (ip.includes(':') ? `[${ip}]:53` : `${ip}:53`));
    if (unique.length === 0) {
      throw Object.assign(new Error(`no addresses for name servers ${hosts.join(', ') || '(none)'}`), {
        code: 'ENOADDR',
      });
    }
    return unique;
  }
}

function describeDnsError(err: unknown): string {
  const code = (err as { code?: string }).code;
  return code ?? (err instanceof Error ? err.message : String(err));
}

const neverAborted = new AbortController().signal;

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) {
    throw signal.reason instanceof Error ? signal.reason : new DOMException('propagation wait aborted', 'AbortError');
  }
}

function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Node's resolver: system resolver for NS discovery, one uncached c-ares resolver per queried server. */
export function nodeDns(queryTimeoutMs: number): PropagationDns {
  return {
    resolveNs: (zone) => dnsPromises.resolveNs(zone),
    async resolveAddresses(host) {
      // IPv4 first: many function runtimes have no IPv6 route, and an unreachable server would never confirm.
      const v4 = await dnsPromises.resolve4(host).catch(() => [] as string[]);
      return v4.length > 0 ? v4 : dnsPromises.resolve6(host);
    },
    async resolveTxt(server, fqdn, signal) {
      const resolver = new dnsPromises.Resolver({ timeout: queryTimeoutMs, tries: 2 });
      resolver.setServers([server]);
      const onAbort = () => resolver.cancel();
      signal.addEventListener('abort', onAbort, { once: true });
      try {
        return (await resolver.resolveTxt(fqdn)).map((chunks) => chunks.join(''));
      } finally {
        signal.removeEventListener('abort', onAbort);
      }
    },
  };
}
