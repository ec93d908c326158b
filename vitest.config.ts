import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Packs the package and installs it in a scratch project for test/runtimes and test/browser.
    globalSetup: ['test/runtimes/setup.ts'],
  },
});
