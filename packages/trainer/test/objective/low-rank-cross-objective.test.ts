import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { SeededRng } from '@laserkit/core';
import { csrFromRows, withInterceptColumn } from '../../src/data/csr-matrix.js';
import { logisticLoss } from '../../src/loss/logistic.js';
import { LowRankCrossObjective } from '../../src/objective/low-rank-cross-objective.js';

function problem(seed: number) {
  const rng = new SeededRng(seed);
  const rows = 30;
  const randomRow = (dim: number, p: number) => Array.from({ length: dim }, (_, j) => j).filter(() => rng.nextFloat() < p);
  const left = csrFromRows(6, Array.from({ length: rows }, () => ({ indices: randomRow(6, 0.5), values: undefined })).map((r) => ({ indices: r.indices, values: r.indices.map(() => 0.5 + rng.nextFloat()) })));
  const right = csrFromRows(4, Array.from({ length: rows }, () => randomRow(4, 0.6)));
  const x = withInterceptColumn(csrFromRows(5, Array.from({ length: rows }, () => randomRow(5, 0.4))));
  const labels = Float64Array.from({ length: rows }, () => (rng.nextFloat() < 0.3 ? 1 : 0));
  const weights = Float64Array.from({ length: rows }, () => 0.5 + rng.nextFloat());
  const offsets = Float64Array.from({ length: rows }, () => rng.nextNormal() * 0.3);
  const linearPrecision = Float64Array.from({ length: 6 }, (_, j) => (j === 5 ? 0 : 0.7));
  const objective = new LowRankCrossObjective(
    { x, labels, weights, offsets, crosses: [{ left, right, rank: 3 }, { left: right, right: left, rank: 2 }], linearPrecision, linearPriorMean: Float64Array.from({ length: 6 }, () => rng.nextNormal() * 0.1), factorPrecision: 0.3, interceptColumn: 5 },
    logisticLoss,
  );
  const theta = Float64Array.from({ length: objective.dimension }, () => rng.nextNormal() * 0.5);
  return { objective, theta, x, left, right, labels, weights, offsets };
}

describe('LowRankCrossObjective', () => {
  it('has the dimension [w, U1, V1, U2, V2]', () => {
    const { objective } = problem(1);
    expect(objective.dimension).toBe(6 + 6 * 3 + 4 * 3 + 4 * 2 + 6 * 2);
    expect(objective.crossOffsets).toEqual([{ u: 6, v: 24 }, { u: 36, v: 44 }]);
  });

  it('gradient matches central finite differences', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e6 }), (seed) => {
        const { objective, theta } = problem(seed);
        const g = new Float64Array(objective.dimension);
        const f = objective.valueAndGradient(theta, g);
        expect(f).toBeCloseTo(objective.value(theta), 10);
        const h = 1e-6;
        for (let j = 0; j < objective.dimension; j++) {
          const plus = Float64Array.from(theta);
          const minus = Float64Array.from(theta);
          plus[j]! += h;
          minus[j]! -= h;
          const fd = (objective.value(plus) - objective.value(minus)) / (2 * h);
          expect(Math.abs(fd - g[j]!)).toBeLessThan(1e-5 * Math.max(1, Math.abs(fd)));
        }
      }),
      { numRuns: 20 },
    );
  });

  it('the value is the weighted loss of offset + x·w + Σ (xᵀU)(Vᵀx) plus the priors', () => {
    const { objective, theta, labels, weights, offsets } = problem(7);
    const margins = new Float64Array(labels.length);
    objective.margins(theta, margins);
    let f = 0;
    for (let i = 0; i < labels.length; i++) {
      const s = offsets[i]! + margins[i]!;
      f += weights[i]! * (Math.log1p(Math.exp(s)) - labels[i]! * s);
    }
    // Penalties recomputed independently: the objective with every row's weight zero is the prior part.
    const zero = new LowRankCrossObjective({ ...(objective as unknown as { init: ConstructorParameters<typeof LowRankCrossObjective>[0] }).init, weights: new Float64Array(labels.length) }, logisticLoss);
    expect(objective.value(theta)).toBeCloseTo(f + zero.value(theta), 9);
  });
});
