import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { LaserError, SeededRng } from '@laserkit/core';
import { createDataset, csrFromRows, withInterceptColumn } from '../../src/data/csr-matrix.js';
import { logisticLoss } from '../../src/loss/logistic.js';
import { poissonLoss } from '../../src/loss/poisson.js';
import { squaredLoss } from '../../src/loss/squared.js';
import type { DifferentiableLoss, TwiceDifferentiableLoss } from '../../src/loss/pointwise-loss.js';
import { GlmObjective, TwiceDifferentiableGlmObjective, glmObjective, type GlmObjectiveOptions } from '../../src/objective/glm-objective.js';
import type { TwiceDifferentiableObjective } from '../../src/objective/objective.js';
import { denseRows, finiteDifferenceGradient, randomDataset, type LabelKind } from '../helpers.js';

const LOSSES: readonly [TwiceDifferentiableLoss, LabelKind][] = [
  [logisticLoss, 'binary'],
  [squaredLoss, 'real'],
  [poissonLoss, 'count'],
];

/** A random small GLM problem and a point, all drawn from one seed. */
const problemArb = fc.record({
  seed: fc.integer({ min: 0, max: 0xffffffff }),
  rows: fc.integer({ min: 1, max: 12 }),
  cols: fc.integer({ min: 1, max: 6 }),
  density: fc.double({ min: 0.2, max: 1, noNaN: true }),
  binaryFeatures: fc.boolean(),
  withWeights: fc.boolean(),
  withOffsets: fc.boolean(),
  withIntercept: fc.boolean(),
  precision: fc.oneof(fc.constant('none'), fc.constant('scalar'), fc.constant('array')),
  withPriorMean: fc.boolean(),
});

type ProblemSpec = typeof problemArb extends fc.Arbitrary<infer T> ? T : never;

function build(spec: ProblemSpec, loss: TwiceDifferentiableLoss, labelKind: LabelKind): { objective: TwiceDifferentiableGlmObjective; w: Float64Array } {
  const ds = randomDataset({ ...spec, labelKind });
  const rng = new SeededRng(spec.seed).fork('objective');
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
  const w = Float64Array.from({ length: n }, () => 0.5 * rng.nextNormal());
  return { objective: glmObjective(ds, loss, options), w };
}

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, rtol: number): void {
  let scale = 1;
  for (let j = 0; j < expected.length; j++) scale = Math.max(scale, Math.abs(expected[j]!));
  for (let j = 0; j < expected.length; j++) {
    const err = Math.abs(actual[j]! - expected[j]!);
    if (err > rtol * scale) throw new Error(`component ${j}: ${actual[j]} vs ${expected[j]} (error ${err} > ${rtol} × ${scale})`);
  }
}

/** H v by central differences of the gradient. */
function finiteDifferenceHv(objective: TwiceDifferentiableObjective, w: Float64Array, v: Float64Array, h = 1e-6): Float64Array {
  const n = w.length;
  const gp = new Float64Array(n);
  const gm = new Float64Array(n);
  objective.valueAndGradient(w.map((x, j) => x + h * v[j]!), gp);
  objective.valueAndGradient(w.map((x, j) => x - h * v[j]!), gm);
  return gp.map((x, j) => (x - gm[j]!) / (2 * h));
}

describe('GlmObjective', () => {
  for (const [loss, labelKind] of LOSSES) {
    it(`${loss.name}: gradient matches central differences (weights, offsets, prior means and precisions, intercept)`, () => {
      fc.assert(
        fc.property(problemArb, (spec) => {
          const { objective, w } = build(spec, loss, labelKind);
          const g = new Float64Array(objective.dimension);
          const f = objective.valueAndGradient(w, g);
          expect(f).toBeCloseTo(objective.value(w), 10);
          expectClose(g, finiteDifferenceGradient(objective, w), 1e-5);
        }),
        { numRuns: 150 },
      );
    });

    it(`${loss.name}: Hessian-vector products match central differences of the gradient, at the last valueAndGradient point`, () => {
      fc.assert(
        fc.property(problemArb, fc.integer({ min: 0, max: 0xffffffff }), (spec, vSeed) => {
          const { objective, w } = build(spec, loss, labelKind);
          const rng = new SeededRng(vSeed);
          const v = Float64Array.from({ length: objective.dimension }, () => rng.nextNormal());
          const expected = finiteDifferenceHv(objective, w, v);
          // Curvature is now cached at w − h v; moving it back to w is the caller's job.
          objective.valueAndGradient(w, new Float64Array(objective.dimension));
          const hv = new Float64Array(objective.dimension);
          objective.hessianVector(v, hv);
          expectClose(hv, expected, 1e-5);
          // value() must not move the cached curvature.
          objective.value(w.map((x) => x + 1));
          const again = new Float64Array(objective.dimension);
          objective.hessianVector(v, again);
          expect(Array.from(again)).toEqual(Array.from(hv));
        }),
        { numRuns: 150 },
      );
    });

    it(`${loss.name}: hessianDiagonal equals the diagonal of H read off Hv on unit vectors`, () => {
      fc.assert(
        fc.property(problemArb, (spec) => {
          const { objective, w } = build(spec, loss, labelKind);
          const n = objective.dimension;
          objective.valueAndGradient(w, new Float64Array(n));
          const diag = new Float64Array(n);
          objective.hessianDiagonal(diag);
          const e = new Float64Array(n);
          const col = new Float64Array(n);
          for (let j = 0; j < n; j++) {
            e.fill(0);
            e[j] = 1;
            objective.hessianVector(e, col);
            expect(diag[j]).toBeCloseTo(col[j]!, 12);
          }
        }),
        { numRuns: 100 },
      );
    });
  }

  it('computes the documented objective on a hand-checked example', () => {
    // Two rows, binary features, one offset, one weight, prior mean and precision on column 0.
    const x = csrFromRows(2, [[0], [0, 1]]);
    const ds = createDataset({ x, labels: Float64Array.of(1, 3), weights: Float64Array.of(2, 1), offsets: Float64Array.of(0.5, 0) });
    const objective = glmObjective(ds, squaredLoss, { priorPrecision: Float64Array.of(4, 0), priorMean: Float64Array.of(1, 0) });
    const w = Float64Array.of(2, -1);
    // row 0: z = 2.5, ½(1.5)² × 2 = 2.25; row 1: z = 1, ½(−2)² = 2; prior ½·4·(2 − 1)² = 2.
    const g = new Float64Array(2);
    expect(objective.valueAndGradient(w, g)).toBeCloseTo(6.25, 14);
    // ∂/∂w0 = 2·1.5 + (−2) + 4·1 = 5; ∂/∂w1 = −2.
    expect(Array.from(g)).toEqual([5, -2]);
  });

  it('rows with weight 0 contribute nothing, even where the loss is infinite', () => {
    const x = csrFromRows(1, [[0], [0]]);
    const ds = createDataset({ x, labels: Float64Array.of(0, 0), weights: Float64Array.of(1, 0), offsets: Float64Array.of(0, 800) });
    const objective = glmObjective(ds, poissonLoss);
    const g = new Float64Array(1);
    expect(objective.valueAndGradient(Float64Array.of(0), g)).toBe(1);
    expect(g[0]).toBe(1);
  });

  it('matches a dense computation on a larger valued problem', () => {
    const ds = randomDataset({
      seed: 5,
      rows: 300,
      cols: 20,
      density: 0.3,
      labelKind: 'binary',
      binaryFeatures: false,
      withWeights: true,
      withOffsets: true,
      withIntercept: true,
    });
    const objective = glmObjective(ds, logisticLoss, { priorPrecision: 0.5, interceptColumn: 20 });
    const rng = new SeededRng(9);
    const w = Float64Array.from({ length: 21 }, () => rng.nextNormal());
    const X = denseRows(ds);
    let f = 0;
    for (let i = 0; i < 300; i++) {
      let z = ds.offsets![i]!;
      for (let j = 0; j < 21; j++) z += X[i * 21 + j]! * w[j]!;
      const p = 1 / (1 + Math.exp(-z));
      f += ds.weights![i]! * -(ds.labels[i]! * Math.log(p) + (1 - ds.labels[i]!) * Math.log(1 - p));
    }
    for (let j = 0; j < 20; j++) f += 0.25 * w[j]! * w[j]!;
    expect(objective.value(w)).toBeCloseTo(f, 9);
  });

  it('validates labels against the loss, naming field, value and constraint', () => {
    const x = csrFromRows(1, [[0], [0]]);
    const ds = createDataset({ x, labels: Float64Array.of(1, 0.5) });
    expect(() => glmObjective(ds, logisticLoss)).toThrow('labels[1] (0.5) must be 0 or 1 for the logistic loss');
    const neg = createDataset({ x, labels: Float64Array.of(-1, 2) });
    expect(() => glmObjective(neg, poissonLoss)).toThrow('labels[0] (-1) must be a finite number >= 0 for the poisson loss');
    expect(() => glmObjective(neg, squaredLoss)).not.toThrow();
  });

  it('validates prior and intercept options', () => {
    const x = withInterceptColumn(csrFromRows(2, [[0], [1]]));
    const ds = createDataset({ x, labels: Float64Array.of(1, 0) });
    expect(() => glmObjective(ds, logisticLoss, { priorPrecision: -1 })).toThrow('priorPrecision (-1) must be a finite number >= 0');
    expect(() => glmObjective(ds, logisticLoss, { priorPrecision: Float64Array.of(1, Number.NaN, 0) })).toThrow('priorPrecision[1] (NaN)');
    expect(() => glmObjective(ds, logisticLoss, { priorPrecision: Float64Array.of(1, 1) })).toThrow('one entry per column (3)');
    expect(() => glmObjective(ds, logisticLoss, { priorPrecision: Float64Array.of(1, 1, 1), interceptColumn: 2 })).toThrow(
      'priorPrecision[2] (1) must be 0 at the intercept column',
    );
    expect(() => glmObjective(ds, logisticLoss, { priorMean: Float64Array.of(0, Infinity, 0) })).toThrow('priorMean[1] (Infinity) must be a finite number');
    expect(() => glmObjective(ds, logisticLoss, { interceptColumn: 3 })).toThrow('interceptColumn (3) must be null or an integer in [0, 2]');
    expect(() => glmObjective(ds, logisticLoss, { interceptColumn: 0 })).toThrow('x[1][0] (0) must be 1 in the intercept column');
    expect(() => glmObjective(ds, logisticLoss, { priorPrecison: 1 } as GlmObjectiveOptions)).toThrow('options.priorPrecison (1) is not a known option');
    // A scalar precision skips the intercept column.
    const objective = glmObjective(ds, logisticLoss, { priorPrecision: 2, interceptColumn: 2 });
    expect(Array.from(objective.priorPrecision)).toEqual([2, 2, 0]);
    expect(objective.interceptIndex).toBe(2);
    expect(() => objective.value(new Float64Array(2))).toThrow('w (Float64Array(length 2)) must be a Float64Array of length dimension (3)');
  });

  it('refuses Hessian products before any curvature is cached', () => {
    const ds = createDataset({ x: csrFromRows(1, [[0]]), labels: Float64Array.of(1) });
    const objective = glmObjective(ds, logisticLoss);
    expect(() => objective.hessianVector(Float64Array.of(1), new Float64Array(1))).toThrow(LaserError);
  });

  it('with a first-order loss offers no curvature, and the types say so', () => {
    const absLike: DifferentiableLoss = {
      name: 'pseudo-huber',
      labelConstraint: 'must be a finite number',
      isValidLabel: Number.isFinite,
      value: (z, y) => Math.sqrt(1 + (z - y) ** 2) - 1,
      derivative: (z, y) => (z - y) / Math.sqrt(1 + (z - y) ** 2),
      evaluate(z, y, out) {
        out.value = this.value(z, y);
        out.derivative = this.derivative(z, y);
      },
    };
    const ds = createDataset({ x: csrFromRows(1, [[0], [0]]), labels: Float64Array.of(1, 2) });
    const objective = glmObjective(ds, absLike);
    expect(objective).toBeInstanceOf(GlmObjective);
    expect(objective).not.toBeInstanceOf(TwiceDifferentiableGlmObjective);
    // @ts-expect-error a first-order objective has no hessianVector
    expect(objective.hessianVector).toBeUndefined();
    const g = new Float64Array(1);
    objective.valueAndGradient(Float64Array.of(0.5), g);
    expect(g[0]).toBeCloseTo(finiteDifferenceGradient(objective, Float64Array.of(0.5))[0]!, 8);
  });
});
