import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LaserError, SeededRng } from '@laserkit/core';
import { createDataset, withInterceptColumn } from '../../src/data/csr-matrix.js';
import { readTrainingSet } from '../../src/data/readers.js';
import { logisticLoss } from '../../src/loss/logistic.js';
import { poissonLoss } from '../../src/loss/poisson.js';
import { squaredLoss } from '../../src/loss/squared.js';
import type { TwiceDifferentiableLoss } from '../../src/loss/pointwise-loss.js';
import { TwiceDifferentiableGlmObjective } from '../../src/objective/glm-objective.js';
import { StreamingGlmObjective } from '../../src/objective/streaming-glm-objective.js';
import { LbfgsSolver } from '../../src/solver/lbfgs.js';
import { TronSolver } from '../../src/solver/tron.js';
import { maxAbs, maxAbsDiff } from '../helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'laserkit-streaming-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type LabelKind = 'binary' | 'real' | 'count';

/** A random svmlight file: sparse rows with real values, ±1 / real / count labels, the odd comment. */
function svmlightFile(name: string, seed: number, rows: number, columns: number, labels: LabelKind): string {
  const rng = new SeededRng(seed);
  const truth = Float64Array.from({ length: columns }, () => rng.nextNormal() * 0.5);
  const lines: string[] = [];
  for (let i = 0; i < rows; i++) {
    const entries: string[] = [];
    let z = 0;
    for (let j = 0; j < columns; j++) {
      if (rng.nextFloat() > 0.15) continue;
      const v = rng.nextFloat() < 0.5 ? 1 : Math.round(rng.nextNormal() * 1000) / 250;
      z += v * truth[j]!;
      entries.push(`${j + 1}:${v}`);
    }
    const label =
      labels === 'binary' ? (rng.nextFloat() < 1 / (1 + Math.exp(-z)) ? '+1' : '-1') : labels === 'real' ? String(Math.round((z + rng.nextNormal()) * 1e4) / 1e4) : String(Math.min(20, Math.floor(Math.exp(Math.min(z, 2)) * rng.nextFloat() * 2)));
    lines.push(`${label} ${entries.join(' ')}${i % 7 === 0 ? ` # campaign=${i % 5}` : ''}`);
  }
  const path = join(dir, name);
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}

async function inMemory(path: string, loss: TwiceDifferentiableLoss, options: { intercept: boolean; featureDimension?: number; priorPrecision: number | Float64Array; priorMean: Float64Array | null }): Promise<TwiceDifferentiableGlmObjective> {
  const { set } = await readTrainingSet(path, { format: 'svmlight', ...(options.featureDimension === undefined ? {} : { dimensions: { user: options.featureDimension } }) });
  const x = options.intercept ? withInterceptColumn(set.features.user) : set.features.user;
  return new TwiceDifferentiableGlmObjective(createDataset({ x, labels: set.labels }), loss, {
    priorPrecision: options.priorPrecision,
    priorMean: options.priorMean,
    interceptColumn: options.intercept ? set.features.user.cols : null,
  });
}

function relDiff(a: number, b: number): number {
  return Math.abs(a - b) / Math.max(Math.abs(b), 1e-300);
}

describe('StreamingGlmObjective', () => {
  const cases: [string, TwiceDifferentiableLoss, LabelKind, boolean, number | undefined][] = [
    ['logistic with intercept', logisticLoss, 'binary', true, undefined],
    ['squared, wider than the file', squaredLoss, 'real', false, 45],
    ['poisson with intercept', poissonLoss, 'count', true, undefined],
  ];
  for (const [name, loss, labels, intercept, featureDimension] of cases) {
    it(`${name}: value, gradient, Hv and diag(H) equal the in-memory objective's (1e-12 relative)`, async () => {
      const path = svmlightFile(`${loss.name}.svm`, 5 + name.length, 1500, 40, labels);
      const rng = new SeededRng(9);
      const probe = await inMemory(path, loss, { intercept, ...(featureDimension === undefined ? {} : { featureDimension }), priorPrecision: 0, priorMean: null });
      const n = probe.dimension;
      const precision = Float64Array.from({ length: n }, (_, j) => (intercept && j === n - 1 ? 0 : 0.5 + rng.nextFloat()));
      const mean = Float64Array.from({ length: n }, () => 0.1 * rng.nextNormal());
      const reference = await inMemory(path, loss, { intercept, ...(featureDimension === undefined ? {} : { featureDimension }), priorPrecision: precision, priorMean: mean });
      const streaming = StreamingGlmObjective.open(path, loss, { intercept, featureDimension: featureDimension ?? null, priorPrecision: precision, priorMean: mean, chunkRows: 97, readBytes: 4096 });
      expect(streaming.dimension).toBe(n);
      expect(streaming.rowCount).toBe(1500);
      expect(streaming.interceptIndex).toBe(intercept ? n - 1 : null);
      for (let trial = 0; trial < 3; trial++) {
        const w = Float64Array.from({ length: n }, () => 0.3 * rng.nextNormal());
        const v = Float64Array.from({ length: n }, () => rng.nextNormal());
        const gRef = new Float64Array(n);
        const gOurs = new Float64Array(n);
        const fRef = reference.valueAndGradient(w, gRef);
        const fOurs = streaming.valueAndGradient(w, gOurs);
        expect(relDiff(fOurs, fRef)).toBeLessThan(1e-12);
        expect(relDiff(streaming.value(w), reference.value(w))).toBeLessThan(1e-12);
        expect(maxAbsDiff(gOurs, gRef)).toBeLessThanOrEqual(1e-12 * maxAbs(gRef));
        const hRef = new Float64Array(n);
        const hOurs = new Float64Array(n);
        reference.hessianVector(v, hRef);
        streaming.hessianVector(v, hOurs);
        expect(maxAbsDiff(hOurs, hRef)).toBeLessThanOrEqual(1e-12 * maxAbs(hRef));
        reference.hessianDiagonal(hRef);
        streaming.hessianDiagonal(hOurs);
        expect(maxAbsDiff(hOurs, hRef)).toBeLessThanOrEqual(1e-12 * maxAbs(hRef));
      }
      // 1500 rows in chunks of 97: 16 chunks per pass, never more than 97 rows held.
      expect(streaming.stats.chunksLastPass).toBe(16);
      expect(streaming.stats.maxRowsResident).toBe(97);
    });
  }

  it('L-BFGS and TRON through it reach the in-memory optimum', async () => {
    const path = svmlightFile('fit.svm', 31, 2000, 30, 'binary');
    const reference = await inMemory(path, logisticLoss, { intercept: true, priorPrecision: 1, priorMean: null });
    const streaming = StreamingGlmObjective.open(path, logisticLoss, { intercept: true, priorPrecision: 1, chunkRows: 300 });
    const lbfgs = new LbfgsSolver({ gradientTolerance: 1e-8 });
    const a = lbfgs.minimize(reference);
    const b = lbfgs.minimize(streaming);
    expect(b.status).toBe('converged');
    // Both stop at ‖∇f‖ <= 1e-8 ‖∇f(0)‖; f is 1-strongly convex (precision 1 off the intercept), so the optima agree to about that.
    expect(maxAbsDiff(b.weights, a.weights)).toBeLessThan(1e-6);
    expect(relDiff(b.objective, a.objective)).toBeLessThan(1e-12);
    const tron = new TronSolver({ gradientTolerance: 1e-8 });
    const c = tron.minimize(streaming);
    expect(c.status).toBe('converged');
    expect(maxAbsDiff(c.weights, a.weights)).toBeLessThan(1e-6);
  });

  it('holds at most chunkRows rows at a time, in memory that does not grow with the file', () => {
    const path = svmlightFile('bounded.svm', 4, 5000, 20, 'binary');
    const streaming = StreamingGlmObjective.open(path, logisticLoss, { chunkRows: 1500 });
    const w = new Float64Array(streaming.dimension).fill(0.1);
    streaming.valueAndGradient(w, new Float64Array(streaming.dimension));
    const { stats } = streaming;
    expect(stats.passes).toBe(2);
    expect(stats.chunksLastPass).toBe(4);
    expect(stats.maxRowsResident).toBe(1500);
    expect(stats.maxNonZerosResident).toBeLessThan(1500 * 20);
    expect(stats.rowCapacity).toBeLessThan(5000);
    expect(stats.rowCapacity).toBeLessThanOrEqual(2 * 1500);
  });

  it('names file, line and field for bad rows, skips the same ones on every pass, and notices a changed file', async () => {
    const path = join(dir, 'bad.svm');
    writeFileSync(path, '1 1:1 2:0.5\n2 1:1\n0 3:nan\n-1 2:1 3:1\n');
    expect(() => StreamingGlmObjective.open(path, logisticLoss)).toThrow(`${path}:2: label (2) must be 0 or 1 for the logistic loss`);
    const skipping = StreamingGlmObjective.open(path, logisticLoss, { skipInvalid: true, priorPrecision: 1 });
    expect(skipping.rowCount).toBe(2);
    expect(skipping.skipped.count).toBe(2);
    expect(skipping.skipped.examples[1]).toBe(`${path}:3: feature[0].value ("3:nan") must be a finite number`);
    const w = Float64Array.from([0.2, -0.1, 0.3]);
    const clean = join(dir, 'clean.svm');
    writeFileSync(clean, '1 1:1 2:0.5\n-1 2:1 3:1\n');
    const reference = await inMemory(clean, logisticLoss, { intercept: false, priorPrecision: 1, priorMean: null });
    expect(relDiff(skipping.value(w), reference.value(w))).toBeLessThan(1e-15);
    expect(() => skipping.hessianVector(w, new Float64Array(3))).toThrow(/call valueAndGradient/);
    appendFileSync(path, '1 1:1\n');
    const changed = (() => {
      try {
        skipping.value(w);
        return null;
      } catch (e) {
        return e;
      }
    })();
    expect(changed).toBeInstanceOf(LaserError);
    expect((changed as LaserError).code).toBe('INVALID_DATA');
    expect((changed as LaserError).message).toContain('changed since the objective was opened');
    expect(() => StreamingGlmObjective.open(path, logisticLoss, { chunkRows: 0 })).toThrow('chunkRows (0) must be an integer in [1, 2^26]');
    expect(() => StreamingGlmObjective.open(join(dir, 'missing.svm'), logisticLoss)).toThrow(/cannot read .*missing\.svm/);
  });
});
