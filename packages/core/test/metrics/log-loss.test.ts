import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DEFAULT_LOG_LOSS_EPS, logLoss, normalizedEntropy, observedExpectedRatio } from '../../src/metrics/index.js';
import { anyDataset, dataset, expectClose, integerWeight, tiedPrediction, weightOf } from './arbitraries.js';
import type { Dataset } from './arbitraries.js';

/** -(1/Σw) Σ w [y ln q + (1-y) ln(1-q)], q = clip(p, eps, 1-eps). */
function bruteLogLoss(d: Dataset, eps = 1e-15): number {
  let loss = 0;
  let total = 0;
  for (let i = 0; i < d.predictions.length; i++) {
    const q = Math.min(Math.max(d.predictions[i]!, eps), 1 - eps);
    const y = d.labels[i]!;
    const w = weightOf(d, i);
    loss += w * -(y * Math.log(q) + (1 - y) * Math.log1p(-q));
    total += w;
  }
  return loss / total;
}

/** Log loss over the entropy of the weighted base rate b: -(b ln b + (1-b) ln(1-b)). */
function bruteNormalizedEntropy(d: Dataset, eps = 1e-15): number {
  let pos = 0;
  let neg = 0;
  let total = 0;
  for (let i = 0; i < d.predictions.length; i++) {
    const w = weightOf(d, i);
    pos += w * d.labels[i]!;
    neg += w * (1 - d.labels[i]!);
    total += w;
  }
  const b = pos / total;
  const c = neg / total;
  if (!(b > 0 && c > 0)) return Number.NaN;
  // ln of a rate near 1 as log1p(-the small rate): weights make rates like 1e-8 possible, and
  // Math.log(1 - 1e-8) alone would only be accurate to ~1e-8 relative.
  const lnB = b > 0.5 ? Math.log1p(-c) : Math.log(b);
  const lnC = c > 0.5 ? Math.log1p(-b) : Math.log(c);
  return bruteLogLoss(d, eps) / -(b * lnB + c * lnC);
}

function bruteObservedExpected(d: Dataset): number {
  let observed = 0;
  let expected = 0;
  for (let i = 0; i < d.predictions.length; i++) {
    observed += weightOf(d, i) * d.labels[i]!;
    expected += weightOf(d, i) * d.predictions[i]!;
  }
  return observed / expected;
}

const eps = fc.oneof(fc.constant(1e-15), fc.constant(1e-7), fc.double({ min: 1e-12, max: 0.49, noNaN: true }));

describe('logLoss', () => {
  it('equals the direct weighted sum', () => {
    fc.assert(
      fc.property(anyDataset, (d) => {
        expectClose(logLoss(d.predictions, d.labels, d.weights), bruteLogLoss(d));
      }),
      { numRuns: 300 },
    );
  });

  it('clips with the given eps', () => {
    fc.assert(
      fc.property(anyDataset, eps, (d, e) => {
        expectClose(logLoss(d.predictions, d.labels, d.weights, { eps: e }), bruteLogLoss(d, e));
      }),
    );
  });

  it('known values', () => {
    expectClose(logLoss([0.5, 0.5], [0, 1]), Math.LN2);
    expectClose(logLoss([0.8, 0.4], [1, 0]), -(Math.log(0.8) + Math.log(0.6)) / 2);
    // Weighted: (3 · -ln 0.8 + 1 · -ln 0.6) / 4.
    expectClose(logLoss([0.8, 0.4], [1, 0], [3, 1]), -(3 * Math.log(0.8) + Math.log(0.6)) / 4);
    // A confident miss is clipped, not Infinity: -ln(eps) for p = 0, -ln(1 - fl(1 - eps)) for p = 1.
    const eps = DEFAULT_LOG_LOSS_EPS;
    expectClose(logLoss([0], [1]), -Math.log(eps));
    expectClose(logLoss([1], [0]), -Math.log1p(-(1 - eps)));
    expectClose(logLoss([0, 1], [1, 0]), (-Math.log(eps) - Math.log1p(-(1 - eps))) / 2);
    expectClose(logLoss([0], [1], undefined, { eps: 1e-3 }), -Math.log(1e-3));
    expect(logLoss([1, 0], [1, 0])).toBeLessThan(1e-14);
    expect(DEFAULT_LOG_LOSS_EPS).toBe(1e-15);
  });

  it('is NaN without weight', () => {
    expect(logLoss([], [])).toBeNaN();
    expect(logLoss([0.3], [1], [0])).toBeNaN();
  });
});

describe('normalizedEntropy', () => {
  it('equals log loss over the base-rate entropy', () => {
    fc.assert(
      fc.property(anyDataset, (d) => {
        expectClose(normalizedEntropy(d.predictions, d.labels, d.weights), bruteNormalizedEntropy(d));
      }),
      { numRuns: 300 },
    );
  });

  it('is 1 when every prediction is the (weighted) base rate', () => {
    // Integer weights keep the base rate b >= 1/600 from 0 and 1: the prediction is fl(b), and
    // ln fl(b) is only accurate to ~1e-16 / (1 - b) relative, which real weights could push past 1e-12.
    fc.assert(
      fc.property(dataset({ prediction: tiedPrediction, weight: integerWeight, minLength: 1 }), (d) => {
        let pos = 0;
        let total = 0;
        for (let i = 0; i < d.labels.length; i++) {
          pos += weightOf(d, i) * d.labels[i]!;
          total += weightOf(d, i);
        }
        const base = pos / total;
        fc.pre(base > 0 && base < 1);
        const constant = new Float64Array(d.labels.length).fill(base);
        expectClose(normalizedEntropy(constant, d.labels, d.weights), 1, 1e-12, 1e-12);
      }),
    );
  });

  it('known values', () => {
    expectClose(normalizedEntropy([0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3], [1, 1, 1, 0, 0, 0, 0, 0, 0, 0]), 1);
    expectClose(normalizedEntropy([0.5, 0.5], [0, 1]), 1);
    // Base rate 1/2 (entropy ln 2): NE = LL / ln 2.
    expectClose(normalizedEntropy([0.8, 0.4], [1, 0]), -(Math.log(0.8) + Math.log(0.6)) / 2 / Math.LN2);
  });

  it('is NaN when the base rate is 0 or 1', () => {
    expect(normalizedEntropy([0.2, 0.4], [0, 0])).toBeNaN();
    expect(normalizedEntropy([0.2, 0.4], [1, 1])).toBeNaN();
    expect(normalizedEntropy([0.2, 0.4], [1, 0], [1, 0])).toBeNaN();
    expect(normalizedEntropy([], [])).toBeNaN();
  });
});

describe('observedExpectedRatio', () => {
  it('equals Σ w y / Σ w p', () => {
    fc.assert(
      fc.property(anyDataset, (d) => {
        expectClose(observedExpectedRatio(d.predictions, d.labels, d.weights), bruteObservedExpected(d));
      }),
      { numRuns: 300 },
    );
  });

  it('known values', () => {
    expect(observedExpectedRatio([0.5, 0.5], [1, 0])).toBe(1);
    expect(observedExpectedRatio([0.25, 0.25], [1, 1])).toBe(4);
    expectClose(observedExpectedRatio([0.2, 0.4], [1, 0], [2, 1]), 2 / 0.8);
    expect(observedExpectedRatio([0, 0], [1, 0])).toBe(Infinity);
    expect(observedExpectedRatio([], [])).toBeNaN();
  });
});
