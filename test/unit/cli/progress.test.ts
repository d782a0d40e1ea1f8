import { describe, expect, it } from 'vitest';
import { createProgressDisplay, elapsed, type ProgressMode, progressMode } from '../../../cli/progress.js';
import { memorySink } from '../../../shared/log/outcome-sink.js';
import type { Outcome, OutcomeRecord } from '../../../shared/rotation/outcome.js';
import { record, summaryOf } from '../notify/records.js';

/**
 * A fake terminal: keeps every byte written, and plays the few control sequences the display uses (carriage return,
 * cursor up, erase down, newline) onto a screen, so a test reads what a person would see.
 */
function fakeTerminal(isTTY = true, columns?: number) {
  const writes: string[] = [];
  const rows: string[] = [''];
  let row = 0;
  let col = 0;
  const play = (text: string) => {
    for (let i = 0; i < text.length; i++) {
      const ch = text[i]!;
      if (ch === '\u001b') {
        // The escape itself, then `[`, an optional count and the command letter.
        const m = /^.\[(\d*)([AJ])/.exec(text.slice(i));
        if (!m) throw new Error(`unexpected escape sequence at ${JSON.stringify(text.slice(i, i + 8))}`);
        if (m[2] === 'A') row = Math.max(0, row - Number(m[1] || '1'));
        else {
          rows.length = row + 1;
          rows[row] = rows[row]!.slice(0, col);
        }
        i += m[0].length - 1;
      } else if (ch === '\r') col = 0;
      else if (ch === '\n') {
        row++;
        col = 0;
        if (rows.length <= row) rows.push('');
      } else {
        const line = rows[row]!.padEnd(col);
        rows[row] = line.slice(0, col) + ch + line.slice(col + 1);
        col++;
      }
    }
  };
  return {
    stream: {
      isTTY,
      ...(columns ? { columns } : {}),
      write(text: string) {
        writes.push(text);
        play(text);
      },
    },
    writes,
    /** The visible lines, without the empty line the cursor sits on. */
    screen: () => rows.filter((l, i) => i < rows.length - 1 || l !== ''),
    raw: () => writes.join(''),
  };
}

function outcome(certificate: string, o: Outcome, durationMs: number, region = 'cn-hangzhou'): OutcomeRecord {
  return { ...record(certificate, o, { region }), durationMs };
}

type Step =
  | { at: number; progress: [string, string] | [string, string, string] }
  | { at: number; finish: OutcomeRecord }
  | { at: number; refresh: true }
  | { at: number; summary: true };

interface Case {
  name: string;
  mode: ProgressMode;
  steps: Step[];
  /** The screen after the last step. */
  screen: string[];
  /** Checks on what was written in between. */
  check?: (raw: string, snapshots: string[][]) => void;
}

const cases: Case[] = [
  {
    name: 'one certificate: a live line per stage, its time in the stage, then its final line',
    mode: 'live',
    steps: [
      { at: 0, progress: ['shop', 'gather'] },
      { at: 1_000, progress: ['shop', 'issue'] },
      { at: 13_000, refresh: true },
      { at: 20_000, progress: ['shop', 'deploy'] },
      { at: 34_000, finish: outcome('shop', 'rotated', 34_000) },
    ],
    screen: ['shop  cn-hangzhou  rotated  34s'],
    check: (_raw, snaps) => {
      expect(snaps[0]).toEqual(['shop  cn-hangzhou  gather  0s']);
      expect(snaps[1]).toEqual(['shop  cn-hangzhou  issue  0s']);
      expect(snaps[2]).toEqual(['shop  cn-hangzhou  issue  12s']);
      expect(snaps[3]).toEqual(['shop  cn-hangzhou  deploy  0s']);
    },
  },
  {
    name: 'concurrent certificates: one live line each, finished ones above them in the order they finish',
    mode: 'live',
    steps: [
      { at: 0, progress: ['shop', 'gather'] },
      { at: 0, progress: ['api', 'gather', 'eu-central-1'] },
      { at: 2_000, progress: ['shop', 'dns'] },
      { at: 3_000, progress: ['api', 'issue', 'eu-central-1'] },
      { at: 5_000, refresh: true },
      { at: 6_000, finish: outcome('api', 'failed', 6_000, 'eu-central-1') },
      { at: 70_000, refresh: true },
      { at: 75_000, finish: outcome('shop', 'rotated', 75_000) },
      { at: 75_000, summary: true },
    ],
    screen: ['api   eu-central-1  failed (issue)  6s', 'shop  cn-hangzhou   rotated  1m15s'],
    check: (_raw, snaps) => {
      expect(snaps[4]).toEqual(['shop  cn-hangzhou   dns  3s', 'api   eu-central-1  issue  2s']);
      expect(snaps[5]).toEqual(['api   eu-central-1  failed (issue)  6s', 'shop  cn-hangzhou   dns  4s']);
      expect(snaps[6]).toEqual(['api   eu-central-1  failed (issue)  6s', 'shop  cn-hangzhou   dns  1m08s']);
    },
  },
  {
    name: 'not due: the final line at once, no stage',
    mode: 'live',
    steps: [
      { at: 0, progress: ['shop', 'gather'] },
      { at: 400, finish: outcome('shop', 'not-due', 400) },
      { at: 400, summary: true },
    ],
    screen: ['shop  cn-hangzhou  not-due  0s'],
  },
  {
    name: 'TERM=dumb / NO_COLOR: one plain line per stage change, no escape codes, repeats dropped',
    mode: 'plain',
    steps: [
      { at: 0, progress: ['shop', 'gather'] },
      { at: 0, progress: ['api', 'gather'] },
      { at: 1_000, progress: ['shop', 'issue'] },
      { at: 1_500, progress: ['shop', 'issue'] },
      { at: 5_000, refresh: true },
      { at: 9_000, finish: outcome('shop', 'rotated', 9_000) },
      { at: 9_000, finish: outcome('api', 'not-due', 100) },
      { at: 9_000, summary: true },
    ],
    screen: [
      'shop  cn-hangzhou  gather',
      'api   cn-hangzhou  gather',
      'shop  cn-hangzhou  issue',
      'shop  cn-hangzhou  rotated  9s',
      'api   cn-hangzhou  not-due  0s',
    ],
    check: (raw) => expect(raw).not.toContain('\u001b'),
  },
  {
    name: 'off (not a TTY, or --json): nothing at all',
    mode: 'off',
    steps: [
      { at: 0, progress: ['shop', 'gather'] },
      { at: 1_000, progress: ['shop', 'issue'] },
      { at: 2_000, refresh: true },
      { at: 3_000, finish: outcome('shop', 'rotated', 3_000) },
      { at: 3_000, summary: true },
    ],
    screen: [],
    check: (raw) => expect(raw).toBe(''),
  },
];

describe('the progress display on a fake terminal', () => {
  it.each(cases)('$name', ({ mode, steps, screen, check }) => {
    const term = fakeTerminal(mode !== 'off');
    let clock = 0;
    const display = createProgressDisplay({ stream: term.stream, mode, now: () => clock, refreshMs: 0 });
    const records = memorySink();
    const sink = display.wrapSink(records);
    const finished: OutcomeRecord[] = [];
    const snapshots: string[][] = [];
    for (const step of steps) {
      clock = step.at;
      if ('progress' in step) {
        const [certificate, stage, region = 'cn-hangzhou'] = step.progress;
        display.onProgress({ certificate, region, stage: stage as never });
      } else if ('finish' in step) {
        finished.push(step.finish);
        sink.write(step.finish);
      } else if ('refresh' in step) display.refresh();
      else sink.write(summaryOf(finished));
      snapshots.push(term.screen());
    }
    display.stop();
    expect(term.screen()).toEqual(screen);
    check?.(term.raw(), snapshots);
    // The records go on to the real sink unchanged, whatever the display does.
    expect(records.records.map((r) => r.event)).toEqual([
      ...finished.map(() => 'rotation.outcome'),
      ...(steps.some((s) => 'summary' in s) ? ['rotation.summary'] : []),
    ]);
  });

  it('nothing is drawn after stop, and stop twice is harmless', () => {
    const term = fakeTerminal();
    const display = createProgressDisplay({ stream: term.stream, mode: 'live', now: () => 0, refreshMs: 0 });
    display.onProgress({ certificate: 'shop', region: 'cn-hangzhou', stage: 'issue' });
    display.stop();
    display.stop();
    const written = term.raw();
    display.onProgress({ certificate: 'shop', region: 'cn-hangzhou', stage: 'deploy' });
    display.refresh();
    expect(term.raw()).toBe(written);
    expect(term.screen()).toEqual([]);
  });

  it('columns line up with the expected certificates from the first line', () => {
    const term = fakeTerminal(true);
    const display = createProgressDisplay({ stream: term.stream, mode: 'plain', now: () => 0 });
    display.expect([
      { name: 'a', region: 'cn-hangzhou' },
      { name: 'longer-name', region: 'eu-central-1' },
    ]);
    display.onProgress({ certificate: 'a', region: 'cn-hangzhou', stage: 'gather' });
    expect(term.screen()).toEqual(['a            cn-hangzhou   gather']);
  });

  it('a live line never wraps: it is cut to the terminal width', () => {
    const term = fakeTerminal(true, 30);
    const display = createProgressDisplay({ stream: term.stream, mode: 'live', now: () => 0, refreshMs: 0 });
    display.onProgress({ certificate: 'a-very-long-certificate-name', region: 'cn-hangzhou', stage: 'issue' });
    expect(term.screen()).toEqual(['a-very-long-certificate-name…']);
    expect(term.screen()[0]!.length).toBe(29);
  });
});

describe('progressMode', () => {
  const table: [string, ProgressMode, boolean, NodeJS.ProcessEnv, boolean][] = [
    ['a terminal', 'live', true, { TERM: 'xterm-256color' }, false],
    ['not a terminal (a pipe, a file)', 'off', false, { TERM: 'xterm-256color' }, false],
    ['--json on a terminal', 'off', true, { TERM: 'xterm-256color' }, true],
    ['TERM=dumb', 'plain', true, { TERM: 'dumb' }, false],
    ['NO_COLOR=1', 'plain', true, { TERM: 'xterm', NO_COLOR: '1' }, false],
    ['NO_COLOR empty (means unset)', 'live', true, { TERM: 'xterm', NO_COLOR: '' }, false],
    ['TERM=dumb but not a terminal', 'off', false, { TERM: 'dumb' }, false],
  ];
  it.each(table)('%s → %s', (_name, mode, isTTY, env, json) => {
    expect(progressMode({ isTTY, write: () => undefined }, env, json)).toBe(mode);
  });
});

describe('elapsed', () => {
  it.each([
    [0, '0s'],
    [999, '0s'],
    [12_000, '12s'],
    [59_999, '59s'],
    [60_000, '1m00s'],
    [125_000, '2m05s'],
    [3_725_000, '1h02m'],
  ])('%i ms → %s', (ms, text) => expect(elapsed(ms)).toBe(text));
});
