import { execFile } from 'node:child_process';
import { type AddressInfo, createServer as createTcpServer, type Server as TcpServer, type Socket } from 'node:net';
import { createSecureContext, createServer as createTlsServer, type Server as TlsServer } from 'node:tls';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TlsWireProbe } from '../../../shared/adapters/tls/tls-wire-probe.js';
import { createTestPki, type TestLeaf, type TestPki } from '../../support/certs.js';

const run = promisify(execFile);
const HOST = '127.0.0.1';

/**
 * Fingerprints from the openssl CLI, so the probe's hashing is checked against an independent implementation. The
 * certificate goes in on stdin, so no file is written that would have to be removed again.
 */
async function opensslFingerprints(certPem: string): Promise<{ sha1: string; sha256: string }> {
  const fp = async (alg: string) => {
    const pending = run('openssl', ['x509', '-noout', '-fingerprint', `-${alg}`]);
    pending.child.stdin?.end(certPem);
    const { stdout } = await pending;
    return stdout.trim().split('=')[1]!.replaceAll(':', '').toLowerCase();
  };
  return { sha1: await fp('sha1'), sha256: await fp('sha256') };
}

function listen<S extends TcpServer>(server: S): Promise<number> {
  return new Promise((resolve) => server.listen(0, HOST, () => resolve((server.address() as AddressInfo).port)));
}

function closeServer(server: TcpServer, sockets: Set<Socket> = new Set()): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    for (const s of sockets) s.destroy();
  });
}

function tracked(server: TcpServer): Set<Socket> {
  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('error', () => {});
    s.on('close', () => sockets.delete(s));
  });
  return sockets;
}

describe('TlsWireProbe', () => {
  let pki: TestPki;
  let fallback: TestLeaf;
  let shop: TestLeaf;
  let tlsServer: TlsServer;
  let tlsSockets: Set<Socket>;
  let tlsPort: number;
  /** SNI names the server saw, recorded during the handshake (before the client can finish). */
  const seenServernames: string[] = [];
  let connections = 0;
  const probe = new TlsWireProbe();

  beforeAll(async () => {
    pki = await createTestPki();
    fallback = await pki.leaf(['www.example.com']);
    shop = await pki.leaf(['shop.example.com']);
    const shopContext = createSecureContext({ cert: shop.certPem + pki.intermediate.certPem, key: shop.keyPem });
    tlsServer = createTlsServer({
      cert: fallback.certPem + pki.intermediate.certPem,
      key: fallback.keyPem,
      SNICallback: (name, cb) => {
        seenServernames.push(name);
        cb(null, name === 'shop.example.com' ? shopContext : undefined);
      },
    });
    tlsServer.on('connection', () => connections++);
    tlsServer.on('secureConnection', (s) => {
      s.on('error', () => {});
      s.end();
    });
    tlsServer.on('tlsClientError', () => {});
    tlsSockets = tracked(tlsServer);
    tlsPort = await listen(tlsServer);
  });
  afterAll(async () => {
    await closeServer(tlsServer, tlsSockets);
    await pki.dispose();
  });

  it.each([
    { servername: 'shop.example.com', leaf: () => shop, sent: 'shop.example.com' },
    { servername: 'www.example.com', leaf: () => fallback, sent: 'www.example.com' },
    // An IP literal or an empty name sends no SNI: the listener's default certificate answers.
    { servername: HOST, leaf: () => fallback, sent: undefined },
    { servername: '', leaf: () => fallback, sent: undefined },
  ])('reports the leaf presented for servername "$servername"', async ({ servername, leaf, sent }) => {
    const before = seenServernames.length;
    const connectionsBefore = connections;
    const result = await probe.presentedLeaf({ host: HOST, port: tlsPort, servername });
    expect(result).toEqual({ kind: 'presented', ...(await opensslFingerprints(leaf().certPem)) });
    expect(connections - connectionsBefore).toBe(1);
    expect(seenServernames.slice(before)).toEqual(sent === undefined ? [] : [sent]);
  });

  it('does not check trust: a chain nobody trusts is still reported', async () => {
    const result = await probe.presentedLeaf({ host: HOST, port: tlsPort, servername: 'www.example.com' });
    expect(result.kind).toBe('presented');
    if (result.kind === 'presented') {
      expect(result.sha1).toMatch(/^[0-9a-f]{40}$/);
      expect(result.sha256).toMatch(/^[0-9a-f]{64}$/);
    }
  });

  describe('network conditions resolve as unreachable, naming host:port and the error code', () => {
    const cases: Array<{
      name: string;
      /** A server for the case, or undefined for a port nobody listens on. */
      serve: ((socket: Socket) => void) | undefined;
      code: RegExp;
      timeoutMs?: number;
    }> = [
      { name: 'connection refused', serve: undefined, code: /ECONNREFUSED/ },
      { name: 'connection reset on accept', serve: (s) => s.resetAndDestroy(), code: /ECONNRESET/ },
      {
        name: 'not TLS (handshake failure)',
        serve: (s) => s.end('HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n'),
        code: /ERR_SSL|ECONNRESET|closed before the handshake/,
      },
      {
        name: 'handshake never completes',
        serve: () => {},
        code: /timed out after 300 ms \(ETIMEDOUT\)/,
        timeoutMs: 300,
      },
    ];

    it.each(cases)('$name', async ({ serve, code, timeoutMs }) => {
      const server = createTcpServer(serve ?? (() => {}));
      const sockets = tracked(server);
      const port = await listen(server);
      if (serve === undefined) await closeServer(server);
      try {
        const started = Date.now();
        const result = await probe.presentedLeaf({ host: HOST, port, servername: 'www.example.com' }, { timeoutMs });
        const elapsed = Date.now() - started;
        expect(result.kind).toBe('unreachable');
        if (result.kind !== 'unreachable') return;
        expect(result.reason).toContain(`${HOST}:${port}`);
        expect(result.reason).toMatch(code);
        expect(result.reason.length).toBeLessThan(200);
        if (timeoutMs !== undefined) {
          expect(elapsed).toBeGreaterThanOrEqual(timeoutMs - 20);
          expect(elapsed).toBeLessThan(timeoutMs + 1000);
        }
      } finally {
        if (serve !== undefined) await closeServer(server, sockets);
      }
    });

    it('uses the constructor default timeout when the call passes none', async () => {
      const server = createTcpServer(() => {});
      const sockets = tracked(server);
      const port = await listen(server);
      try {
        const started = Date.now();
        const result = await new TlsWireProbe({ timeoutMs: 200 }).presentedLeaf({
          host: HOST,
          port,
          servername: 'www.example.com',
        });
        expect(result).toEqual({ kind: 'unreachable', reason: expect.stringMatching(/timed out after 200 ms/) });
        expect(Date.now() - started).toBeLessThan(1500);
      } finally {
        await closeServer(server, sockets);
      }
    });
  });

  describe('abort and programming errors', () => {
    it('rejects with the abort reason when the signal fires mid-handshake', async () => {
      const server = createTcpServer(() => {});
      const sockets = tracked(server);
      const port = await listen(server);
      try {
        const controller = new AbortController();
        const pending = probe.presentedLeaf(
          { host: HOST, port, servername: 'www.example.com' },
          { signal: controller.signal, timeoutMs: 10_000 },
        );
        setTimeout(() => controller.abort(), 50);
        const started = Date.now();
        await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
        expect(Date.now() - started).toBeLessThan(2000);
      } finally {
        await closeServer(server, sockets);
      }
    });

    it('rejects at once for a signal that is already aborted', async () => {
      const reason = new Error('stop');
      await expect(
        probe.presentedLeaf(
          { host: HOST, port: tlsPort, servername: 'www.example.com' },
          { signal: AbortSignal.abort(reason) },
        ),
      ).rejects.toBe(reason);
    });

    it.each([
      { endpoint: { host: '', port: 443, servername: 'a.example.com' }, error: TypeError },
      { endpoint: { host: HOST, port: 0, servername: 'a.example.com' }, error: RangeError },
      { endpoint: { host: HOST, port: 65536, servername: 'a.example.com' }, error: RangeError },
      { endpoint: { host: HOST, port: 1.5, servername: 'a.example.com' }, error: RangeError },
    ])('throws for an invalid endpoint $endpoint', ({ endpoint, error }) => {
      expect(() => probe.presentedLeaf(endpoint)).toThrow(error);
    });

    it.each([0, -1, Number.NaN, Number.POSITIVE_INFINITY])('throws for timeout %s', (timeoutMs) => {
      expect(() => probe.presentedLeaf({ host: HOST, port: 443, servername: '' }, { timeoutMs })).toThrow(RangeError);
      expect(() => new TlsWireProbe({ timeoutMs })).toThrow(RangeError);
    });
  });
});
