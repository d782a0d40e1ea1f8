import { writeSync } from 'node:fs';
import type { OutcomeRecord, SummaryRecord } from '../rotation/outcome.js';
import { redactDeep } from './redact.js';

/** Where outcome and summary records go. */
export interface OutcomeSink {
  write(record: OutcomeRecord | SummaryRecord): void;
}

/** Anything that takes whole lines (tests read what would have been written). */
export interface LineStream {
  write(line: string): void;
}

/**
 * One JSON object per line, written synchronously and straight to the descriptor: Function Compute prefixes
 * `console.log` output, which would break the JSON that Log Service indexes. `reason`, `warnings` and target `error`
 * carry text from lower layers and providers, so every string is redacted on the way out.
 */
export function jsonLineSink(destination: number | LineStream, clock: () => Date = () => new Date()): OutcomeSink {
  const writeLine =
    typeof destination === 'number'
      ? (line: string) => void writeSync(destination, line)
      : (line: string) => destination.write(line);
  return {
    write(record) {
      writeLine(`${JSON.stringify(redactDeep({ time: clock().toISOString(), ...record }))}\n`);
    },
  };
}

/** Collects records in memory (tests, the CLI's table), redacted like the lines `jsonLineSink` writes. */
export function memorySink(): OutcomeSink & { records: (OutcomeRecord | SummaryRecord)[] } {
  const records: (OutcomeRecord | SummaryRecord)[] = [];
  // Records are plain data, so the redacted copy has the record's shape.
  return { records, write: (r) => void records.push(redactDeep(r) as OutcomeRecord | SummaryRecord) };
}

export function teeSink(...sinks: OutcomeSink[]): OutcomeSink {
  return {
    write(r) {
      for (const s of sinks) s.write(r);
    },
  };
}
