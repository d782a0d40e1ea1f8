import type { AcmeTestCa } from '../../sandbox/world.js';
import type { Write } from './report.js';

/** What a benchmark gets from its runner: the test CA (Pebble, already trusted by this process) and where to print. */
export interface BenchContext {
  ca: AcmeTestCa;
  write: Write;
}

/** A benchmark: parses its own flags (`--size`, `--delay`, …) and prints its figures and its ratio line. */
export type Benchmark = (args: string[], context: BenchContext) => Promise<void>;

/** bench/run.ts passes the Pebble it started through these variables (NODE_EXTRA_CA_CERTS makes it trusted). */
export function caFromEnvironment(env: NodeJS.ProcessEnv = process.env): AcmeTestCa {
  const { BENCH_ACME_DIRECTORY, BENCH_CHALLTESTSRV, BENCH_DNS_SERVER } = env;
  if (!BENCH_ACME_DIRECTORY || !BENCH_CHALLTESTSRV || !BENCH_DNS_SERVER || !env.NODE_EXTRA_CA_CERTS) {
    throw new Error(
      'run benchmarks with `npm run bench -- <name>`: it starts Pebble and sets BENCH_* and NODE_EXTRA_CA_CERTS',
    );
  }
  return { directoryUrl: BENCH_ACME_DIRECTORY, challtestsrvUrl: BENCH_CHALLTESTSRV, dnsServer: BENCH_DNS_SERVER };
}

/** A positive integer flag, or a clear error naming the flag. */
export function positiveInt(flag: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1)
    throw new Error(`--${flag} must be a positive integer, got ${JSON.stringify(raw)}`);
  return n;
}

/** A non-negative number of seconds, returned in milliseconds. */
export function secondsFlag(flag: string, raw: string | undefined, fallbackMs: number): number {
  if (raw === undefined) return fallbackMs;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0)
    throw new Error(`--${flag} must be a number of seconds ≥ 0, got ${JSON.stringify(raw)}`);
  return Math.round(n * 1000);
}
