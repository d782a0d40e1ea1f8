import { writeSync } from 'node:fs';
import type { OutcomeRecord, SummaryRecord } from '../rotation/outcome.js';

/** Where outcome and summary records go. */
export interface OutcomeSink {
  write(record: OutcomeRecord | SummaryRecord): void;
}

/**
 * One JSON object per line, written synchronously and straight to the descriptor: Function Compute prefixes
 * `console.log` output, which would break the JSON that Log Service indexes.
 */
export function jsonLineSink(fd: number, clock: () => Date = () => new Date()): OutcomeSink {
  return {
    write(record) {
      writeSync(fd, `${JSON.stringify({ time: clock().toISOString(), ...record })}\n`);
    },
  };
}

/** Collects records in memory (tests, the HTTP response). */
export function memorySink(): OutcomeSink & { records: (OutcomeRecord | SummaryRecord)[] } {
  const records: (OutcomeRecord | SummaryRecord)[] = [];
  return { records, write: (r) => void records.push(r) };
}

export function teeSink(...sinks: OutcomeSink[]): OutcomeSink {
  return {
    write(r) {
      for (const s of sinks) s.write(r);
    },
  };
}
