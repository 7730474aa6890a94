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
  },
});
