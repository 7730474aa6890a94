import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  // One graphql module for the tests and for graphql-yoga, which Node loads as CommonJS: vite would otherwise give
  // the tests graphql's ESM build, and graphql refuses schema objects from "another module or realm".
  resolve: { alias: [{ find: /^graphql$/, replacement: 'graphql/index.js' }] },
  test: {
    include: ['test/**/*.test.ts'],
    // Every process a test starts is killed at the end of the run, even when the test timed out first.
    globalSetup: ['test/support/global-process-reaper.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Most test time is spent waiting on spawned processes and blocks, not computing: vitest's default of one worker
    // fewer than the cores ran the suite serially on 2 cores (about 9 minutes); three workers there take about 5.
    maxWorkers: Math.max(3, availableParallelism()),
  },
});
