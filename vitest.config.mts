import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 180_000,
    // cdktf synth and terraform are CPU-heavy; two cores, so at most two files at once.
    maxWorkers: 2,
  },
});
