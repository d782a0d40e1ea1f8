/**
 * A run whose TXT records become visible only D after Alidns accepted them (as on the real service): the waits of
 * different certificates should overlap, so the run takes about D, not N × D.
 *
 * `npm run bench -- propagation-delay [--size 20] [--delay 10] [--regions 1]`
 */
import { parseArgs } from 'node:util';
import { startBenchWorld } from './lib/bench-world.js';
import { type Benchmark, positiveInt, secondsFlag } from './lib/context.js';
import { seedFleetConfig } from './lib/fleet-config.js';
import { ms, ratioLine } from './lib/report.js';
import { bundleRotatorChild, expectOutcome, stageSummary } from './lib/spawn-rotator.js';
import { FLEET_REGIONS } from './nothing-due.js';

export const propagationDelay: Benchmark = async (args, { ca, write }) => {
  const { values } = parseArgs({
    args,
    options: { size: { type: 'string' }, delay: { type: 'string' }, regions: { type: 'string' } },
  });
  const size = positiveInt('size', values.size, 20);
  const delayMs = secondsFlag('delay', values.delay, 10_000);
  if (delayMs === 0) throw new Error('--delay must be more than 0 seconds: the ratio divides by it');
  const regions = FLEET_REGIONS.slice(0, positiveInt('regions', values.regions, 1));
  const world = await startBenchWorld(ca, { regions, dnsPropagationDelayMs: delayMs });
  const child = await bundleRotatorChild();
  try {
    const { yaml } = await seedFleetConfig(world, { size, regions });
    const run = await child.run(yaml, world.rotatorEnv);
    // Every order waits for its TXT record, so a run shorter than D means the delay was not in effect.
    if (run.runMs < delayMs) {
      throw new Error(
        `the run took ${ms(run.runMs)}, less than D = ${ms(delayMs)}: the emulator's delay did not apply`,
      );
    }
    write(
      `propagation-delay: ${size} certificate(s), TXT records visible after D = ${ms(delayMs)}: run ${ms(run.runMs)} (process ${ms(run.processMs)})`,
    );
    write(`  time per stage, summed over certificates: ${stageSummary(run)}`);
    write(`  outcomes: ${JSON.stringify(run.counts)}`);
    expectOutcome(run, 'rotated');
    write(ratioLine('propagation-delay', run.runMs / delayMs, { op: '≤', value: 1.2 }, 'run wall time ÷ D'));
  } finally {
    await child.dispose();
    await world.close();
  }
};
