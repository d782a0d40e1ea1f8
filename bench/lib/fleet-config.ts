import { type SeededInventory, seedInventory } from '../../sandbox/emulator/seed-inventory.js';
import { sandboxConfigYaml } from '../../sandbox/world.js';
import type { BenchWorld } from './bench-world.js';

/** Due, but not expired: inside every renewal window. */
const DUE_DAYS_LEFT = 5;

/**
 * Seeds `size` certificates (listener defaults and SNI extensions), due unless `daysLeft` says otherwise, and returns
 * the rotator configuration for them: wire check on with a short settle time, quota lifted (the emulator's is lifted
 * by startBenchWorld).
 */
export async function seedFleetConfig(
  world: BenchWorld,
  options: { size: number; regions: string[]; daysLeft?: number },
): Promise<{ yaml: string; fleet: SeededInventory }> {
  const fleet = await seedInventory(world.emulator, {
    certificates: options.size,
    regions: options.regions,
    daysLeft: options.daysLeft ?? DUE_DAYS_LEFT,
    zone: world.zone,
  });
  const yaml = sandboxConfigYaml(world.ca, fleet.certificates, { certificateQuota: 100_000, wireSettleSeconds: 2 });
  return { yaml, fleet };
}
