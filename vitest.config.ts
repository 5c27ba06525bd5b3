import { defineConfig } from 'vitest/config';

// Tests run from TypeScript sources: the "source" export condition points every
// @laserkit/* import at src/, so no build is needed before `npm test`.
const resolve = { conditions: ['source'] };

export default defineConfig({
  resolve,
  test: {
    projects: [
      {
        resolve,
        test: {
          name: 'unit',
          include: ['packages/*/test/**/*.test.ts'],
          environment: 'node',
        },
      },
      {
        resolve,
        test: {
          name: 'integration',
          include: ['test/**/*.test.ts'],
          environment: 'node',
          testTimeout: 60_000,
          hookTimeout: 60_000,
          // Real services are shared: run these files one at a time.
          fileParallelism: false,
        },
      },
    ],
  },
});
