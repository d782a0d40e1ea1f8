import { seedInventory } from '../../sandbox/emulator/seed-inventory.js';
import { sandboxConfigYaml } from '../../sandbox/world.js';
import { BENCH_ZONE, type BenchWorld } from './bench-world.js';

/** Due, but not expired: inside every renewal window. */
const DAYS_LEFT = 5;

/**
 * Seeds `size` due certificates (listener defaults and SNI extensions) and returns the rotator configuration for
 * them: wire check on with a short settle time, quota lifted (the emulator's is lifted by startBenchWorld).
 */
export async function dueFleetConfig(
  world: BenchWorld,
  options: { size: number; regions: string[]; prefix?: string },
): Promise<string> {
  const fleet = await seedInventory(world.emulator, {
    certificates: options.size,
    regions: options.regions,
    daysLeft: DAYS_LEFT,
    zone: BENCH_ZONE,
    ...(options.prefix ? { prefix: options.prefix } : {}),
  });
  return sandboxConfigYaml(world.ca, fleet.certificates, { certificateQuota: 100_000, wireSettleSeconds: 2 });
}
