import { readdirSync, readFileSync } from 'node:fs';
import { defineConfig } from 'vitest/config';

/** Unit tests of pure logic and the deploy checks: one worker runs many files, so modules load once per worker. */
const SHARED_MODULES = ['test/unit/**/*.test.ts', 'test/deploy/**/*.test.ts'];
/** Among those, files that replace a module (vi.mock): they need a module registry of their own. */
const MOCKING = ['test/unit', 'test/deploy'].flatMap((dir) =>
  readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.test.ts'))
    .map((f) => `${dir}/${f}`)
    .filter((f) => /\bvi\.(mock|doMock)\(/.test(readFileSync(f, 'utf8'))),
);

export default defineConfig({
  test: {
    // Integration tests talk to real servers (Pebble, challtestsrv, the emulator): RSA key generation and
    // polling make a few seconds normal, and a hang should fail well before CI's own limit.
    testTimeout: 30_000,
    hookTimeout: 30_000,
    teardownTimeout: 10_000,
    // Child processes (forks): the test process's own state (acme-client's logger and axios defaults, env, signals)
    // stays out of the runner's.
    pool: 'forks',
    // Integration files spend most of their time waiting on Pebble, DNS polls and child processes, not on the CPU:
    // vitest's default (cores − 1, so one worker on a 2-core machine) runs them one after another.
    maxWorkers: 4,
    restoreMocks: true,
    projects: [
      {
        extends: true,
        // Without isolation a worker keeps the modules it loaded for the next file: on a 2-core machine that halves
        // the unit tests' time, most of which was loading the same modules again for each file.
        test: { name: 'unit', include: SHARED_MODULES, exclude: MOCKING, isolate: false },
      },
      ...(MOCKING.length > 0 ? [{ extends: true as const, test: { name: 'unit-mocking', include: MOCKING } }] : []),
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/**/*.test.ts'],
          exclude: SHARED_MODULES,
          // Builds the function and CLI bundles once for the run (test/support/bundles.ts hands them out).
          globalSetup: ['test/global-setup.ts'],
          // A worker keeps its modules from one file to the next (product, emulator, pop-core, acme-client): loading
          // them again for each of ~100 files was a third of the suite's CPU. Integration files share no module state
          // they change (no vi.mock, no env or signal handlers of their own; test/support keeps per-process pools by
          // design), and each starts its own emulator and servers.
          isolate: false,
        },
      },
    ],
  },
});
