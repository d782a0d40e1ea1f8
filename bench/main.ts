/**
 * One benchmark, in a process that already trusts Pebble (bench/run.ts starts it and sets BENCH_* and
 * NODE_EXTRA_CA_CERTS, which Node reads only at start-up).
 */
import { BENCHMARKS } from './benchmarks.js';
import { caFromEnvironment } from './lib/context.js';

const [name, ...args] = process.argv.slice(2);
const entry = BENCHMARKS.find((b) => b.name === name);
if (!entry) {
  throw new Error(`unknown benchmark ${JSON.stringify(name)}; known: ${BENCHMARKS.map((b) => b.name).join(', ')}`);
}
const run = await entry.load();
await run(args, {
  // Only benchmarks that talk to the CA read it; cold-load runs without Pebble.
  get ca() {
    return caFromEnvironment();
  },
  write: (line) => process.stdout.write(`${line}\n`),
});
