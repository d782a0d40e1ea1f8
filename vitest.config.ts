import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Integration tests talk to real servers (Pebble, challtestsrv, the emulator): RSA key generation and
    // polling make a few seconds normal, and a hang should fail well before CI's own limit.
    testTimeout: 30_000,
    hookTimeout: 30_000,
    teardownTimeout: 10_000,
    // Child processes (forks) isolate process-wide state: acme-client's logger and axios defaults, env, signals.
    pool: 'forks',
    // Integration files spend most of their time waiting on Pebble, DNS polls and child processes, not on the CPU:
    // vitest's default (cores − 1, so one worker on a 2-core machine) runs them one after another.
    maxWorkers: 4,
    restoreMocks: true,
  },
});
