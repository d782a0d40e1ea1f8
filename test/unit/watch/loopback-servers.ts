import { createServer as createNetServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { createSecureContext, createServer as createTlsServer, type SecureContext } from 'node:tls';

/**
 * Real servers on 127.0.0.1 for the watch checker: TLS servers that pick their certificate by SNI (so a test can see
 * which name was asked for), a listener that accepts and never answers, and one that speaks something other than TLS.
 */
export interface Served {
  /** leaf + intermediates, PEM */
  certPem: string;
  keyPem: string;
}

export interface LoopbackServer {
  port: number;
  /** SNI names the server was asked for, in order ('' for none). */
  requestedNames: string[];
  close(): Promise<void>;
}

function listen(server: Server, sockets: Set<Socket>): Promise<number> {
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}

function closer(server: Server, sockets: Set<Socket>): () => Promise<void> {
  return () =>
    new Promise((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    });
}

/**
 * `active`/`maxActive` count handshakes in progress (with SNI). `bySni` maps an SNI name to what is served for it; `fallback` is served for any other name and without SNI.
 * `handshakeDelayMs` holds each handshake, so concurrent checks overlap measurably.
 */
export async function startTlsServer(options: {
  fallback: Served;
  bySni?: Record<string, Served>;
  handshakeDelayMs?: number;
}): Promise<LoopbackServer & { active: () => number; maxActive: () => number }> {
  const contexts = new Map<string, SecureContext>();
  for (const [name, served] of Object.entries(options.bySni ?? {})) {
    contexts.set(name, createSecureContext({ cert: served.certPem, key: served.keyPem }));
  }
  const requestedNames: string[] = [];
  let active = 0;
  let maxActive = 0;
  const server = createTlsServer({
    cert: options.fallback.certPem,
    key: options.fallback.keyPem,
    // Counted here rather than per TCP connection: a client's close reaches the server a little after the client
    // has moved on, while a handshake in progress is exactly a check in progress.
    SNICallback: (name, cb) => {
      requestedNames.push(name);
      active++;
      maxActive = Math.max(maxActive, active);
      setTimeout(() => {
        active--;
        cb(null, contexts.get(name));
      }, options.handshakeDelayMs ?? 0);
    },
  });
  server.on('tlsClientError', () => {});
  server.on('secureConnection', (s) => {
    if (s.servername === false || s.servername === undefined) requestedNames.push('');
    s.on('error', () => {});
  });
  const sockets = new Set<Socket>();
  const port = await listen(server, sockets);
  return { port, requestedNames, close: closer(server, sockets), active: () => active, maxActive: () => maxActive };
}

/** Accepts TCP and then says nothing: a handshake that never completes. */
export async function startSilentServer(): Promise<LoopbackServer> {
  const server = createNetServer(() => {});
  const sockets = new Set<Socket>();
  const port = await listen(server, sockets);
  return { port, requestedNames: [], close: closer(server, sockets) };
}

/** Answers any bytes with plain HTTP and hangs up: a port that is open but not TLS. */
export async function startPlainTextServer(): Promise<LoopbackServer> {
  const server = createNetServer((s) => {
    s.on('error', () => {});
    s.once('data', () => s.end('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n'));
  });
  const sockets = new Set<Socket>();
  const port = await listen(server, sockets);
  return { port, requestedNames: [], close: closer(server, sockets) };
}

/** A port that was just free: connecting to it is refused. */
export async function closedPort(): Promise<number> {
  const server = createNetServer();
  const sockets = new Set<Socket>();
  const port = await listen(server, sockets);
  await closer(server, sockets)();
  return port;
}
