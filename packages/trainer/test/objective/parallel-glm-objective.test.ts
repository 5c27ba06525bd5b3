import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { LaserError, SeededRng } from '@laserkit/core';
import type { Dataset } from '../../src/data/csr-matrix.js';
import { logisticLoss } from '../../src/loss/logistic.js';
import { poissonLoss } from '../../src/loss/poisson.js';
import { squaredLoss } from '../../src/loss/squared.js';
import type { TwiceDifferentiableLoss } from '../../src/loss/pointwise-loss.js';
import { TwiceDifferentiableGlmObjective, type GlmObjectiveOptions } from '../../src/objective/glm-objective.js';
import { ParallelGlmObjective, splitRows } from '../../src/objective/parallel-glm-objective.js';
import { TronSolver } from '../../src/solver/tron.js';
import { maxAbs, maxAbsDiff, randomDataset, type LabelKind } from '../helpers.js';

// Tests run from TypeScript sources; the objective then runs its workers from the package's
// compiled dist/ (CI builds with `tsc -b` before testing). Whenever that build exists, these tests
// insist that real worker threads were used, so a silent fallback cannot pass for parallelism.
const compiledWorker = new URL('../../dist/objective/glm-worker.js', import.meta.url);
const hasCompiledWorker = existsSync(fileURLToPath(compiledWorker));
if (!hasCompiledWorker) console.warn(`parallel-glm-objective: ${fileURLToPath(compiledWorker)} is missing (run \`npx tsc -b\`): only the calling-thread fallback is tested`);

const LOSSES: readonly [TwiceDifferentiableLoss, LabelKind][] = [
  [logisticLoss, 'binary'],
  [squaredLoss, 'real'],
  [poissonLoss, 'count'],
];

/** Worker threads to test: 0 (calling thread only), 1 and 2. */
const THREADS = [0, 1, 2] as const;

const open: ParallelGlmObjective[] = [];
afterAll(async () => {
  await Promise.all(open.map((o) => o.close()));
});

async function parallel(ds: Dataset, loss: TwiceDifferentiableLoss, options: Parameters<typeof ParallelGlmObjective.create>[2]): Promise<ParallelGlmObjective> {
  const objective = await ParallelGlmObjective.create(ds, loss, options);
  open.push(objective);
  return objective;
}

function expectThreads(objective: ParallelGlmObjective, requested: number): void {
  if (hasCompiledWorker || requested === 0) {
    expect(objective.threads).toBe(requested);
    expect(objective.fallbackReason).toBeNull();
  } else {
    expect(objective.threads).toBe(0);
    expect(objective.fallbackReason).toContain('no compiled worker');
  }
}

/** max_j |a_j − b_j| / max(max_j |b_j|, tiny): the relative error of a whole vector. */
function relativeError(actual: Float64Array, expected: Float64Array): number {
  return maxAbsDiff(actual, expected) / Math.max(maxAbs(expected), Number.MIN_VALUE);
}

const problemArb = fc.record({
  seed: fc.integer({ min: 0, max: 0xffffffff }),
  lossIndex: fc.integer({ min: 0, max: LOSSES.length - 1 }),
  rows: fc.integer({ min: 1, max: 400 }),
  cols: fc.integer({ min: 1, max: 40 }),
  density: fc.double({ min: 0.05, max: 0.6, noNaN: true }),
  binaryFeatures: fc.boolean(),
  withWeights: fc.boolean(),
  withOffsets: fc.boolean(),
  withIntercept: fc.boolean(),
  precision: fc.constantFrom('none', 'scalar', 'array'),
  withPriorMean: fc.boolean(),
  callerShare: fc.boolean(),
});

type ProblemSpec = typeof problemArb extends fc.Arbitrary<infer T> ? T : never;

function buildProblem(spec: ProblemSpec): { ds: Dataset; loss: TwiceDifferentiableLoss; options: GlmObjectiveOptions; w: Float64Array; v: Float64Array } {
  const [loss, labelKind] = LOSSES[spec.lossIndex]!;
  const ds = randomDataset({ ...spec, labelKind });
  const rng = new SeededRng(spec.seed).fork('parallel');
  const n = ds.x.cols;
  const icpt = spec.withIntercept ? n - 1 : null;
  const options: { -readonly [K in keyof GlmObjectiveOptions]: GlmObjectiveOptions[K] } = { interceptColumn: icpt };
  if (spec.precision === 'scalar') options.priorPrecision = 0.1 + 2 * rng.nextFloat();
  if (spec.precision === 'array') {
    const p = Float64Array.from({ length: n }, () => (rng.nextFloat() < 0.3 ? 0 : 3 * rng.nextFloat()));
    if (icpt !== null) p[icpt] = 0;
    options.priorPrecision = p;
  }
  if (spec.withPriorMean) options.priorMean = Float64Array.from({ length: n }, () => rng.nextNormal());
  const w = Float64Array.from({ length: n }, () => 0.3 * rng.nextNormal());
  const v = Float64Array.from({ length: n }, () => rng.nextNormal());
  return { ds, loss, options, w, v };
}

describe('ParallelGlmObjective', () => {
  it('equals the single-threaded objective within 1e-12 relative: value, gradient, Hv and diag(H), for 0, 1 and 2 worker threads', async () => {
    await fc.assert(
      fc.asyncProperty(problemArb, async (spec) => {
        const { ds, loss, options, w, v } = buildProblem(spec);
        const n = ds.x.cols;
        const reference = new TwiceDifferentiableGlmObjective(ds, loss, options);
        const gRef = new Float64Array(n);
        const fRef = reference.valueAndGradient(w, gRef);
        const hvRef = new Float64Array(n);
        reference.hessianVector(v, hvRef);
        const diagRef = new Float64Array(n);
        reference.hessianDiagonal(diagRef);
        const valueRef = reference.value(v);
        for (const threads of THREADS) {
          const objective = await parallel(ds, loss, { ...options, threads, callerShare: spec.callerShare });
          try {
            expectThreads(objective, Math.min(threads, ds.x.rows - (spec.callerShare ? 1 : 0)));
            expect(objective.dimension).toBe(n);
            expect(objective.interceptIndex).toBe(options.interceptColumn ?? null);
            const g = new Float64Array(n).fill(Number.NaN);
            const f = objective.valueAndGradient(w, g);
            expect(Math.abs(f - fRef)).toBeLessThanOrEqual(1e-12 * Math.abs(fRef));
            expect(relativeError(g, gRef)).toBeLessThanOrEqual(1e-12);
            const hv = new Float64Array(n).fill(Number.NaN);
            objective.hessianVector(v, hv);
            expect(relativeError(hv, hvRef)).toBeLessThanOrEqual(1e-12);
            const diag = new Float64Array(n).fill(Number.NaN);
            objective.hessianDiagonal(diag);
            expect(relativeError(diag, diagRef)).toBeLessThanOrEqual(1e-12);
            // value() does not move the curvature: Hv afterwards is still at w.
            expect(Math.abs(objective.value(v) - valueRef)).toBeLessThanOrEqual(1e-12 * Math.abs(valueRef));
            objective.hessianVector(v, hv);
            expect(relativeError(hv, hvRef)).toBeLessThanOrEqual(1e-12);
          } finally {
            await objective.close();
          }
        }
      }),
      { numRuns: 12, seed: 20260101 },
    );
  }, 120_000);

  it('gives TRON the same solution as the single-threaded objective', async () => {
    const ds = randomDataset({ seed: 7, rows: 3000, cols: 60, density: 0.1, labelKind: 'binary', binaryFeatures: true, withWeights: true, withOffsets: true, withIntercept: true });
    const options = { priorPrecision: 0.5, interceptColumn: 60 };
    const solver = new TronSolver({ gradientTolerance: 1e-10 });
    const single = solver.minimize(new TwiceDifferentiableGlmObjective(ds, logisticLoss, options));
    expect(single.status).toBe('converged');
    for (const threads of THREADS) {
      const objective = await parallel(ds, logisticLoss, { ...options, threads });
      expectThreads(objective, threads);
      const result = solver.minimize(objective);
      expect(result.status).toBe('converged');
      expect(Math.abs(result.objective - single.objective)).toBeLessThanOrEqual(1e-12 * Math.abs(single.objective));
      expect(maxAbsDiff(result.weights, single.weights)).toBeLessThanOrEqual(1e-8 * maxAbs(single.weights));
      expect(result.iterations).toBe(single.iterations);
      await objective.close();
    }
  }, 60_000);

  it('uses the worker threads asked for when the compiled worker exists, and says why not otherwise', async () => {
    const ds = randomDataset({ seed: 3, rows: 50, cols: 5, density: 0.5, labelKind: 'binary', binaryFeatures: true, withWeights: false, withOffsets: false, withIntercept: false });
    // By default: one worker per core but one, and the calling thread evaluates its share.
    const byDefault = await parallel(ds, logisticLoss, {});
    expectThreads(byDefault, Math.max(os.availableParallelism() - 1, 0));
    expect(byDefault.callerShare).toBe(true);
    expect(byDefault.ranges).toHaveLength(byDefault.threads + 1);
    await byDefault.close();
    const both = await parallel(ds, logisticLoss, { callerShare: false, threads: 2 });
    expectThreads(both, 2);
    // Without workers the calling thread evaluates every row, whatever callerShare says.
    expect(both.callerShare).toBe(!hasCompiledWorker);
    expect(both.ranges).toHaveLength(hasCompiledWorker ? 2 : 1);
    await both.close();
    const missing = await parallel(ds, logisticLoss, { threads: 2, workerUrl: new URL('./no-such-worker.js', import.meta.url) });
    expect(missing.threads).toBe(0);
    expect(missing.fallbackReason).toContain('no-such-worker.js');
    expect(missing.ranges).toEqual([[0, 50]]);
    await missing.close();
  });

  it('close() is idempotent, and evaluating after it throws CLOSED', async () => {
    const ds = randomDataset({ seed: 4, rows: 40, cols: 4, density: 0.5, labelKind: 'binary', binaryFeatures: true, withWeights: false, withOffsets: false, withIntercept: false });
    for (const threads of THREADS) {
      const objective = await parallel(ds, logisticLoss, { threads, priorPrecision: 1 });
      const first = objective.close();
      const second = objective.close();
      expect(second).toBe(first);
      await first;
      await objective[Symbol.asyncDispose]();
      await objective.close();
      const g = new Float64Array(4);
      expect(() => objective.valueAndGradient(new Float64Array(4), g)).toThrow(LaserError);
      expect(() => objective.value(new Float64Array(4))).toThrow(/closed/);
    }
  });

  it.skipIf(!hasCompiledWorker)('never keeps the process alive: neither when closed nor when forgotten', () => {
    // A child process creates an objective with workers, evaluates once, then (with "close")
    // closes it or (without) just ends its script: either way the process must exit by itself.
    const dist = (path: string): string => JSON.stringify(new URL(`../../dist/${path}`, import.meta.url).href);
    const script = `
      import { ParallelGlmObjective } from ${dist('objective/parallel-glm-objective.js')};
      import { createDataset, csrFromRows } from ${dist('data/csr-matrix.js')};
      import { logisticLoss } from ${dist('loss/logistic.js')};
      const ds = createDataset({ x: csrFromRows(3, [[0], [1, 2], [0, 2], [1]]), labels: new Float64Array([0, 1, 1, 0]) });
      const o = await ParallelGlmObjective.create(ds, logisticLoss, { threads: 2, priorPrecision: 1 });
      const g = new Float64Array(3);
      const f = o.valueAndGradient(new Float64Array(3), g);
      if (process.argv[1] === 'close') await o.close();
      console.log(o.threads, f.toFixed(6));
    `;
    for (const mode of ['close', 'forget']) {
      const out = execFileSync(process.execPath, ['--input-type=module', '-e', script, mode], { encoding: 'utf8', timeout: 20_000 });
      expect(out.trim()).toBe(`2 ${(4 * Math.log(2)).toFixed(6)}`);
    }
  }, 60_000);

  it.skipIf(!hasCompiledWorker)('reports a worker that died between calls instead of waiting for it forever', async () => {
    const ds = randomDataset({ seed: 6, rows: 30, cols: 3, density: 0.5, labelKind: 'binary', binaryFeatures: true, withWeights: false, withOffsets: false, withIntercept: false });
    const objective = await parallel(ds, logisticLoss, { threads: 1, priorPrecision: 1 });
    const g = new Float64Array(3);
    objective.valueAndGradient(new Float64Array(3), g);
    // Kill it from outside (a stand-in for a crash); the 'exit' event arrives on the event loop.
    const { workers } = objective as unknown as { workers: readonly { worker: { terminate(): Promise<number> } }[] };
    await workers[0]!.worker.terminate();
    expect(() => objective.valueAndGradient(new Float64Array(3), g)).toThrow(/worker thread 0 has died/);
    await objective.close();
  });

  it('rejects what the single-threaded objective rejects, custom losses in workers, and bad options', async () => {
    const ds = randomDataset({ seed: 5, rows: 20, cols: 3, density: 0.5, labelKind: 'binary', binaryFeatures: true, withWeights: false, withOffsets: false, withIntercept: false });
    await expect(ParallelGlmObjective.create(ds, logisticLoss, { priorPrecision: -1 })).rejects.toThrow('priorPrecision (-1) must be a finite number >= 0');
    await expect(ParallelGlmObjective.create(ds, logisticLoss, { threads: 1.5 })).rejects.toThrow('threads (1.5) must be null or an integer in [0, 256]');
    await expect(ParallelGlmObjective.create(ds, logisticLoss, { thread: 2 } as never)).rejects.toThrow('options.thread (2) is not a known option');
    await expect(ParallelGlmObjective.create(ds, squaredLoss, { interceptColumn: 0 })).rejects.toThrow(/intercept column/);
    const custom: TwiceDifferentiableLoss = { ...squaredLoss, name: 'my-squared' };
    await expect(ParallelGlmObjective.create(ds, custom, { threads: 1 })).rejects.toThrow(/loss \("my-squared"\) must be one of the built-in losses/);
    // A custom loss is fine in the calling thread.
    const local = await parallel(ds, custom, { threads: 0 });
    expect(local.value(new Float64Array(3))).toBeCloseTo(0.5 * ds.labels.reduce((s, y) => s + y * y, 0), 12);
    expect(() => local.hessianVector(new Float64Array(3), new Float64Array(3))).toThrow(/call valueAndGradient/);
    expect(() => local.value(new Float64Array(2))).toThrow('w (Float64Array(length 2)) must be a Float64Array of length dimension (3)');
    await local.close();
  });

  it('splits rows into contiguous ranges of about equal non-zeros', () => {
    const rowPtr = Int32Array.from({ length: 101 }, (_, i) => (i <= 50 ? 10 * i : 500 + (i - 50)));
    const ranges = splitRows(rowPtr, 100, 2);
    expect(ranges[0]![0]).toBe(0);
    expect(ranges[1]![1]).toBe(100);
    expect(ranges[0]![1]).toBe(ranges[1]![0]);
    // Work = nnz + 8·rows: 500 + 400 in the first 50 rows, 50 + 400 in the last 50.
    expect(ranges[0]![1]).toBeGreaterThan(25);
    expect(ranges[0]![1]).toBeLessThan(45);
    // As many rows as parts: one row each.
    expect(splitRows(new Int32Array([0, 5, 6, 30]), 3, 3)).toEqual([[0, 1], [1, 2], [2, 3]]);
    // Fewer rows than parts (create() never asks for that): still a contiguous cover.
    const few = splitRows(new Int32Array([0, 1, 2]), 2, 3);
    expect(few[0]![0]).toBe(0);
    expect(few[2]![1]).toBe(2);
    for (let p = 1; p < 3; p++) expect(few[p]![0]).toBe(few[p - 1]![1]);
  });
});
