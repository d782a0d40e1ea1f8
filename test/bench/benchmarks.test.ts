/**
 * Every benchmark stays runnable: each runs here on a tiny size against the shared Pebble and prints its ratio line
 * with a number. Timings are never asserted (they belong to bench/, on a quiet machine). The benchmarks run side by
 * side: most of their time is waiting on the CA's polling, which overlaps.
 */
import { describe, expect, it } from 'vitest';
import { BENCHMARKS } from '../../bench/benchmarks.js';
import { pebbleEnv } from '../support/env.js';

const TINY: Record<string, string[]> = {
  'rotation-vs-acme': ['--size', '1', '--rounds', '1', '--no-warmup'],
  'lego-vs-rotator': ['--size', '1', '--concurrency', '1'],
  'propagation-delay': ['--size', '1', '--delay', '0.2'],
  'nothing-due': ['--size', '5', '--regions', '2'],
  'peak-rss': ['--size', '1'],
  'cold-load': ['--rounds', '1'],
};

async function runBenchmark(name: string, args: string[]): Promise<string[]> {
  const entry = BENCHMARKS.find((b) => b.name === name);
  if (!entry) throw new Error(`no benchmark ${name}`);
  const lines: string[] = [];
  await (
    await entry.load()
  )(args, { ca: pebbleEnv(), write: (line) => lines.push(line) });
  return lines;
}

const NUMBER = String.raw`\d+(?:\.\d+)?`;

describe('benchmarks on a tiny size', () => {
  it('every registered benchmark has a tiny size here', () => {
    expect(BENCHMARKS.map((b) => b.name).sort()).toEqual(Object.keys(TINY).sort());
  });

  for (const [name, args] of Object.entries(TINY)) {
    it.concurrent(`${name} ${args.join(' ')} completes and prints its ratio`, { timeout: 120_000 }, async () => {
      const lines = await runBenchmark(name, args);
      const output = lines.join('\n');
      // lego is an apt package like pebble; a missing one fails here with the install command in the output.
      expect(output, output).toMatch(new RegExp(`^ratio ${name}: ${NUMBER} \\(`, 'm'));
      // Not a timing: a run with nothing due must never load acme-client, whatever the machine's load.
      if (name === 'nothing-due')
        expect(output).toMatch(/^check nothing-due: acme-client loaded no \(target no\) PASS$/m);
    });
  }

  it('a bad flag is refused with its name', async () => {
    await expect(runBenchmark('nothing-due', ['--size', '0'])).rejects.toThrow(/--size must be a positive integer/);
    await expect(runBenchmark('propagation-delay', ['--delay', 'soon'])).rejects.toThrow(/--delay must be a number/);
  });
});
