/**
 * The rotator's peak memory while rotating a fleet, measured in a process that runs nothing else (the emulator and
 * the test CA live elsewhere): what the function's memory setting has to cover.
 *
 * `npm run bench -- peak-rss [--size 100] [--regions 1]`
 */
import { parseArgs } from 'node:util';
import { startBenchWorld } from './lib/bench-world.js';
import { type Benchmark, positiveInt } from './lib/context.js';
import { seedFleetConfig } from './lib/fleet-config.js';
import { mb, ms, ratioLine } from './lib/report.js';
import { bundleRotatorChild, expectOutcome, stageSummary } from './lib/spawn-rotator.js';
import { FLEET_REGIONS } from './nothing-due.js';

export const RSS_BUDGET_MB = 128;

export const peakRss: Benchmark = async (args, { ca, write }) => {
  const { values } = parseArgs({ args, options: { size: { type: 'string' }, regions: { type: 'string' } } });
  const size = positiveInt('size', values.size, 100);
  const regions = FLEET_REGIONS.slice(0, positiveInt('regions', values.regions, 1));
  const world = await startBenchWorld(ca, { regions });
  const child = await bundleRotatorChild();
  try {
    const { yaml } = await seedFleetConfig(world, { size, regions });
    const run = await child.run(yaml, world.rotatorEnv);
    write(
      `peak-rss: ${size} certificate(s) rotated in ${regions.length} region(s) in ${ms(run.runMs)}; peak RSS ${mb(run.maxRssKb)} (acme-client loaded: ${run.acmeClientLoaded ? 'yes' : 'no'})`,
    );
    write(`  time per stage, summed over certificates: ${stageSummary(run)}`);
    write(`  outcomes: ${JSON.stringify(run.counts)}`);
    expectOutcome(run, 'rotated');
    write(
      ratioLine(
        'peak-rss',
        run.maxRssKb / 1024 / RSS_BUDGET_MB,
        { op: '≤', value: 1 },
        `peak RSS ÷ ${RSS_BUDGET_MB} MB`,
      ),
    );
  } finally {
    await child.dispose();
    await world.close();
  }
};
