import { connect, type ConnectionOptions } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkWatchList } from '../../../shared/watch/check-watch-list.js';
import type { WatchTarget } from '../../../shared/watch/settings.js';
import { createTestPki, type TestPki } from '../../support/certs.js';
import { closedPort, startTlsServer } from './loopback-servers.js';

let pki: TestPki;
let server: Awaited<ReturnType<typeof startTlsServer>>;
let refused: number;

beforeAll(async () => {
  pki = await createTestPki();
  const leaf = await pki.leaf(['a.test', 'b.test', 'c.test', 'd.test', 'e.test', 'f.test'], { days: 30 });
  // Each handshake waits, so checks that run at the same time overlap on the server and can be counted there.
  server = await startTlsServer({
    fallback: { certPem: leaf.certPem + pki.intermediate.certPem, keyPem: leaf.keyPem },
    handshakeDelayMs: 150,
  });
  refused = await closedPort();
}, 120_000);

afterAll(async () => {
  await server?.close();
  await pki?.dispose();
});

const trustTestRoot = (options: ConnectionOptions) => connect({ ...options, ca: [pki.root.certPem] });

function target(name: string, port: number): WatchTarget {
  return { endpoint: `127.0.0.1:${port}`, host: '127.0.0.1', port, servername: name, expiryWarningDays: 14 };
}

describe('checkWatchList', () => {
  it('checks concurrently, never more than the bound at once, results in list order', async () => {
    const names = ['a.test', 'b.test', 'c.test', 'd.test', 'e.test', 'f.test'];
    const list = names.map((n) => target(n, server.port));
    list.splice(2, 0, target('x.test', refused));
    const results = await checkWatchList(list, {
      now: new Date(),
      timeoutMs: 5000,
      concurrency: 2,
      connect: trustTestRoot,
    });
    expect(results.map((r) => r.servername)).toEqual(list.map((t) => t.servername));
    expect(results.map((r) => r.state)).toEqual(['ok', 'ok', 'unreachable', 'ok', 'ok', 'ok', 'ok']);
    expect(server.maxActive()).toBe(2);
  });

  it('returns nothing for an empty list and refuses a bound below 1', async () => {
    expect(await checkWatchList([], { now: new Date() })).toEqual([]);
    await expect(checkWatchList([], { now: new Date(), concurrency: 0 })).rejects.toThrow(/at least 1/);
  });
});
