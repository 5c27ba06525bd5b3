import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { auc } from '../../src/metrics/index.js';
import { anyDataset, dataset, expectClose, tiedPrediction, weightOf } from './arbitraries.js';
import type { Dataset } from './arbitraries.js';

/** O(n²) Mann-Whitney: every (positive, negative) pair weighs w_i w_j, wins 1, ties 1/2. */
function bruteAuc(d: Dataset): number {
  let wins = 0;
  let pairs = 0;
  for (let i = 0; i < d.predictions.length; i++) {
    if (d.labels[i] !== 1) continue;
    for (let j = 0; j < d.predictions.length; j++) {
      if (d.labels[j] !== 0) continue;
      const pw = weightOf(d, i) * weightOf(d, j);
      pairs += pw;
      if (d.predictions[i]! > d.predictions[j]!) wins += pw;
      else if (d.predictions[i]! === d.predictions[j]!) wins += pw / 2;
    }
  }
  return pairs > 0 ? wins / pairs : Number.NaN;
}

describe('auc', () => {
  it('equals the O(n²) pair count, weighted and unweighted, with and without ties', () => {
    fc.assert(
      fc.property(anyDataset, (d) => {
        expectClose(auc(d.predictions, d.labels, d.weights), bruteAuc(d));
      }),
      { numRuns: 300 },
    );
  });

  it('handles many ties on larger inputs', () => {
    fc.assert(
      fc.property(dataset({ prediction: tiedPrediction, minLength: 200, maxLength: 400 }), (d) => {
        expectClose(auc(d.predictions, d.labels, d.weights), bruteAuc(d));
      }),
      { numRuns: 30 },
    );
  });

  it('unit weights equal no weights; scaling all weights changes nothing', () => {
    fc.assert(
      fc.property(anyDataset, fc.integer({ min: 1, max: 1000 }), (d, scale) => {
        const plain = auc(d.predictions, d.labels);
        expect(auc(d.predictions, d.labels, new Float64Array(d.predictions.length).fill(1))).toBe(plain);
        if (d.weights !== undefined) {
          const w = Array.from(d.weights, (x) => x * scale);
          expectClose(auc(d.predictions, d.labels, w), auc(d.predictions, d.labels, d.weights));
        }
      }),
    );
  });

  it('is 1 - AUC when the scores are reversed', () => {
    // Tied values only: 1 - p could merge distinct tiny doubles into one tie.
    fc.assert(
      fc.property(dataset({ prediction: tiedPrediction }), (d) => {
        const a = auc(d.predictions, d.labels, d.weights);
        const r = auc(Array.from(d.predictions, (p) => 1 - p), d.labels, d.weights);
        if (Number.isNaN(a)) expect(r).toBeNaN();
        else expectClose(a + r, 1, 1e-12);
      }),
    );
  });

  it('known values: perfect 1, reversed 0, all tied 0.5', () => {
    expect(auc([0.1, 0.2, 0.8, 0.9], [0, 0, 1, 1])).toBe(1);
    expect(auc([0.9, 0.8, 0.2, 0.1], [0, 0, 1, 1])).toBe(0);
    expect(auc([0.3, 0.3, 0.3, 0.3, 0.3], [0, 1, 1, 0, 1])).toBe(0.5);
    expect(auc(new Float64Array([0.3, 0.3]), new Uint8Array([1, 0]), new Float64Array([2, 7]))).toBe(0.5);
    // Pairs: (0.8 vs 0.2) win, (0.8 vs 0.8) tie, (0.4 vs 0.2) win, (0.4 vs 0.8) loss → (1 + 0.5 + 1 + 0) / 4.
    expect(auc([0.8, 0.4, 0.2, 0.8], [1, 1, 0, 0])).toBe(0.625);
    // Weighted: positive 0.8 (w 3) and 0.4 (w 1), negative 0.6 (w 2): (3·2 + 0) / (4 · 2).
    expect(auc([0.8, 0.4, 0.6], [1, 1, 0], [3, 1, 2])).toBe(0.75);
  });

  it('is NaN (no throw) when one class has zero weight', () => {
    expect(auc([], [])).toBeNaN();
    expect(auc([0.2, 0.7], [1, 1])).toBeNaN();
    expect(auc([0.2, 0.7], [0, 0])).toBeNaN();
    expect(auc([0.2, 0.7], [0, 1], [1, 0])).toBeNaN();
    expect(auc([0.2, 0.7], [0, 1], [0, 0])).toBeNaN();
  });

  it('ignores zero-weight rows', () => {
    expect(auc([0.9, 0.1, 0.5, 0.7], [0, 1, 0, 1], [0, 0, 1, 1])).toBe(1);
  });
});
