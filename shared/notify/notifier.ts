import { redact } from '../log/redact.js';
import type { AlertMessage } from './alert.js';

/** One place an alert goes (a chat robot, a webhook). Rejects with a `NotificationError` when it was not delivered. */
export interface Notifier {
  send(message: AlertMessage): Promise<void>;
}

/**
 * A notification that was not delivered. The message is built from status codes, platform error codes and error
 * names only, never from the URL: every channel URL carries a token.
 */
export class NotificationError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'NotificationError';
  }
}

/** A failure as one secret-free line for the log: the channels' own messages as they are, anything else redacted. */
export function describeFailure(err: unknown): string {
  if (err instanceof NotificationError) return err.message;
  if (err instanceof Error) return `${err.name}: ${redact(err.message)}`;
  return redact(String(err));
}
