import { X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions, type DetailedPeerCertificate, type TLSSocket } from 'node:tls';

/** What one TLS handshake showed about an endpoint, before any judgement. */
export type EndpointObservation =
  | {
      kind: 'presented';
      /** As the server sent it (plus whatever the local verifier appended), leaf first. */
      chain: X509Certificate[];
      /** Whether the chain verified against the trust store and covered the SNI name (Node's `socket.authorized`). */
      authorized: boolean;
      /** Node's/OpenSSL's code when not authorized, e.g. `UNABLE_TO_VERIFY_LEAF_SIGNATURE`. */
      authorizationError: string | undefined;
    }
  /** No TLS session: refused, timed out, reset, or not TLS at all. */
  | { kind: 'unreachable'; reason: string };

export type TlsConnect = (options: ConnectionOptions) => TLSSocket;

export interface ObserveOptions {
  /** Connect and handshake together. */
  timeoutMs: number;
  /** Opens the connection; node:tls `connect` unless given (tests add their own trust store here). */
  connect?: TlsConnect;
}

function hostPort(host: string, port: number): string {
  return isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
}

/** A short, log-safe reason: the error code, or the first line of the message, bounded. */
function errorCode(err: unknown): string {
  // socket.authorizationError is typed as an Error but is OpenSSL's code as a plain string.
  if (typeof err === 'string' && err !== '') return err.slice(0, 120);
  if (typeof err === 'object' && err !== null) {
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string' && code !== '') return code;
    const message = (err as { message?: unknown }).message;
    if (typeof message === 'string' && message !== '') return message.split('\n')[0]!.slice(0, 120);
  }
  return 'unknown error';
}

/** Follows `issuerCertificate` until the chain ends or repeats (a root is its own issuer). */
function chainOf(peer: DetailedPeerCertificate): X509Certificate[] {
  const chain: X509Certificate[] = [];
  const seen = new Set<DetailedPeerCertificate>();
  for (let cert: DetailedPeerCertificate | undefined = peer; cert && !seen.has(cert); cert = cert.issuerCertificate) {
    seen.add(cert);
    if (!cert.raw || cert.raw.length === 0) break;
    chain.push(new X509Certificate(cert.raw));
  }
  return chain;
}

/**
 * One TLS handshake with `servername` as SNI. Trust is recorded, not enforced (`rejectUnauthorized: false`): an
 * untrusted or mismatched certificate is exactly what the watch list wants to see and report. Every network outcome
 * resolves; nothing is sent after the handshake.
 */
export function observeEndpoint(
  target: { host: string; port: number; servername: string },
  options: ObserveOptions,
): Promise<EndpointObservation> {
  const { timeoutMs } = options;
  if (!(timeoutMs > 0) || !Number.isFinite(timeoutMs)) {
    throw new RangeError(`watch timeout must be a positive number of ms, got ${String(timeoutMs)}`);
  }
  const where = hostPort(target.host, target.port);
  // RFC 6066 forbids IP literals in SNI; such an endpoint is asked without SNI and its certificate checked for the IP.
  const sni = isIP(target.servername) === 0 && target.servername !== '' ? target.servername : undefined;
  const open = options.connect ?? tlsConnect;

  return new Promise<EndpointObservation>((resolve) => {
    let settled = false;
    let socket: TLSSocket | undefined;
    const finish = (observation: EndpointObservation): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket?.destroy();
      resolve(observation);
    };
    const unreachable = (reason: string): void => finish({ kind: 'unreachable', reason });
    // One deadline for TCP connect and handshake: socket.setTimeout only measures idleness, and a server that
    // accepts and then says nothing must not hold the run.
    const timer = setTimeout(() => unreachable(`TLS to ${where} timed out after ${timeoutMs} ms`), timeoutMs);
    try {
      socket = open({
        host: target.host,
        port: target.port,
        ...(sni === undefined ? {} : { servername: sni }),
        rejectUnauthorized: false,
        // An old server must still show its certificate: its expiry is the question, not its protocol version.
        minVersion: 'TLSv1',
        ciphers: 'DEFAULT:@SECLEVEL=0',
      });
    } catch (err) {
      unreachable(`TLS to ${where} could not start: ${errorCode(err)}`);
      return;
    }
    socket.on('error', (err) => unreachable(`TLS to ${where} failed: ${errorCode(err)}`));
    socket.once('close', () => unreachable(`TLS to ${where} closed before the handshake completed`));
    socket.once('secureConnect', () => {
      const s = socket as TLSSocket;
      let chain: X509Certificate[];
      try {
        chain = chainOf(s.getPeerCertificate(true));
      } catch (err) {
        unreachable(`TLS to ${where} presented a certificate that cannot be parsed: ${errorCode(err)}`);
        return;
      }
      if (chain.length === 0) {
        unreachable(`TLS to ${where} completed without a server certificate`);
        return;
      }
      const authorizationError = s.authorizationError as unknown;
      finish({
        kind: 'presented',
        chain,
        authorized: s.authorized,
        authorizationError:
          s.authorized || authorizationError === undefined || authorizationError === null
            ? undefined
            : errorCode(authorizationError),
      });
    });
  });
}
