/**
 * A daily run on a large fleet where nothing is due: what it costs in API calls (per region, per load balancer), in
 * time, and whether it loads acme-client (it should not: nothing is ordered).
 *
 * `npm run bench -- nothing-due [--size 500] [--regions 5]`
 */
import { parseArgs } from 'node:util';
import { startBenchWorld } from './lib/bench-world.js';
import { type Benchmark, positiveInt } from './lib/context.js';
import { seedFleetConfig } from './lib/fleet-config.js';
import { ms, ratioLine } from './lib/report.js';
import { bundleRotatorChild, expectOutcome } from './lib/spawn-rotator.js';

/** Regions with SLB, in the order a fleet is spread over them. */
export const FLEET_REGIONS = [
  'cn-hangzhou',
  'cn-shanghai',
  'cn-beijing',
  'cn-shenzhen',
  'cn-qingdao',
  'cn-zhangjiakou',
];
/** Far outside the renewal window (due at 30 days left, assuming a 90-day lifetime). */
const DAYS_LEFT = 80;

export const nothingDue: Benchmark = async (args, { ca, write }) => {
  const { values } = parseArgs({ args, options: { size: { type: 'string' }, regions: { type: 'string' } } });
  const size = positiveInt('size', values.size, 500);
  const regionCount = positiveInt('regions', values.regions, 5);
  if (regionCount > FLEET_REGIONS.length) throw new Error(`--regions must be at most ${FLEET_REGIONS.length}`);
  const regions = FLEET_REGIONS.slice(0, regionCount);

  // Nothing is deployed, so no wire check: no TLS server per listener.
  const world = await startBenchWorld(ca, { tlsListeners: false, regions });
  const child = await bundleRotatorChild();
  try {
    const seedStart = performance.now();
    const { yaml, fleet } = await seedFleetConfig(world, { size, regions, daysLeft: DAYS_LEFT });
    write(
      `nothing-due: seeded ${size} certificates on ${fleet.loadBalancers.length} load balancers in ${regions.length} region(s) in ${ms(performance.now() - seedStart)}`,
    );
    world.emulator.clearCalls();
    const run = await child.run(yaml, world.rotatorEnv);
    const calls = world.emulator.calls;

    const perRegion = new Map<string, number>();
    const perLb = new Map<string, number>();
    const perAction = new Map<string, number>();
    for (const c of calls) {
      const region = c.params.RegionId ?? '(none)';
      perRegion.set(region, (perRegion.get(region) ?? 0) + 1);
      perAction.set(c.action, (perAction.get(c.action) ?? 0) + 1);
      if (c.params.LoadBalancerId) perLb.set(c.params.LoadBalancerId, (perLb.get(c.params.LoadBalancerId) ?? 0) + 1);
    }
    const lbsByRegion = new Map<string, number>();
    for (const lb of fleet.loadBalancers) lbsByRegion.set(lb.regionId, (lbsByRegion.get(lb.regionId) ?? 0) + 1);
    for (const region of regions) {
      write(`  ${region}: ${perRegion.get(region) ?? 0} API calls for ${lbsByRegion.get(region) ?? 0} load balancers`);
    }
    const lbCalls = [...perLb.values()];
    write(
      `  calls naming one load balancer: min ${Math.min(...lbCalls)}, max ${Math.max(...lbCalls)} per load balancer; by action: ${[
        ...perAction,
      ]
        .sort((a, b) => b[1] - a[1])
        .map(([a, n]) => `${a} ${n}`)
        .join(', ')}`,
    );
    write(
      `  wall time: run ${ms(run.runMs)}, process ${ms(run.processMs)}; peak RSS ${(run.maxRssKb / 1024).toFixed(1)} MB; acme-client loaded: ${run.acmeClientLoaded ? 'yes' : 'no'}`,
    );
    expectOutcome(run, 'not-due');
    write(
      ratioLine('nothing-due', calls.length / fleet.loadBalancers.length, undefined, 'API calls per load balancer'),
    );
    write(
      `check nothing-due: acme-client loaded ${run.acmeClientLoaded ? 'yes' : 'no'} (target no) ${run.acmeClientLoaded ? 'FAIL' : 'PASS'}`,
    );
  } finally {
    await child.dispose();
    await world.close();
  }
};
