import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The run's own temp dir inside the repository, and the check that nothing is left behind.
    globalSetup: ['test/support/leftover-guard.ts'],
    testTimeout: 20_000,
    hookTimeout: 180_000,
    // cdktf synth and terraform are CPU-heavy; two cores, so at most two files at once.
    maxWorkers: 2,
  },
});
