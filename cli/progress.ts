import type { OutcomeSink } from '../shared/log/outcome-sink.js';
import type { OutcomeRecord, SummaryRecord } from '../shared/rotation/outcome.js';
import type { ProgressEvent } from '../shared/rotation/execute.js';

/** Where the display writes: the CLI's stderr, or a fake terminal in a test. */
export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
  /** The terminal's width, when known: a live line longer than that would wrap and break the redraw. */
  columns?: number;
}

export type ProgressMode = 'off' | 'plain' | 'live';

/**
 * Progress is for a person watching a terminal: never with `--json` (a script asked for machine output), never when
 * stderr is a pipe or a file (a log collector would keep every redraw). TERM=dumb cannot move the cursor, and
 * NO_COLOR (no-color.org: set and not empty) asks for output without escape codes: both get one plain line per stage
 * change instead of the live lines.
 */
export function progressMode(stream: ProgressStream, env: NodeJS.ProcessEnv, json: boolean): ProgressMode {
  if (json || stream.isTTY !== true) return 'off';
  if (env.TERM === 'dumb' || (env.NO_COLOR ?? '') !== '') return 'plain';
  return 'live';
}

export interface ProgressDisplayOptions {
  stream: ProgressStream;
  mode: ProgressMode;
  /** Milliseconds since the epoch; injected so a test controls the elapsed times shown. */
  now?: () => number;
  /** How often the live lines' elapsed times are redrawn; 0 leaves redrawing to `refresh()` (tests). */
  refreshMs?: number;
}

export interface ProgressDisplay {
  /** `RunRequest.onProgress`. */
  onProgress(event: ProgressEvent): void;
  /** Wraps the run's outcome sink: each outcome record becomes the certificate's final line. */
  wrapSink(sink: OutcomeSink): OutcomeSink;
  /** The certificates the run will touch, so the columns line up from the first line on. */
  expect(certificates: readonly { name: string; region: string }[]): void;
  /** Redraws the live lines (their elapsed times). */
  refresh(): void;
  /** Removes the live lines and stops redrawing; safe to call twice. */
  stop(): void;
}

/** A certificate in flight: its last progress event, and when that stage began. */
type InFlight = ProgressEvent & { stageSince: number };

const ESC = '\u001b[';

/**
 * A line per certificate in flight (`shop  cn-hangzhou  issue  12s`, the time spent in the current stage), kept at
 * the bottom of the terminal and redrawn in place, with each finished certificate's line (from its outcome record)
 * written above them for good. Several certificates may be in flight at once. Dependency-free: ANSI cursor-up and
 * erase-down only, which every terminal emulator that is not `dumb` understands.
 */
export function createProgressDisplay(options: ProgressDisplayOptions): ProgressDisplay {
  const { stream, mode } = options;
  const now = options.now ?? Date.now;
  const inFlight = new Map<string, InFlight>();
  let drawn = 0;
  let stopped = mode === 'off';
  let timer: ReturnType<typeof setInterval> | undefined;
  let nameWidth = 0;
  let regionWidth = 0;

  const columns = (certificate: string, region: string, ...rest: string[]) =>
    [certificate.padEnd(nameWidth), region.padEnd(regionWidth), ...rest].join('  ').trimEnd();
  const fit = (line: string) => {
    const width = stream.columns;
    return width && width > 1 && line.length > width - 1 ? `${line.slice(0, width - 2)}…` : line;
  };
  const widen = (certificate: string, region: string) => {
    nameWidth = Math.max(nameWidth, certificate.length);
    regionWidth = Math.max(regionWidth, region.length);
  };

  /** Erases the live lines, writes `permanent` lines, draws the live lines again: one write, so nothing tears. */
  const draw = (permanent: string[] = []) => {
    if (mode !== 'live') return;
    const live = [...inFlight.values()].map((f) =>
      fit(columns(f.certificate, f.region, f.stage, elapsed(now() - f.stageSince))),
    );
    const up = drawn > 0 ? `${ESC}${drawn}A` : '';
    stream.write(`${up}\r${ESC}J${[...permanent, ...live].map((l) => `${l}\n`).join('')}`);
    drawn = live.length;
  };

  const ensureTimer = () => {
    if (mode !== 'live' || !options.refreshMs || timer || stopped) return;
    timer = setInterval(() => draw(), options.refreshMs);
    // A display must never keep the process alive after the run.
    timer.unref?.();
  };

  const finish = (record: OutcomeRecord) => {
    const key = keyOf(record.certificate, record.region);
    inFlight.delete(key);
    widen(record.certificate, record.region);
    const outcome =
      record.stage && record.outcome !== 'not-due' ? `${record.outcome} (${record.stage})` : record.outcome;
    const line = columns(record.certificate, record.region, outcome, elapsed(record.durationMs));
    if (mode === 'live') draw([line]);
    else stream.write(`${line}\n`);
  };

  const display: ProgressDisplay = {
    onProgress(event) {
      if (stopped) return;
      widen(event.certificate, event.region);
      const key = keyOf(event.certificate, event.region);
      const previous = inFlight.get(key);
      if (previous?.stage === event.stage) return;
      inFlight.set(key, { ...event, stageSince: now() });
      if (mode === 'plain') stream.write(`${columns(event.certificate, event.region, event.stage)}\n`);
      else {
        draw();
        ensureTimer();
      }
    },
    wrapSink(sink) {
      return {
        write(record: OutcomeRecord | SummaryRecord) {
          sink.write(record);
          if (stopped) return;
          if (record.event === 'rotation.outcome') finish(record);
          else display.stop();
        },
      };
    },
    expect(certificates) {
      for (const c of certificates) widen(c.name, c.region);
    },
    refresh() {
      if (!stopped) draw();
    },
    stop() {
      if (stopped) return;
      if (timer) clearInterval(timer);
      timer = undefined;
      inFlight.clear();
      if (mode === 'live' && drawn > 0) draw();
      stopped = true;
    },
  };
  return display;
}

function keyOf(certificate: string, region: string): string {
  return `${certificate}\u0000${region}`;
}

/** `12s`, `2m05s`, `1h02m`: short enough to leave the line for the names. */
export function elapsed(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}
