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
    restoreMocks: true,
  },
});
