import { describe, expect, it } from 'vitest';
import {
  AuthoritativePropagationChecker,
  type PropagationDns,
} from '../../../shared/adapters/dns/authoritative-propagation.js';
import { DnsChallengeError } from '../../../shared/errors.js';
import type { TxtRecordRef } from '../../../shared/ports/dns.js';

const record: TxtRecordRef = {
  fqdn: '_acme-challenge.example.com',
  value: 'token-value',
  zone: 'example.com',
  recordId: 'r1',
};

function dnsError(code: string): Error {
  return Object.assign(new Error(`query failed: ${code}`), { code });
}

/** A fake clock whose sleep advances time, and a DNS whose answers depend on that time. */
function harness(options: {
  ns?: Record<string, string[]>;
  answers: (server: string, t: number) => string[] | Error;
  servers?: string[];
  timeoutMs?: number;
}) {
  let t = 0;
  const sleeps: number[] = [];
  const queries: string[] = [];
  const dns: PropagationDns = {
    async resolveNs(zone) {
      if (zone !== 'example.com') throw dnsError('ENOTFOUND');
      return Object.keys(options.ns ?? {});
    },
    async resolveAddresses(host) {
      return options.ns?.[host] ?? [];
    },
    async resolveTxt(server, fqdn) {
      expect(fqdn).toBe(record.fqdn);
      queries.push(server);
      const a = options.answers(server, t);
      if (a instanceof Error) throw a;
      return a;
    },
  };
  const checker = new AuthoritativePropagationChecker({
    servers: options.servers,
    timeoutMs: options.timeoutMs ?? 60_000,
    dns,
    now: () => t,
    sleep: async (ms) => {
      sleeps.push(ms);
      t += ms;
    },
  });
  return { checker, sleeps, queries, time: () => t };
}

describe('AuthoritativePropagationChecker', () => {
  it('returns at once when every pinned server already has the value', async () => {
    const h = harness({ servers: ['10.0.0.1:53', '10.0.0.2:53'], answers: () => ['other', 'token-value'] });
    await h.checker.waitForTxt(record);
    expect(h.sleeps).toEqual([]);
    expect(h.queries.sort()).toEqual(['10.0.0.1:53', '10.0.0.2:53']);
  });

  it('polls with a gently growing interval capped at 1 s until the last server has it', async () => {
    const h = harness({
      servers: ['10.0.0.1:53', '10.0.0.2:53'],
      answers: (server, t) => (server === '10.0.0.2:53' && t < 6_000 ? dnsError('ENODATA') : ['token-value']),
    });
    await h.checker.waitForTxt(record);
    // 250 + 375 + 563 + 845 = 2033 ms, then one query a second: seen at 6033 ms, 33 ms after it became visible.
    expect(h.sleeps).toEqual([250, 375, 563, 845, 1000, 1000, 1000, 1000]);
    // A server that confirmed is not asked again.
    expect(h.queries.filter((q) => q === '10.0.0.1:53')).toHaveLength(1);
  });

  it('discovers the zone’s name servers and requires every address of every one', async () => {
    const h = harness({
      ns: { 'ns1.example.net': ['192.0.2.1', '192.0.2.2'], 'ns2.example.net': ['192.0.2.3'] },
      answers: (server, t) => (server === '192.0.2.2:53' && t < 1_000 ? dnsError('ENOTFOUND') : ['token-value']),
    });
    await h.checker.waitForTxt(record);
    expect(new Set(h.queries)).toEqual(new Set(['192.0.2.1:53', '192.0.2.2:53', '192.0.2.3:53']));
    expect(h.sleeps).toEqual([250, 375, 563]);
  });

  it('notices a record within about a second of it becoming visible, and never asks a server faster than 4/s', async () => {
    for (const visibleAt of [0, 100, 1_234, 2_500, 7_777, 30_001]) {
      const h = harness({
        servers: ['10.0.0.1:53'],
        answers: (_server, t) => (t < visibleAt ? dnsError('ENODATA') : ['token-value']),
      });
      await h.checker.waitForTxt(record);
      expect(h.time() - visibleAt).toBeLessThanOrEqual(1_000);
      expect(Math.min(...h.sleeps)).toBeGreaterThanOrEqual(250);
      expect(Math.max(...h.sleeps, 0)).toBeLessThanOrEqual(1_000);
    }
  });

  it('times out with a retryable DnsChallengeError naming the record and the lagging servers', async () => {
    const h = harness({
      servers: ['10.0.0.1:53', '10.0.0.2:53', '10.0.0.3:53'],
      timeoutMs: 12_000,
      answers: (server) =>
        server === '10.0.0.1:53' ? ['token-value'] : server === '10.0.0.2:53' ? ['stale'] : dnsError('ETIMEOUT'),
    });
    const err = await h.checker.waitForTxt(record).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DnsChallengeError);
    expect(err).toMatchObject({ retryable: true, stage: 'dns', code: 'PROPAGATION_TIMEOUT' });
    expect((err as Error).message).toBe(
      'TXT _acme-challenge.example.com ("token-value") did not propagate within 12 s: ' +
        'not served by 10.0.0.2:53 (other values), 10.0.0.3:53 (ETIMEOUT)',
    );
    // The last sleep is cut to the time left, so the deadline is kept exactly.
    expect(h.time()).toBe(12_000);
  });

  it('honours a per-call timeout', async () => {
    const h = harness({ servers: ['10.0.0.1:53'], answers: () => dnsError('ENODATA') });
    await expect(h.checker.waitForTxt(record, { timeoutMs: 1_000 })).rejects.toThrow(/within 1 s: .*no record/);
    expect(h.time()).toBe(1_000);
  });

  it('reports a zone whose name servers cannot be found', async () => {
    const h = harness({ answers: () => ['token-value'], timeoutMs: 2_000 });
    await expect(h.checker.waitForTxt({ ...record, zone: 'missing.test' })).rejects.toThrow(
      /name servers of missing\.test could not be found \(ENOTFOUND\)/,
    );
  });

  it('stops when the signal aborts, with the signal’s reason', async () => {
    const controller = new AbortController();
    const reason = new Error('run deadline');
    let calls = 0;
    const checker = new AuthoritativePropagationChecker({
      servers: ['10.0.0.1:53'],
      dns: {
        resolveNs: async () => [],
        resolveAddresses: async () => [],
        resolveTxt: async () => {
          if (++calls === 3) controller.abort(reason);
          throw dnsError('ENODATA');
        },
      },
      sleep: async () => {},
    });
    await expect(checker.waitForTxt(record, { signal: controller.signal })).rejects.toBe(reason);
    expect(calls).toBe(3);
  });

  it('aborts a real (timer) sleep promptly', async () => {
    const controller = new AbortController();
    const checker = new AuthoritativePropagationChecker({
      servers: ['10.0.0.1:53'],
      initialIntervalMs: 60_000,
      dns: { resolveNs: async () => [], resolveAddresses: async () => [], resolveTxt: async () => [] },
    });
    const started = Date.now();
    setTimeout(() => controller.abort(new Error('stop')), 50);
    await expect(checker.waitForTxt(record, { signal: controller.signal })).rejects.toThrow('stop');
    expect(Date.now() - started).toBeLessThan(2_000);
  });
});
