import { logisticLoss } from '../../src/loss/logistic.js';
import { poissonLoss } from '../../src/loss/poisson.js';
import { squaredLoss } from '../../src/loss/squared.js';
import type { Dataset } from '../../src/data/csr-matrix.js';
import type { TwiceDifferentiableLoss } from '../../src/loss/pointwise-loss.js';
import { glmObjective, type GlmObjectiveOptions, type TwiceDifferentiableGlmObjective } from '../../src/objective/glm-objective.js';
import { SeededRng } from '@laserkit/core';
import { denseRows, newtonReference, randomDataset, solveSpd } from '../helpers.js';

// Problems with known optima shared by the solver tests.

export interface KnownProblem {
  readonly name: string;
  readonly objective: TwiceDifferentiableGlmObjective;
  readonly optimum: Float64Array;
}

/**
 * Ridge regression with weights, offsets, an unpenalised intercept and a non-zero prior mean;
 * optimum from the normal equations (XᵀWX + Λ) w = XᵀW(y − o) + Λμ.
 */
export function ridgeProblem(seed = 11): KnownProblem {
  const ds = randomDataset({ seed, rows: 80, cols: 7, density: 0.5, labelKind: 'real', binaryFeatures: false, withWeights: true, withOffsets: true, withIntercept: true });
  const n = ds.x.cols;
  const rng = new SeededRng(seed).fork('prior');
  const precision = Float64Array.from({ length: n }, (_, j) => (j === n - 1 ? 0 : 0.5 + rng.nextFloat()));
  const mean = Float64Array.from({ length: n }, () => rng.nextNormal());
  const options: GlmObjectiveOptions = { priorPrecision: precision, priorMean: mean, interceptColumn: n - 1 };
  return { name: 'ridge', objective: glmObjective(ds, squaredLoss, options), optimum: normalEquations(ds, precision, mean) };
}

export function normalEquations(ds: Dataset, precision: Float64Array, mean: Float64Array): Float64Array {
  const n = ds.x.cols;
  const X = denseRows(ds);
  const A = new Float64Array(n * n);
  const b = new Float64Array(n);
  for (let i = 0; i < ds.x.rows; i++) {
    const c = ds.weights?.[i] ?? 1;
    const r = ds.labels[i]! - (ds.offsets?.[i] ?? 0);
    for (let j = 0; j < n; j++) {
      const xj = X[i * n + j]!;
      b[j]! += c * xj * r;
      for (let k = 0; k < n; k++) A[j * n + k]! += c * xj * X[i * n + k]!;
    }
  }
  for (let j = 0; j < n; j++) {
    A[j * n + j]! += precision[j]!;
    b[j]! += precision[j]! * mean[j]!;
  }
  return solveSpd(A, b);
}

/** Logistic regression on nearly separable data (strong signal), small prior, intercept. */
export function logisticProblem(seed = 3, rows = 200, cols = 10): KnownProblem {
  const ds = randomDataset({ seed, rows, cols, density: 0.4, labelKind: 'binary', binaryFeatures: true, withWeights: false, withOffsets: false, withIntercept: true, signal: 3 });
  const options: GlmObjectiveOptions = { priorPrecision: 0.05, interceptColumn: cols };
  return { name: 'logistic', objective: glmObjective(ds, logisticLoss, options), optimum: newtonReference(ds, logisticLoss, options) };
}

export function poissonProblem(seed = 4): KnownProblem {
  const ds = randomDataset({ seed, rows: 150, cols: 6, density: 0.5, labelKind: 'count', binaryFeatures: false, withWeights: true, withOffsets: true, withIntercept: true });
  const options: GlmObjectiveOptions = { priorPrecision: 0.3, interceptColumn: 6 };
  return { name: 'poisson', objective: glmObjective(ds, poissonLoss, options), optimum: newtonReference(ds, poissonLoss as TwiceDifferentiableLoss, options) };
}

export function glmProblems(): KnownProblem[] {
  return [ridgeProblem(), logisticProblem(), poissonProblem()];
}
