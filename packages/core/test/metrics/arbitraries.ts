import fc from 'fast-check';
import { expect } from 'vitest';

// Shared generators and comparison helpers for the metric property tests (not a test file).

export interface Dataset {
  readonly predictions: ArrayLike<number>;
  readonly labels: ArrayLike<number>;
  /** undefined: unweighted. */
  readonly weights: ArrayLike<number> | undefined;
}

/** Few distinct values, so ties are frequent (and include the ends 0 and 1). */
export const tiedPrediction = fc.constantFrom(0, 0.1, 0.25, 0.5, 0.75, 0.9, 1);
export const anyPrediction = fc.double({ min: 0, max: 1, noNaN: true });
export const label = fc.constantFrom(0, 1);
/** Zero, small integers and wide-ranging reals. */
export const realWeight = fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 5 }), fc.double({ min: 1e-3, max: 1e3, noNaN: true }));
/** Integer weights keep every sum exact, for tests whose reference must make identical rounding decisions. */
export const integerWeight = fc.integer({ min: 0, max: 5 });

export interface DatasetShape {
  readonly prediction?: fc.Arbitrary<number>;
  readonly weight?: fc.Arbitrary<number>;
  readonly minLength?: number;
  readonly maxLength?: number;
}

/**
 * Rows with predictions from tied values, arbitrary doubles, or a mix of both; weighted or not;
 * as plain arrays or typed arrays (Float64Array predictions/weights, Uint8Array labels).
 */
export function dataset(shape: DatasetShape = {}): fc.Arbitrary<Dataset> {
  const prediction = shape.prediction ?? fc.oneof(tiedPrediction, anyPrediction);
  const weight = shape.weight ?? realWeight;
  const rows = fc.array(fc.record({ p: prediction, y: label, w: weight }), {
    minLength: shape.minLength ?? 0,
    maxLength: shape.maxLength ?? 120,
  });
  return fc.tuple(rows, fc.boolean(), fc.boolean()).map(([rs, weighted, typed]) => {
    const p = rs.map((r) => r.p);
    const y = rs.map((r) => r.y);
    const w = rs.map((r) => r.w);
    return typed
      ? { predictions: Float64Array.from(p), labels: Uint8Array.from(y), weights: weighted ? Float64Array.from(w) : undefined }
      : { predictions: p, labels: y, weights: weighted ? w : undefined };
  });
}

/** Datasets where predictions come only from a small set (many ties), only from doubles, or mixed. */
export const anyDataset = fc.oneof(dataset({ prediction: tiedPrediction }), dataset({ prediction: anyPrediction }), dataset());

export function weightOf(d: Dataset, i: number): number {
  return d.weights === undefined ? 1 : d.weights[i]!;
}

/** |actual - expected| <= rel · max(|actual|, |expected|) + abs; NaN matches NaN, infinities match exactly. */
export function expectClose(actual: number, expected: number, rel = 1e-12, abs = 0): void {
  if (Number.isNaN(expected) || !Number.isFinite(expected)) {
    expect(actual).toBe(expected);
    return;
  }
  const bound = rel * Math.max(Math.abs(actual), Math.abs(expected)) + abs;
  expect(Math.abs(actual - expected), `${actual} vs expected ${expected}`).toBeLessThanOrEqual(bound);
}
