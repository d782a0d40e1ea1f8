/** Where to look: the load balancer's address, the listener port, and the name to send as SNI. */
export interface ProbeEndpoint {
  host: string;
  port: number;
  servername: string;
}

export type ProbeResult =
  /** The leaf the server presented, as lowercase hex without separators. */
  | { kind: 'presented'; sha1: string; sha256: string }
  /** No TLS session could be made (refused, timed out, private address): nothing is known about what is served. */
  | { kind: 'unreachable'; reason: string };

/**
 * Proof on the wire: opens a TLS connection the way a client would and reports which leaf the server presents.
 * Trust is not checked: the question is which certificate is served, not whether a client would accept it.
 */
export interface WireProbe {
  presentedLeaf(endpoint: ProbeEndpoint, options?: { timeoutMs?: number; signal?: AbortSignal }): Promise<ProbeResult>;
}
