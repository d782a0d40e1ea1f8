import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import { connect, type TLSSocket } from 'node:tls';
import type { ProbeEndpoint, ProbeResult, WireProbe } from '../../ports/wire-probe.js';

export const DEFAULT_PROBE_TIMEOUT_MS = 5000;

/** The SNI label used for a wildcard: any single label works, and a fixed one is recognisable in access logs. */

export interface TlsWireProbeOptions {
  /** Default for calls that pass no `timeoutMs`: connect and handshake together. */
  timeoutMs?: number;
}

function hostPort(host: string, port: number): string {
  return isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
}

function errorCode(err: unknown): string {
  if (typeof err === 'object' && err !== null) {
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string' && code !== '') return code;
    const message = (err as { message?: unknown }).message;
    // Handshake failures without a code still need a short, log-safe reason: the message's first line, bounded.
    if (typeof message === 'string' && message !== '') return message.split('\n')[0]!.slice(0, 120);
  }
  return 'unknown error';
}

function validateTimeout(timeoutMs: number): void {
  if (!(timeoutMs > 0) || !Number.isFinite(timeoutMs)) {
    throw new RangeError(`probe timeout must be a positive number of ms, got ${String(timeoutMs)}`);
  }
}

function validate(endpoint: ProbeEndpoint, timeoutMs: number): void {
  validateTimeout(timeoutMs);
  if (typeof endpoint.host !== 'string' || endpoint.host === '') throw new TypeError('probe host must be non-empty');
  if (!Number.isInteger(endpoint.port) || endpoint.port < 1 || endpoint.port > 65535) {
    throw new RangeError(`probe port must be 1-65535, got ${String(endpoint.port)}`);
  }
  if (typeof endpoint.servername !== 'string') throw new TypeError('probe servername must be a string');
}

/**
 * WireProbe over node:tls. Every network outcome resolves (`unreachable` with a short reason); only invalid input
 * throws, and an aborted signal rejects with the signal's reason, because the caller asked to stop rather than the
 * network failing.
 */
export class TlsWireProbe implements WireProbe {
  private readonly defaultTimeoutMs: number;

  constructor(options: TlsWireProbeOptions = {}) {
    this.defaultTimeoutMs = options.timeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS;
    validateTimeout(this.defaultTimeoutMs);
  }

  presentedLeaf(
    endpoint: ProbeEndpoint,
    options: { timeoutMs?: number; signal?: AbortSignal } = {},
  ): Promise<ProbeResult> {
    const timeoutMs = options.timeoutMs ?? this.defaultTimeoutMs;
    validate(endpoint, timeoutMs);
    const { signal } = options;
    if (signal?.aborted) return Promise.reject(signal.reason);
    const where = hostPort(endpoint.host, endpoint.port);
    // RFC 6066 forbids IP literals in SNI (Node warns and drops them); an empty name means "no SNI" too.
    const sni = endpoint.servername !== '' && isIP(endpoint.servername) === 0 ? endpoint.servername : undefined;

    return new Promise<ProbeResult>((resolve, reject) => {
      let settled = false;
      let socket: TLSSocket | undefined;
      const finish = (outcome: { result: ProbeResult } | { error: unknown }): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        socket?.destroy();
        if ('result' in outcome) resolve(outcome.result);
        else reject(outcome.error);
      };
      const unreachable = (reason: string): void => finish({ result: { kind: 'unreachable', reason } });
      const onAbort = (): void => finish({ error: signal?.reason });
      // One deadline for TCP connect and handshake together: socket.setTimeout only measures idleness.
      const timer = setTimeout(
        () => unreachable(`TLS to ${where} timed out after ${timeoutMs} ms (ETIMEDOUT)`),
        timeoutMs,
      );
      signal?.addEventListener('abort', onAbort, { once: true });

      try {
        socket = connect({
          host: endpoint.host,
          port: endpoint.port,
          ...(sni === undefined ? {} : { servername: sni }),
          // The question is which certificate is served, not whether it is trusted; a weak or old server must
          // still show its leaf, hence no trust check and the lowest protocol and security level.
          rejectUnauthorized: false,
          minVersion: 'TLSv1',
          ciphers: 'DEFAULT:@SECLEVEL=0',
        });
      } catch (err) {
        // connect() throws synchronously only for invalid options, which validate() should have caught.
        finish({ error: err });
        return;
      }
      // Errors after settling (e.g. a reset while destroying) must not become unhandled 'error' events.
      socket.on('error', (err) => unreachable(`TLS to ${where} failed: ${errorCode(err)}`));
      socket.once('close', () => unreachable(`TLS to ${where} closed before the handshake completed`));
      socket.once('secureConnect', () => {
        const raw = socket?.getPeerCertificate().raw;
        if (!raw || raw.length === 0) {
          unreachable(`TLS to ${where} completed without a server certificate`);
          return;
        }
        finish({
          result: {
            kind: 'presented',
            sha1: createHash('sha1').update(raw).digest('hex'),
            sha256: createHash('sha256').update(raw).digest('hex'),
          },
        });
      });
    });
  }
}
