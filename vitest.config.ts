import { defineConfig } from 'vitest/config';

// Tests run from TypeScript sources: the "source" export condition points every
// @laserkit/* import at src/, so no build is needed before `npm test`.
// Vite applies `resolve.conditions` to browser code only; tests run as server code, which reads
// `ssr.resolve` (without it, packages resolved to a possibly stale dist/).
const resolve = { conditions: ['source'] };
const ssr = { resolve: { conditions: ['source'] } };

export default defineConfig({
  resolve,
  ssr,
  test: {
    projects: [
      {
        resolve,
        ssr,
        test: {
          name: 'unit',
          include: ['packages/*/test/**/*.test.ts'],
          environment: 'node',
          // Some unit tests fit models on tens of thousands of rows; on a loaded 2-core machine a
          // 5 s default would fail them for slowness, which benchmarks, not tests, measure.
          testTimeout: 120_000,
        },
      },
      {
        resolve,
        ssr,
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
