import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { LaserError } from '@laserkit/core';
import { DEFAULT_TRON_OPTIONS, TronSolver, liblinearGradientTolerance, type TronOptions } from '../../src/solver/tron.js';
import { gradientNormAt, type TronIterationRecord } from '../../src/solver/solver-result.js';
import type { DifferentiableObjective } from '../../src/objective/objective.js';
import { LyingObjective, maxAbsDiff, randomQuadratic, solveSpd } from '../helpers.js';
import { glmProblems, logisticProblem } from './problems.js';

describe('TronSolver', () => {
  for (const preconditioning of [true, false]) {
    it(`minimises strongly convex quadratics to the closed-form A⁻¹b (preconditioning ${preconditioning})`, () => {
      fc.assert(
        fc.property(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 1, max: 12 }), (seed, n) => {
          const q = randomQuadratic(seed, n);
          const result = new TronSolver({ gradientTolerance: 1e-10, preconditioning }).minimize(q);
          expect(result.status).toBe('converged');
          expect(maxAbsDiff(result.weights, solveSpd(q.a, q.b))).toBeLessThan(1e-8);
        }),
        { numRuns: 50 },
      );
    });
  }

  for (const problem of glmProblems()) {
    it(`${problem.name}: reaches the reference optimum`, () => {
      const result = new TronSolver({ gradientTolerance: 1e-9 }).minimize(problem.objective);
      expect(result.status).toBe('converged');
      expect(maxAbsDiff(result.weights, problem.optimum)).toBeLessThan(1e-7);
      expect(result.gradientNorm).toBeLessThanOrEqual(result.gradientThreshold);
      expect(result.objective).toBeLessThan(result.initialObjective);
      expect(result.hessianVectorProducts).toBeGreaterThan(0);
    });
  }

  it('logs every iteration, with cumulative counters, through onIteration and history', () => {
    const seen: TronIterationRecord[] = [];
    const { objective } = logisticProblem();
    const result = new TronSolver({ onIteration: (r) => seen.push(r) }).minimize(objective);
    expect(seen).toEqual(result.history);
    expect(result.history.length).toBe(result.iterations);
    for (let k = 1; k < seen.length; k++) {
      const [a, b] = [seen[k - 1]!, seen[k]!];
      expect(b.iteration).toBe(a.iteration + 1);
      expect(b.functionEvaluations).toBeGreaterThan(a.functionEvaluations);
      expect(b.hessianVectorProducts).toBeGreaterThanOrEqual(a.hessianVectorProducts);
      expect(b.objective).toBeLessThanOrEqual(a.objective);
      expect(b.trustRadius).toBeGreaterThan(0);
    }
    expect(result.functionEvaluations).toBe(seen.at(-1)!.functionEvaluations);
  });

  it("says 'max-iterations' when the budget runs out, after making progress", () => {
    const { objective } = logisticProblem();
    const result = new TronSolver({ maxIterations: 2, gradientTolerance: 1e-12 }).minimize(objective);
    expect(result.status).toBe('max-iterations');
    expect(result.iterations).toBe(2);
    expect(result.history).toHaveLength(2);
    expect(result.objective).toBeLessThan(result.initialObjective);
  });

  it("says 'not-improving', and that it returns the start, when no step from the start decreases f", () => {
    const { objective } = logisticProblem();
    const start = new Float64Array(objective.dimension).fill(0.1);
    const result = new TronSolver().minimize(new LyingObjective(objective), start);
    expect(result.status).toBe('not-improving');
    expect(result.message).toContain('no step was accepted');
    expect(Array.from(result.weights)).toEqual(Array.from(start));
    expect(result.history.every((r) => !r.accepted)).toBe(true);
    expect(result.objective).toBe(result.initialObjective);
  });

  it("warm-started at the optimum with liblinear's reference norm ‖∇f(0)‖, says 'converged' after 0 iterations", () => {
    const { objective } = logisticProblem();
    const solver = new TronSolver({ gradientTolerance: 1e-8 });
    const optimum = solver.minimize(objective).weights;
    const reference = gradientNormAt(objective, new Float64Array(objective.dimension));
    const warm = new TronSolver({ gradientTolerance: 1e-6, referenceGradientNorm: reference }).minimize(objective, optimum);
    expect(warm.status).toBe('converged');
    expect(warm.iterations).toBe(0);
    expect(warm.weights).not.toBe(optimum); // a copy, never the caller's array
  });

  it('computes liblinear’s -s 0 tolerance eps·max(min(#pos, #neg), 1)/l', () => {
    expect(liblinearGradientTolerance(0.01, Float64Array.of(1, 0, 0, 0))).toBeCloseTo(0.0025, 15);
    expect(liblinearGradientTolerance(0.01, [1, 1, -1, -1, -1])).toBeCloseTo(0.004, 15);
    expect(liblinearGradientTolerance(0.01, [0, 0])).toBeCloseTo(0.005, 15);
    expect(() => liblinearGradientTolerance(0, [1])).toThrow('eps (0) must be a finite number > 0');
  });

  it('validates options once, naming field, value and constraint', () => {
    expect(new TronSolver().options).toEqual(DEFAULT_TRON_OPTIONS);
    expect(() => new TronSolver({ gradientTolerance: -1 })).toThrow('gradientTolerance (-1) must be a number in [0, 1)');
    expect(() => new TronSolver({ maxIterations: 2.5 })).toThrow('maxIterations (2.5) must be an integer >= 1');
    expect(() => new TronSolver({ cgTolerance: 1 })).toThrow('cgTolerance (1) must be a number in (0, 1)');
    expect(() => new TronSolver({ maxCgIterations: 0 })).toThrow('maxCgIterations (0) must be null or an integer >= 1');
    expect(() => new TronSolver({ referenceGradientNorm: 0 })).toThrow('referenceGradientNorm (0) must be null or a finite number > 0');
    expect(() => new TronSolver({ maxIteration: 5 } as TronOptions)).toThrow('options.maxIteration (5) is not a known option');
    const { objective } = logisticProblem();
    expect(() => new TronSolver().minimize(objective, new Float64Array(3))).toThrow(
      `initialWeights (Float64Array(length 3)) must be a Float64Array of length dimension (${objective.dimension})`,
    );
    const nan = new Float64Array(objective.dimension);
    nan[1] = Number.NaN;
    expect(() => new TronSolver().minimize(objective, nan)).toThrow(LaserError);
  });

  it('accepts only twice-differentiable objectives (checked by the compiler)', () => {
    const firstOrder: DifferentiableObjective = {
      dimension: 1,
      interceptIndex: null,
      value: (w) => (w[0]! - 1) ** 2,
      valueAndGradient: (w, g) => {
        g[0] = 2 * (w[0]! - 1);
        return (w[0]! - 1) ** 2;
      },
    };
    const run = (): unknown =>
      // @ts-expect-error TRON needs hessianVector and hessianDiagonal
      new TronSolver().minimize(firstOrder);
    expect(run).toThrow(TypeError);
  });
});
