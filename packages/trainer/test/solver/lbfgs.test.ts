import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DEFAULT_LBFGS_OPTIONS, LbfgsSolver, type LbfgsOptions } from '../../src/solver/lbfgs.js';
import type { LineSearchIterationRecord } from '../../src/solver/solver-result.js';
import type { DifferentiableObjective } from '../../src/objective/objective.js';
import { LyingObjective, maxAbsDiff, randomQuadratic, solveSpd } from '../helpers.js';
import { glmProblems, logisticProblem } from './problems.js';

describe('LbfgsSolver', () => {
  it('minimises strongly convex quadratics to the closed-form A⁻¹b', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 12 }), (seed, n, memory) => {
        const q = randomQuadratic(seed, n);
        const result = new LbfgsSolver({ gradientTolerance: 1e-10, memory }).minimize(q);
        expect(result.status).toBe('converged');
        expect(maxAbsDiff(result.weights, solveSpd(q.a, q.b))).toBeLessThan(1e-8);
      }),
      { numRuns: 50 },
    );
  });

  for (const problem of glmProblems()) {
    it(`${problem.name}: reaches the reference optimum`, () => {
      const result = new LbfgsSolver({ gradientTolerance: 1e-9 }).minimize(problem.objective);
      expect(result.status).toBe('converged');
      expect(maxAbsDiff(result.weights, problem.optimum)).toBeLessThan(1e-7);
      expect(result.hessianVectorProducts).toBe(0);
    });
  }

  it('works on objectives that have only a first derivative', () => {
    // f(w) = Σ sqrt(1 + (w_j − j)²): smooth, minimum at w_j = j.
    const objective: DifferentiableObjective = {
      dimension: 4,
      interceptIndex: null,
      value: (w) => w.reduce((s, v, j) => s + Math.sqrt(1 + (v - j) ** 2), 0),
      valueAndGradient(w, g) {
        w.forEach((v, j) => (g[j] = (v - j) / Math.sqrt(1 + (v - j) ** 2)));
        return this.value(w);
      },
    };
    const result = new LbfgsSolver({ gradientTolerance: 1e-10 }).minimize(objective);
    expect(result.status).toBe('converged');
    expect(maxAbsDiff(result.weights, [0, 1, 2, 3])).toBeLessThan(1e-9);
  });

  it('logs every iteration with step sizes and cumulative counters', () => {
    const seen: LineSearchIterationRecord[] = [];
    const result = new LbfgsSolver({ onIteration: (r) => seen.push(r) }).minimize(logisticProblem().objective);
    expect(seen).toEqual(result.history);
    expect(seen.length).toBe(result.iterations);
    for (const r of seen) {
      expect(r.stepSize).toBeGreaterThan(0);
      expect(r.lineSearchEvaluations).toBeGreaterThanOrEqual(1);
    }
    for (let k = 1; k < seen.length; k++) {
      expect(seen[k]!.objective).toBeLessThan(seen[k - 1]!.objective);
      expect(seen[k]!.functionEvaluations).toBeGreaterThan(seen[k - 1]!.functionEvaluations);
    }
  });

  it("says 'max-iterations' when the budget runs out, after making progress", () => {
    const result = new LbfgsSolver({ maxIterations: 3, gradientTolerance: 1e-12 }).minimize(logisticProblem().objective);
    expect(result.status).toBe('max-iterations');
    expect(result.iterations).toBe(3);
    expect(result.objective).toBeLessThan(result.initialObjective);
  });

  it("says 'not-improving', and that it returns the start, when no step from the start decreases f", () => {
    const { objective } = logisticProblem();
    const result = new LbfgsSolver().minimize(new LyingObjective(objective));
    expect(result.status).toBe('not-improving');
    expect(result.message).toContain('no step was accepted');
    expect(Array.from(result.weights)).toEqual(new Array(objective.dimension).fill(0));
    expect(result.objective).toBe(result.initialObjective);
  });

  it('validates options once, naming field, value and constraint', () => {
    expect(new LbfgsSolver().options).toEqual(DEFAULT_LBFGS_OPTIONS);
    expect(() => new LbfgsSolver({ memory: 0 })).toThrow('memory (0) must be an integer in [1, 1000]');
    expect(() => new LbfgsSolver({ maxLineSearchEvaluations: 0 })).toThrow('maxLineSearchEvaluations (0) must be an integer in [1, 1000]');
    expect(() => new LbfgsSolver({ sufficientDecrease: 0.6 })).toThrow('sufficientDecrease (0.6) must be a number in (0, 0.5)');
    expect(() => new LbfgsSolver({ curvature: 1e-5 })).toThrow('curvature (0.00001) must be a number in (sufficientDecrease, 1 − 2·sufficientDecrease) = (0.0001, 0.9998)');
    expect(() => new LbfgsSolver({ gradientTolerance: Number.NaN })).toThrow('gradientTolerance (NaN)');
    expect(() => new LbfgsSolver({ onIteration: 5 } as unknown as LbfgsOptions)).toThrow('onIteration (5) must be null or a function');
  });
});
