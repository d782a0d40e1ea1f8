import type { Logger } from '../../shared/log/logger.js';

export interface LogEntry {
  level: 'debug' | 'info' | 'warn' | 'error';
  obj: object;
  msg: string | undefined;
  bindings: Record<string, unknown>;
}

/** A Logger that keeps every entry (with child bindings) for assertions. */
export function recordingLogger(): Logger & { entries: LogEntry[]; text(): string } {
  const entries: LogEntry[] = [];
  const make = (bindings: Record<string, unknown>): Logger => ({
    debug: (obj, msg) => entries.push({ level: 'debug', obj, msg, bindings }),
    info: (obj, msg) => entries.push({ level: 'info', obj, msg, bindings }),
    warn: (obj, msg) => entries.push({ level: 'warn', obj, msg, bindings }),
    error: (obj, msg) => entries.push({ level: 'error', obj, msg, bindings }),
    child: (more) => make({ ...bindings, ...more }),
  });
  return Object.assign(make({}), { entries, text: () => JSON.stringify(entries) });
}
