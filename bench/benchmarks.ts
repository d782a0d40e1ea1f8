import type { Benchmark } from './lib/context.js';

export interface BenchmarkEntry {
  name: string;
  /** What it prints its ratio of, in a line for `npm run bench` without arguments. */
  summary: string;
  /** Flags it takes, with their defaults. */
  flags: string;
  /** Whether it needs the test CA (bench/run.ts then starts Pebble for it). */
  pebble: boolean;
  load(): Promise<Benchmark>;
}

/** Every benchmark `npm run bench -- <name>` can run, in the order bench/README.md describes them. */
export const BENCHMARKS: readonly BenchmarkEntry[] = [
  {
    name: 'rotation-vs-acme',
    summary: 'rotation of N certificates ÷ bare acme-client issuance of the same names (target ≤ 1.3 for N = 1)',
    flags: '--size 1 --rounds 5',
    pebble: true,
    load: async () => (await import('./rotation-vs-acme.js')).rotationVsAcme,
  },
  {
    name: 'lego-vs-rotator',
    summary: "lego's 20 processes at concurrency 10 ÷ the rotator rotating the same count in one run (target ≥ 8)",
    flags: '--size 20 --concurrency 10',
    pebble: true,
    load: async () => (await import('./lego-vs-rotator.js')).legoVsRotator,
  },
  {
    name: 'propagation-delay',
    summary: 'wall time of N due certificates when TXT records show only after D ÷ D (target ≤ 1.2)',
    flags: '--size 20 --delay 10',
    pebble: true,
    load: async () => (await import('./propagation-delay.js')).propagationDelay,
  },
  {
    name: 'nothing-due',
    summary:
      'a run with nothing due on a large fleet: API calls per region and load balancer, time, acme-client loaded',
    flags: '--size 500 --regions 5',
    pebble: true,
    load: async () => (await import('./nothing-due.js')).nothingDue,
  },
  {
    name: 'peak-rss',
    summary: 'peak RSS of a run rotating N certificates ÷ 128 MB (target ≤ 1)',
    flags: '--size 100',
    pebble: true,
    load: async () => (await import('./peak-rss.js')).peakRss,
  },
  {
    name: 'cold-load',
    summary: "the bundled rotation function's cold load ÷ `node -e 0` (target ≤ 2)",
    flags: '--rounds 15',
    pebble: false,
    load: async () => (await import('./cold-load.js')).coldLoad,
  },
];
