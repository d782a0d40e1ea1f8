import { connect, type ConnectionOptions } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkEndpoint } from '../../../shared/watch/check-endpoint.js';
import type { WatchTarget } from '../../../shared/watch/settings.js';
import type { WatchStatus } from '../../../shared/status/types.js';
import { createTestPki, type TestPki } from '../../support/certs.js';
import {
  closedPort,
  type LoopbackServer,
  startPlainTextServer,
  startSilentServer,
  startTlsServer,
} from './loopback-servers.js';

const DAY = 86_400_000;

let pki: TestPki;
let full: LoopbackServer;
let leafOnly: LoopbackServer;
let silent: LoopbackServer;
let plain: LoopbackServer;
let refused: number;

/** The test root is the whole trust store: nothing else (system roots, Pebble's CA) can make a case pass. */
const trustTestRoot = (options: ConnectionOptions) => connect({ ...options, ca: [pki.root.certPem] });

beforeAll(async () => {
  pki = await createTestPki();
  const first = await pki.leaf(['ok.test', 'www.ok.test'], { days: 30 });
  // One RSA key for every leaf: key generation is the slow part, and which key is used does not matter here.
  const leaf = (names: string[], days: number) => pki.leaf(names, { days, keyPem: first.keyPem });
  const chain = (l: { certPem: string; keyPem: string }) => ({
    certPem: l.certPem + pki.intermediate.certPem,
    keyPem: l.keyPem,
  });
  const soon = await leaf(['soon.test'], 5);
  const wild = await leaf(['*.wild.test'], 30);
  const local = await leaf(['localhost'], 30);
  full = await startTlsServer({
    fallback: chain(first),
    bySni: {
      'soon.test': chain(soon),
      'a.wild.test': chain(wild),
      'a.b.wild.test': chain(wild),
      localhost: chain(local),
    },
  });
  leafOnly = await startTlsServer({ fallback: first });
  silent = await startSilentServer();
  plain = await startPlainTextServer();
  refused = await closedPort();
}, 180_000);

afterAll(async () => {
  await Promise.all([full?.close(), leafOnly?.close(), silent?.close(), plain?.close()]);
  await pki?.dispose();
});

interface Case {
  name: string;
  server: () => number;
  host?: string;
  servername?: string;
  expiryWarningDays?: number;
  /** Offset of the check's clock from now. */
  nowOffsetDays?: number;
  trust?: 'test-root' | 'system';
  timeoutMs?: number;
  state: WatchStatus['state'];
  reason: RegExp;
  names?: string[];
}

const cases: Case[] = [
  {
    name: 'a trusted certificate that covers the name and is far from expiry',
    server: () => full.port,
    servername: 'ok.test',
    state: 'ok',
    reason: /^valid for (29|30) days .*covers ok\.test, chain verifies$/,
    names: ['ok.test', 'www.ok.test'],
  },
  {
    name: 'a wildcard that covers one more label',
    server: () => full.port,
    servername: 'a.wild.test',
    state: 'ok',
    reason: /covers a\.wild\.test/,
    names: ['*.wild.test'],
  },
  {
    name: 'inside the warning period',
    server: () => full.port,
    servername: 'soon.test',
    state: 'expiring',
    reason: /^expires in [45]\.\d days \(.*; warning from 14 days\)$/,
  },
  {
    name: 'a longer warning period makes a 30-day certificate expiring',
    server: () => full.port,
    servername: 'ok.test',
    expiryWarningDays: 45,
    state: 'expiring',
    reason: /warning from 45 days/,
  },
  {
    name: 'past notAfter',
    server: () => full.port,
    servername: 'ok.test',
    nowOffsetDays: 31,
    state: 'expired',
    reason: /^expired [01]\.\d days? ago/,
  },
  {
    name: 'before notBefore',
    server: () => full.port,
    servername: 'ok.test',
    nowOffsetDays: -2,
    state: 'invalid',
    reason: /^not valid before /,
  },
  {
    name: 'a certificate for other names',
    server: () => full.port,
    servername: 'other.test',
    state: 'invalid',
    reason: /^the certificate does not cover other\.test \(it names ok\.test, www\.ok\.test\)$/,
  },
  {
    name: 'a wildcard asked for two more labels',
    server: () => full.port,
    servername: 'a.b.wild.test',
    state: 'invalid',
    reason: /does not cover a\.b\.wild\.test/,
  },
  {
    name: 'an IP address without SNI, not in the certificate',
    server: () => full.port,
    state: 'invalid',
    reason: /does not cover 127\.0\.0\.1/,
  },
  {
    name: 'a chain from a CA the trust store does not hold',
    server: () => full.port,
    servername: 'ok.test',
    trust: 'system',
    state: 'invalid',
    reason: /^the chain does not verify against the trust store \([A-Z_]+\)$/,
  },
  {
    name: 'a server that leaves out the intermediate',
    server: () => leafOnly.port,
    servername: 'ok.test',
    state: 'invalid',
    reason:
      /^the chain does not verify against the trust store \((UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT_LOCALLY)\)$/,
  },
  {
    name: 'several problems: the worst names the state, the reason lists each',
    server: () => full.port,
    servername: 'soon.test',
    trust: 'system',
    state: 'invalid',
    reason: /the chain does not verify.*; expires in/,
  },
  {
    name: 'a refused connection',
    server: () => refused,
    servername: 'ok.test',
    state: 'unreachable',
    reason: /^TLS to 127\.0\.0\.1:\d+ failed: ECONNREFUSED$/,
  },
  {
    name: 'a server that accepts and never answers',
    server: () => silent.port,
    servername: 'ok.test',
    timeoutMs: 400,
    state: 'unreachable',
    reason: /^TLS to 127\.0\.0\.1:\d+ timed out after 400 ms$/,
  },
  {
    name: 'a port that does not speak TLS',
    server: () => plain.port,
    servername: 'ok.test',
    state: 'unreachable',
    reason: /^TLS to 127\.0\.0\.1:\d+ (failed: [A-Z_]+|closed before the handshake completed)$/,
  },
];

describe('checkEndpoint against real TLS servers on loopback', () => {
  it.each(cases)('$name: $state', async (c) => {
    const host = c.host ?? '127.0.0.1';
    const port = c.server();
    const target: WatchTarget = {
      endpoint: `${host}:${port}`,
      host,
      port,
      servername: c.servername ?? host,
      expiryWarningDays: c.expiryWarningDays ?? 14,
    };
    const now = new Date(Date.now() + (c.nowOffsetDays ?? 0) * DAY);
    const result = await checkEndpoint(target, {
      now,
      timeoutMs: c.timeoutMs ?? 5000,
      ...(c.trust === 'system' ? {} : { connect: trustTestRoot }),
    });
    expect(result.state).toBe(c.state);
    expect(result.reason).toMatch(c.reason);
    expect(result.endpoint).toBe(target.endpoint);
    expect(result.servername).toBe(target.servername);
    if (c.state === 'unreachable') {
      expect(result).toMatchObject({ expireTime: null, daysLeft: null, names: [], issuer: null });
    } else {
      expect(result.issuer).toBe('CN=Test Intermediate');
      expect(Date.parse(result.expireTime ?? '')).toBeGreaterThan(0);
      expect(result.daysLeft).toBeCloseTo((Date.parse(result.expireTime!) - now.getTime()) / DAY, 1);
    }
    if (c.names) expect(result.names).toEqual(c.names);
  });

  it('sends the servername as SNI, and the host when none is configured', async () => {
    const before = full.requestedNames.length;
    const local: WatchTarget = {
      endpoint: `localhost:${full.port}`,
      host: 'localhost',
      port: full.port,
      servername: 'localhost',
      expiryWarningDays: 14,
    };
    const result = await checkEndpoint(local, { now: new Date(), timeoutMs: 5000, connect: trustTestRoot });
    expect(result.state).toBe('ok');
    expect(result.names).toEqual(['localhost']);
    const viaIp = { ...local, endpoint: `127.0.0.1:${full.port}`, host: '127.0.0.1', servername: 'soon.test' };
    expect((await checkEndpoint(viaIp, { now: new Date(), timeoutMs: 5000, connect: trustTestRoot })).names).toEqual([
      'soon.test',
    ]);
    expect(full.requestedNames.slice(before)).toEqual(['localhost', 'soon.test']);
  });

  it('refuses a timeout that is not a positive number of milliseconds', async () => {
    const target: WatchTarget = { endpoint: 'x:1', host: 'x', port: 1, servername: 'x', expiryWarningDays: 14 };
    await expect(checkEndpoint(target, { now: new Date(), timeoutMs: 0 })).rejects.toThrow(/positive number of ms/);
  });
});
