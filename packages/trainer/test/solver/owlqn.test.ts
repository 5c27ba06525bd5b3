import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { SeededRng } from '@laserkit/core';
import { CsrMatrixBuilder, createDataset, withInterceptColumn } from '../../src/data/csr-matrix.js';
import { squaredLoss } from '../../src/loss/squared.js';
import { glmObjective } from '../../src/objective/glm-objective.js';
import { DEFAULT_OWLQN_OPTIONS, OwlqnSolver, pseudoGradient, type OwlqnOptions } from '../../src/solver/owlqn.js';
import { LyingObjective, maxAbsDiff, randomQuadratic, solveSpd } from '../helpers.js';
import { glmProblems, logisticProblem } from './problems.js';

/**
 * Lasso ½‖Xw − y‖² + λ‖w‖₁ with orthogonal columns (each row touches one column): the solution is
 * soft-thresholding, w_j = sign(c_j) max(|c_j| − λ_j, 0) / ‖x_j‖², c_j = x_jᵀy.
 */
function orthogonalLasso(seed: number, cols: number, perColumn: number) {
  const rng = new SeededRng(seed);
  const b = new CsrMatrixBuilder({ cols });
  const labels: number[] = [];
  const truth = Float64Array.from({ length: cols }, (_, j) => (j % 3 === 0 ? 0 : 2 * rng.nextNormal()));
  for (let j = 0; j < cols; j++) {
    for (let r = 0; r < perColumn; r++) {
      const v = Math.fround(0.5 + 1.5 * rng.nextFloat());
      b.addRow([j], [v]);
      labels.push(v * truth[j]! + 0.5 * rng.nextNormal());
    }
  }
  const x = b.build();
  const c = new Float64Array(cols);
  const sq = new Float64Array(cols);
  for (let i = 0; i < x.rows; i++) {
    const j = x.colIdx[i]!;
    const v = x.values![i]!;
    c[j]! += v * labels[i]!;
    sq[j]! += v * v;
  }
  // λ per coordinate around the median |c_j|, so about half the coefficients are exactly zero.
  const sorted = Array.from(c, Math.abs).sort((p, q) => p - q);
  const median = sorted[Math.floor(cols / 2)]!;
  const lambda = Float64Array.from({ length: cols }, () => median * (0.5 + rng.nextFloat()));
  const optimum = c.map((cj, j) => (Math.sign(cj) * Math.max(Math.abs(cj) - lambda[j]!, 0)) / sq[j]!);
  const ds = createDataset({ x, labels: Float64Array.from(labels) });
  return { objective: glmObjective(ds, squaredLoss), lambda, optimum };
}

describe('OwlqnSolver', () => {
  it('solves an orthogonal-design lasso to the soft-thresholding solution, with exact zeros', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 2, max: 30 }), (seed, cols) => {
        const { objective, lambda, optimum } = orthogonalLasso(seed, cols, 5);
        const result = new OwlqnSolver({ l1Penalty: lambda, gradientTolerance: 1e-10 }).minimize(objective);
        expect(result.status).toBe('converged');
        for (let j = 0; j < cols; j++) {
          if (optimum[j] === 0) expect(result.weights[j]).toBe(0);
          else expect(Math.abs(result.weights[j]! - optimum[j]!)).toBeLessThan(1e-8);
        }
        expect(result.weights.filter((v) => v !== 0).length).toBe(optimum.filter((v) => v !== 0).length);
      }),
      { numRuns: 60 },
    );
  });

  it('never penalises the intercept: with a huge λ every other coefficient is zero and the intercept is the weighted mean', () => {
    const b = new CsrMatrixBuilder({ cols: 3 });
    const rng = new SeededRng(8);
    const n = 40;
    for (let i = 0; i < n; i++) b.addRow([rng.nextInt(3)], [rng.nextNormal()]);
    const labels = Float64Array.from({ length: n }, () => 3 + rng.nextNormal());
    const weights = Float64Array.from({ length: n }, () => rng.nextFloat());
    const offsets = Float64Array.from({ length: n }, () => rng.nextNormal());
    const ds = createDataset({ x: withInterceptColumn(b.build()), labels, weights, offsets });
    const objective = glmObjective(ds, squaredLoss, { interceptColumn: 3 });
    const result = new OwlqnSolver({ l1Penalty: 1e6, gradientTolerance: 1e-10 }).minimize(objective);
    let sw = 0;
    let swy = 0;
    for (let i = 0; i < n; i++) {
      sw += weights[i]!;
      swy += weights[i]! * (labels[i]! - offsets[i]!);
    }
    expect(result.status).toBe('converged');
    expect(Array.from(result.weights.subarray(0, 3))).toEqual([0, 0, 0]);
    expect(result.weights[3]).toBeCloseTo(swy / sw, 9);
    expect(() => new OwlqnSolver({ l1Penalty: Float64Array.of(1, 1, 1, 1) }).minimize(objective)).toThrow(
      'l1Penalty[3] (1) must be 0 at the intercept (the intercept is never penalised)',
    );
    expect(() => new OwlqnSolver({ l1Penalty: Float64Array.of(1, 1) }).minimize(objective)).toThrow('must have one entry per coefficient (dimension 4)');
  });

  it('with λ = 0 is L-BFGS: quadratics and the GLM problems reach their optima', () => {
    const q = randomQuadratic(77, 9);
    const rq = new OwlqnSolver({ l1Penalty: 0, gradientTolerance: 1e-10 }).minimize(q);
    expect(rq.status).toBe('converged');
    expect(maxAbsDiff(rq.weights, solveSpd(q.a, q.b))).toBeLessThan(1e-8);
    for (const problem of glmProblems()) {
      const result = new OwlqnSolver({ l1Penalty: 0, gradientTolerance: 1e-9 }).minimize(problem.objective);
      expect(result.status, problem.name).toBe('converged');
      expect(maxAbsDiff(result.weights, problem.optimum), problem.name).toBeLessThan(1e-7);
    }
  });

  it('pseudo-gradient follows Andrew & Gao eq. 4', () => {
    const out = new Float64Array(5);
    pseudoGradient(Float64Array.of(1, -1, 0, 0, 0), Float64Array.of(0.5, 0.5, -2, 2, 0.5), Float64Array.of(1, 1, 1, 1, 1), out);
    expect(Array.from(out)).toEqual([1.5, -0.5, -1, 1, 0]);
  });

  it("says 'max-iterations' and 'not-improving' when it should", () => {
    const { objective } = logisticProblem();
    const capped = new OwlqnSolver({ l1Penalty: 0.5, maxIterations: 2, gradientTolerance: 1e-12 }).minimize(objective);
    expect(capped.status).toBe('max-iterations');
    expect(capped.objective).toBeLessThan(capped.initialObjective);
    const stuck = new OwlqnSolver({ l1Penalty: 0.5 }).minimize(new LyingObjective(objective));
    expect(stuck.status).toBe('not-improving');
    expect(stuck.message).toContain('no step was accepted');
  });

  it('validates options once, naming field, value and constraint', () => {
    const o = new OwlqnSolver({ l1Penalty: 2 }).options;
    expect(o).toEqual({ ...DEFAULT_OWLQN_OPTIONS, l1Penalty: 2 });
    expect(() => new OwlqnSolver({ l1Penalty: -1 })).toThrow('l1Penalty (-1) must be a finite number >= 0');
    expect(() => new OwlqnSolver({ l1Penalty: Float64Array.of(0, Number.NaN) })).toThrow('l1Penalty[1] (NaN) must be a finite number >= 0');
    expect(() => new OwlqnSolver({} as OwlqnOptions)).toThrow('l1Penalty (undefined) must be a number or a Float64Array');
    expect(() => new OwlqnSolver({ l1Penalty: 1, memory: 1.5 })).toThrow('memory (1.5) must be an integer in [1, 1000]');
  });
});
