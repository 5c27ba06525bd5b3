import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { calibrationCurve } from '../../src/metrics/index.js';
import type { CalibrationBin, CalibrationCurve } from '../../src/metrics/index.js';
import { anyDataset, dataset, expectClose, integerWeight, weightOf } from './arbitraries.js';
import type { Dataset } from './arbitraries.js';

interface RefBin {
  lower: number;
  upper: number;
  count: number;
  weight: number;
  wp: number;
  wy: number;
}

/** Aggregates rows by a reference bin label; returns the non-empty bins in ascending label order. */
function aggregate(d: Dataset, labelOf: (i: number) => number, bounds: (label: number, members: number[]) => [number, number]): RefBin[] {
  const members = new Map<number, number[]>();
  for (let i = 0; i < d.predictions.length; i++) {
    const label = labelOf(i);
    members.set(label, [...(members.get(label) ?? []), i]);
  }
  return [...members.keys()]
    .sort((a, b) => a - b)
    .map((label) => {
      const rows = members.get(label)!;
      const [lower, upper] = bounds(label, rows);
      const bin: RefBin = { lower, upper, count: rows.length, weight: 0, wp: 0, wy: 0 };
      for (const i of rows) {
        bin.weight += weightOf(d, i);
        bin.wp += weightOf(d, i) * d.predictions[i]!;
        bin.wy += weightOf(d, i) * d.labels[i]!;
      }
      return bin;
    });
}

/** Per-bin stats and ECE = Σ (W_b / W) |mean prediction - observed rate| against the reference bins. */
function expectCurve(actual: CalibrationCurve, ref: RefBin[]): void {
  expect(actual.bins.length).toBe(ref.length);
  let total = 0;
  let ece = 0;
  for (let b = 0; b < ref.length; b++) {
    const got: CalibrationBin = actual.bins[b]!;
    const want = ref[b]!;
    expect(got.lower).toBe(want.lower);
    expect(got.upper).toBe(want.upper);
    expect(got.count).toBe(want.count);
    expectClose(got.weight, want.weight);
    expectClose(got.meanPrediction, want.wp / want.weight);
    expectClose(got.observedRate, want.wy / want.weight);
    total += want.weight;
  }
  for (const bin of ref) if (bin.weight > 0) ece += (bin.weight / total) * Math.abs(bin.wp / bin.weight - bin.wy / bin.weight);
  expectClose(actual.expectedCalibrationError, total > 0 ? ece : Number.NaN, 1e-12, 1e-12);
}

function totalWeight(d: Dataset): number {
  let total = 0;
  for (let i = 0; i < d.predictions.length; i++) total += weightOf(d, i);
  return total;
}

const binCount = fc.integer({ min: 1, max: 25 });

describe('calibrationCurve, uniform', () => {
  it('bins rows by [k/bins, (k+1)/bins) (last closed) and aggregates them', () => {
    fc.assert(
      fc.property(anyDataset, binCount, (d, bins) => {
        const curve = calibrationCurve(d.predictions, d.labels, { bins, strategy: 'uniform', weights: d.weights });
        const ref = aggregate(
          d,
          (i) => {
            let k = 0;
            while (k < bins - 1 && d.predictions[i]! >= (k + 1) / bins) k++;
            return k;
          },
          (k) => [k / bins, (k + 1) / bins],
        );
        expectCurve(curve, ref);
      }),
      { numRuns: 300 },
    );
  });

  it('puts an edge value k/bins in the bin starting at k/bins', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 200 }), (bins) => {
        const p = Array.from({ length: bins + 1 }, (_, k) => k / bins);
        const curve = calibrationCurve(p, p.map(() => 0), { bins });
        expect(curve.bins.length).toBe(bins);
        for (let k = 0; k < bins; k++) {
          expect(curve.bins[k]!.lower).toBe(k / bins);
          expect(curve.bins[k]!.count).toBe(k === bins - 1 ? 2 : 1);
        }
      }),
    );
  });

  it('defaults to 10 uniform bins and omits empty ones', () => {
    const curve = calibrationCurve([0.05, 0.15, 0.15, 0.95], [0, 1, 0, 1]);
    expect(curve.bins.map((b) => [b.lower, b.upper, b.count])).toEqual([
      [0, 0.1, 1],
      [0.1, 0.2, 2],
      [0.9, 1, 1],
    ]);
    expect(curve.bins.map((b) => b.observedRate)).toEqual([0, 0.5, 1]);
    expectClose(curve.bins[1]!.meanPrediction, 0.15);
    // (1 · 0.05 + 2 · 0.35 + 1 · 0.05) / 4
    expectClose(curve.expectedCalibrationError, 0.2);
  });
});

describe('calibrationCurve, quantile', () => {
  it('splits at floor(bins · mass below / total mass) and never splits ties (exact integer weights)', () => {
    fc.assert(
      fc.property(dataset({ weight: integerWeight }), binCount, (d, bins) => {
        const curve = calibrationCurve(d.predictions, d.labels, { bins, strategy: 'quantile', weights: d.weights });
        const byWeight = d.weights !== undefined && totalWeight(d) > 0;
        const massOf = (i: number): number => (byWeight ? weightOf(d, i) : 1);
        let mass = 0;
        for (let i = 0; i < d.predictions.length; i++) mass += massOf(i);
        const ref = aggregate(
          d,
          (i) => {
            let below = 0;
            for (let j = 0; j < d.predictions.length; j++) if (d.predictions[j]! < d.predictions[i]!) below += massOf(j);
            return Math.min(bins - 1, Math.floor((bins * below) / mass));
          },
          (_, rows) => [Math.min(...rows.map((i) => d.predictions[i]!)), Math.max(...rows.map((i) => d.predictions[i]!))],
        );
        expect(curve.bins.length).toBeLessThanOrEqual(bins);
        expectCurve(curve, ref);
      }),
      { numRuns: 300 },
    );
  });

  it('equal-count bins on distinct predictions', () => {
    const p = Array.from({ length: 100 }, (_, i) => i / 100);
    const curve = calibrationCurve(p, p.map((_, i) => i % 2), { bins: 10, strategy: 'quantile' });
    expect(curve.bins.map((b) => b.count)).toEqual(new Array(10).fill(10));
    expect(curve.bins.map((b) => b.lower)).toEqual(Array.from({ length: 10 }, (_, b) => (10 * b) / 100));
    expect(curve.bins.map((b) => b.upper)).toEqual(Array.from({ length: 10 }, (_, b) => (10 * b + 9) / 100));
  });

  it('equal-weight bins when weighted', () => {
    // Weights 3,1,1,1,1,1 (total 8) in 2 bins: the first bin closes once half the weight is below.
    const curve = calibrationCurve([0.1, 0.2, 0.3, 0.4, 0.5, 0.6], [0, 0, 0, 1, 1, 1], { bins: 2, strategy: 'quantile', weights: [3, 1, 1, 1, 1, 1] });
    expect(curve.bins.map((b) => [b.lower, b.upper, b.count, b.weight])).toEqual([
      [0.1, 0.2, 2, 4],
      [0.3, 0.6, 4, 4],
    ]);
  });

  it('all-tied predictions form one bin', () => {
    const curve = calibrationCurve([0.4, 0.4, 0.4], [1, 0, 0], { bins: 3, strategy: 'quantile' });
    expect(curve.bins).toHaveLength(1);
    expect(curve.bins[0]).toMatchObject({ lower: 0.4, upper: 0.4, count: 3, weight: 3 });
    expectClose(curve.bins[0]!.meanPrediction, 0.4);
    expectClose(curve.bins[0]!.observedRate, 1 / 3);
  });
});

describe('calibrationCurve, both strategies', () => {
  it('bins are ordered, disjoint, cover every row, and counts and weights add up', () => {
    fc.assert(
      fc.property(anyDataset, binCount, fc.constantFrom('uniform' as const, 'quantile' as const), (d, bins, strategy) => {
        const curve = calibrationCurve(d.predictions, d.labels, { bins, strategy, weights: d.weights });
        let count = 0;
        let weight = 0;
        for (let b = 0; b < curve.bins.length; b++) {
          const bin = curve.bins[b]!;
          expect(bin.count).toBeGreaterThan(0);
          expect(bin.lower).toBeLessThanOrEqual(bin.upper);
          if (b > 0) {
            if (strategy === 'quantile') expect(bin.lower).toBeGreaterThan(curve.bins[b - 1]!.upper);
            else expect(bin.lower).toBeGreaterThanOrEqual(curve.bins[b - 1]!.upper);
          }
          count += bin.count;
          weight += bin.weight;
        }
        expect(count).toBe(d.predictions.length);
        expectClose(weight, totalWeight(d));
        // Every row lies in exactly one bin (uniform bins are half-open except the last).
        for (let i = 0; i < d.predictions.length; i++) {
          const p = d.predictions[i]!;
          const inside = curve.bins.filter((bin, b) =>
            strategy === 'uniform' && b < curve.bins.length - 1 ? bin.lower <= p && p < bin.upper : bin.lower <= p && p <= bin.upper,
          );
          expect(inside).toHaveLength(1);
        }
        const ece = curve.expectedCalibrationError;
        if (totalWeight(d) > 0) {
          expect(ece).toBeGreaterThanOrEqual(0);
          expect(ece).toBeLessThanOrEqual(1 + 1e-12);
        } else {
          expect(ece).toBeNaN();
        }
      }),
      { numRuns: 300 },
    );
  });

  it('empty input: no bins, NaN error', () => {
    for (const strategy of ['uniform', 'quantile'] as const) {
      const curve = calibrationCurve([], [], { strategy });
      expect(curve.bins).toEqual([]);
      expect(curve.expectedCalibrationError).toBeNaN();
    }
  });
});
