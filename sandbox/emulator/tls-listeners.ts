import type { Socket } from 'node:net';
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

interface Listener {
  server: Server;
  sockets: Set<Socket>;
  endpoint: TlsEndpoint;
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
    // Ports ≤1024 need privileges; a port taken by another listener on the same address cannot happen, but one
    // taken by an unrelated process can: fall back to an ephemeral port and let callers use tlsEndpoint().
    const candidates: Array<[string, number]> = [];
    if (listenerPort > 1024) candidates.push([address, listenerPort]);
    candidates.push([address, 0]);
    // Outside Linux, 127.0.0.N (N>1) may not be configured: fall back to 127.0.0.1.
    if (address !== '127.0.0.1') candidates.push(['127.0.0.1', 0]);
    let endpoint: TlsEndpoint | undefined;
    let lastError: unknown;
    for (const [host, port] of candidates) {
      try {
        await listen(server, host, port);
        const addr = server.address();
        if (addr && typeof addr === 'object') endpoint = { host, port: addr.port };
        break;
      } catch (err) {
        lastError = err;
      }
    }
    if (endpoint === undefined) throw lastError instanceof Error ? lastError : new Error(String(lastError));
    entry.server = server;
    entry.endpoint = endpoint;
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
      all.map(
        (l) =>
          new Promise<void>((resolve) => {
            l.server.close(() => resolve());
            for (const s of l.sockets) s.destroy();
          }),
      ),
    );
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

function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
}
