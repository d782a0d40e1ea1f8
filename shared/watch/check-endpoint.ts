import type { WatchStatus } from '../status/types.js';
import { classifyEndpoint } from './classify-endpoint.js';
import { observeEndpoint, type TlsConnect } from './observe-endpoint.js';
import type { WatchTarget } from './settings.js';

export const DEFAULT_WATCH_TIMEOUT_MS = 5000;

export interface CheckEndpointOptions {
  now: Date;
  /** Connect and handshake together. */
  timeoutMs?: number;
  connect?: TlsConnect;
}

/** Connects to one watched endpoint and judges what it serves. Network failures become `unreachable`, never throw. */
export async function checkEndpoint(target: WatchTarget, options: CheckEndpointOptions): Promise<WatchStatus> {
  const observation = await observeEndpoint(target, {
    timeoutMs: options.timeoutMs ?? DEFAULT_WATCH_TIMEOUT_MS,
    ...(options.connect ? { connect: options.connect } : {}),
  });
  return classifyEndpoint(target, observation, options.now);
}
