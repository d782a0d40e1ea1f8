import { createServer as createTcpServer, type Server as TcpServer, type Socket } from 'node:net';
import { createSecureContext, createServer, type SecureContext, type Server } from 'node:tls';

/** A certificate as the data plane needs it. Certificates never change after upload, so `id` keys a cache. */
export interface TlsMaterial {
  id: string;
  chainPem: string;
  privateKeyPem: string;
}

/** What one HTTPS listener serves: the default certificate and its SNI domain extensions. */
export interface TlsBinding {
  defaultCertificate: TlsMaterial;
  extensions: ReadonlyArray<{ domain: string; certificate: TlsMaterial }>;
}

export interface TlsEndpoint {
  host: string;
  port: number;
}

/**
 * How a listener that cannot be reached behaves. `refuse`: nothing listens, so connects fail at once (ECONNREFUSED),
 * like a stopped listener. `drop`: TCP connects but no TLS answer ever comes, so clients time out, like traffic
 * swallowed by a security policy (loopback cannot drop a SYN, so the timeout moves from connect to handshake).
 */
export type UnreachableMode = 'refuse' | 'drop';

interface Listener {
  server: Server;
  sockets: Set<Socket>;
  endpoint: TlsEndpoint;
  /** The listener's own address and port, tried first again when the server is reopened. */
  address: string;
  listenerPort: number;
  unreachable: { mode: UnreachableMode; blackhole: TcpServer | undefined; held: Set<Socket> } | undefined;
  /** Reachability changes close and reopen sockets: one at a time per listener. */
  transition: Promise<void>;
  /** What handshakes use now. */
  served: TlsBinding;
  /** What the API says; differs from `served` only while frozen by a fault. */
  desired: TlsBinding;
  frozen: boolean;
}

/** `*.example.com` matches exactly one extra label, like browsers and CLB's SNI matching. */
function domainMatches(pattern: string, servername: string): boolean {
  const p = pattern.toLowerCase();
  const s = servername.toLowerCase();
  if (p === s) return true;
  if (!p.startsWith('*.')) return false;
  const suffix = p.slice(1);
  return s.endsWith(suffix) && !s.slice(0, -suffix.length).includes('.') && s.length > suffix.length;
}

/**
 * One real TLS server per HTTPS listener, on its load balancer's loopback address. The certificate is switched for new
 * handshakes the moment the binding changes: the default through `setSecureContext`, SNI names through `SNICallback`.
 */
export class TlsListeners {
  private readonly listeners = new Map<string, Listener>();
  private readonly contexts = new Map<string, SecureContext>();

  async open(key: string, address: string, listenerPort: number, binding: TlsBinding): Promise<TlsEndpoint> {
    if (this.listeners.has(key)) throw new Error(`TLS listener ${key} already open`);
    const entry: Partial<Listener> & { sockets: Set<Socket> } = {
      served: binding,
      desired: binding,
      frozen: false,
      sockets: new Set(),
    };
    const server = createServer(
      {
        ...this.options(binding.defaultCertificate),
        SNICallback: (servername, cb) => {
          const served = entry.served ?? binding;
          const exact = served.extensions.find((e) => e.domain.toLowerCase() === servername.toLowerCase());
          const match = exact ?? served.extensions.find((e) => domainMatches(e.domain, servername));
          cb(null, this.context(match?.certificate ?? served.defaultCertificate));
        },
      },
      (socket) => {
        // A bare TLS endpoint: enough for a client to inspect the certificate; answer HTTP minimally.
        socket.on('error', () => {});
        socket.once('data', () => {
          socket.end('HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok');
        });
      },
    );
    server.on('connection', (s: Socket) => {
      entry.sockets.add(s);
      s.on('close', () => entry.sockets.delete(s));
    });
    server.on('tlsClientError', () => {});
    const endpoint = await bind(server, address, listenerPort);
    entry.server = server;
    entry.endpoint = endpoint;
    entry.address = address;
    entry.listenerPort = listenerPort;
    entry.unreachable = undefined;
    entry.transition = Promise.resolve();
    this.listeners.set(key, entry as Listener);
    return endpoint;
  }

  endpoint(key: string): TlsEndpoint | undefined {
    const l = this.listeners.get(key);
    return l ? { ...l.endpoint } : undefined;
  }

  /** The binding's certificate ids the data plane serves now (differs from the API's while frozen). */
  served(key: string): TlsBinding | undefined {
    return this.listeners.get(key)?.served;
  }

  update(key: string, binding: TlsBinding): void {
    const l = this.listeners.get(key);
    if (!l) return;
    l.desired = binding;
    if (!l.frozen) this.apply(l, binding);
  }

  setFrozen(key: string, frozen: boolean): void {
    const l = this.listeners.get(key);
    if (!l) return;
    l.frozen = frozen;
    if (!frozen) this.apply(l, l.desired);
  }

  async closeAll(): Promise<void> {
    const all = [...this.listeners.values()];
    this.listeners.clear();
    await Promise.all(
      all.map(async (l) => {
        // A transition in flight could reopen the server after it was closed.
        await l.transition;
        const blackhole = l.unreachable?.blackhole;
        await Promise.all([
          closeServer(l.server, l.sockets),
          blackhole ? closeServer(blackhole, l.unreachable?.held) : undefined,
        ]);
      }),
    );
  }

  /**
   * Take the listener off the wire (`mode`) or put it back (`undefined`). The API side is untouched: in the cloud
   * an unreachable load balancer still reports its address and listeners. Putting it back reopens the same port when
   * it is still free, else a mapped one (see `endpoint`).
   */
  setUnreachable(key: string, mode: UnreachableMode | undefined): Promise<void> {
    const l = this.listeners.get(key);
    if (!l) return Promise.resolve();
    const next = l.transition.then(() => this.transition(l, mode));
    // A failed transition must not wedge later ones; the caller still sees the failure.
    l.transition = next.catch(() => {});
    return next;
  }

  private async transition(l: Listener, mode: UnreachableMode | undefined): Promise<void> {
    if (l.unreachable?.mode === mode) return;
    if (l.unreachable !== undefined) {
      // From one outage mode to another the TLS server stays closed; only the placeholder goes.
      const { blackhole, held } = l.unreachable;
      l.unreachable = undefined;
      if (blackhole) await closeServer(blackhole, held);
      if (mode === undefined) {
        l.endpoint = await reopen(l.server, l.endpoint, l.address, l.listenerPort);
        return;
      }
    } else {
      if (mode === undefined) return;
      await closeServer(l.server, l.sockets);
    }
    const held = new Set<Socket>();
    l.unreachable = { mode, blackhole: undefined, held };
    if (mode === 'drop') {
      const blackhole = createTcpServer((socket) => {
        // Accept and say nothing: the client's handshake waits until its own timeout.
        held.add(socket);
        socket.on('error', () => {});
        socket.on('close', () => held.delete(socket));
      });
      // Same address and port, so a probe of the endpoint meets the silent server and not a stranger.
      await listen(blackhole, l.endpoint.host, l.endpoint.port);
      l.unreachable.blackhole = blackhole;
    }
  }

  private apply(l: Listener, binding: TlsBinding): void {
    if (l.served.defaultCertificate.id !== binding.defaultCertificate.id) {
      l.server.setSecureContext(this.options(binding.defaultCertificate));
    }
    l.served = binding;
  }

  private options(m: TlsMaterial): { cert: string; key: string } {
    return { cert: m.chainPem, key: m.privateKeyPem };
  }

  private context(m: TlsMaterial): SecureContext {
    let ctx = this.contexts.get(m.id);
    if (!ctx) {
      ctx = createSecureContext(this.options(m));
      this.contexts.set(m.id, ctx);
    }
    return ctx;
  }
}

/**
 * Bind the listener's own port on its load balancer's address, so `<Address>:<ListenerPort>` from the API is where a
 * client finds it, as in the cloud. Only when that port cannot be had (EACCES: ≤1023 without privileges; EADDRINUSE:
 * an unrelated process) does it move to a free port; callers learn where from the returned endpoint.
 */
async function bind(server: TcpServer, address: string, listenerPort: number): Promise<TlsEndpoint> {
  try {
    await listen(server, address, listenerPort);
    return { host: address, port: listenerPort };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EACCES' || code === 'EADDRINUSE') {
      await listen(server, address, 0);
      return { host: address, port: boundPort(server) };
    }
    // Outside Linux, 127.0.0.N (N>1) may not exist on the loopback interface: use 127.0.0.1, where the listener
    // port is as likely to collide as not, so take a free one.
    if (code === 'EADDRNOTAVAIL' && address !== '127.0.0.1') {
      await listen(server, '127.0.0.1', 0);
      return { host: '127.0.0.1', port: boundPort(server) };
    }
    throw err;
  }
}

/** Back where it was when possible, so an endpoint a test holds stays valid across an outage. */
async function reopen(server: TcpServer, previous: TlsEndpoint, address: string, listenerPort: number) {
  try {
    await listen(server, previous.host, previous.port);
    return { ...previous };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EADDRINUSE' && code !== 'EACCES') throw err;
    return bind(server, address, listenerPort);
  }
}

function boundPort(server: TcpServer): number {
  const addr = server.address();
  if (addr === null || typeof addr !== 'object') throw new Error('server is not listening on a TCP port');
  return addr.port;
}

function closeServer(server: TcpServer, sockets: Iterable<Socket> = []): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) {
      for (const s of sockets) s.destroy();
      resolve();
      return;
    }
    // close() stops accepting at once; it calls back only after open connections end, hence the destroys.
    server.close(() => resolve());
    for (const s of sockets) s.destroy();
  });
}

function listen(server: TcpServer, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
}
