import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { auc, evaluateBinary, evaluateByBucket, logLoss, normalizedEntropy, observedExpectedRatio } from '../../src/metrics/index.js';
import type { BinaryMetrics } from '../../src/metrics/index.js';
import { anyDataset, expectClose, label, realWeight, tiedPrediction, anyPrediction, weightOf } from './arbitraries.js';

function expectMetricsClose(actual: BinaryMetrics, expected: BinaryMetrics): void {
  expect(actual.count).toBe(expected.count);
  expect(actual.positives).toBe(expected.positives);
  for (const key of ['weight', 'auc', 'logLoss', 'normalizedEntropy', 'observedExpected', 'baseRate', 'meanPrediction'] as const) {
    expectClose(actual[key], expected[key]);
  }
}

describe('evaluateBinary', () => {
  it('agrees with the single metrics and the direct sums', () => {
    fc.assert(
      fc.property(anyDataset, (d) => {
        const m = evaluateBinary(d.predictions, d.labels, { weights: d.weights });
        let weight = 0;
        let positives = 0;
        let wy = 0;
        let wp = 0;
        for (let i = 0; i < d.predictions.length; i++) {
          weight += weightOf(d, i);
          positives += d.labels[i]!;
          wy += weightOf(d, i) * d.labels[i]!;
          wp += weightOf(d, i) * d.predictions[i]!;
        }
        expect(m.count).toBe(d.predictions.length);
        expect(m.positives).toBe(positives);
        expectClose(m.weight, weight);
        expectClose(m.baseRate, wy / weight);
        expectClose(m.meanPrediction, wp / weight);
        expectClose(m.auc, auc(d.predictions, d.labels, d.weights));
        expectClose(m.logLoss, logLoss(d.predictions, d.labels, d.weights));
        expectClose(m.normalizedEntropy, normalizedEntropy(d.predictions, d.labels, d.weights));
        expectClose(m.observedExpected, observedExpectedRatio(d.predictions, d.labels, d.weights));
      }),
      { numRuns: 300 },
    );
  });

  it('passes eps through to the log loss', () => {
    const m = evaluateBinary([0, 1], [1, 0], { eps: 1e-3 });
    expectClose(m.logLoss, -Math.log(1e-3));
  });

  it('known values', () => {
    const m = evaluateBinary([0.1, 0.2, 0.8, 0.9], [0, 0, 1, 1], { weights: [1, 1, 1, 1] });
    expect(m).toMatchObject({ count: 4, weight: 4, positives: 2, auc: 1, baseRate: 0.5, meanPrediction: 0.5, observedExpected: 1 });
    const empty = evaluateBinary([], []);
    expect(empty.count).toBe(0);
    expect(empty.weight).toBe(0);
    for (const key of ['auc', 'logLoss', 'normalizedEntropy', 'observedExpected', 'baseRate', 'meanPrediction'] as const) expect(empty[key]).toBeNaN();
  });
});

const bucketKey = fc.constantFrom<string | number>('cold', 'warm', 'hot', 1, 2, '1');
const bucketedRows = fc.array(fc.record({ p: fc.oneof(tiedPrediction, anyPrediction), y: label, w: realWeight, key: bucketKey }), { maxLength: 120 });

describe('evaluateByBucket', () => {
  it('each bucket equals evaluateBinary on its subset; overall equals evaluateBinary on all rows', () => {
    fc.assert(
      fc.property(bucketedRows, fc.boolean(), fc.boolean(), (rows, weighted, typed) => {
        const p = typed ? Float64Array.from(rows, (r) => r.p) : rows.map((r) => r.p);
        const y = typed ? Uint8Array.from(rows, (r) => r.y) : rows.map((r) => r.y);
        const w = weighted ? rows.map((r) => r.w) : undefined;
        const keys = rows.map((r) => r.key);
        const result = evaluateByBucket(p, y, keys, { weights: w });

        expectMetricsClose(result.overall, evaluateBinary(p, y, { weights: w }));
        expect([...result.buckets.keys()]).toEqual([...new Set(keys)]);
        for (const [key, metrics] of result.buckets) {
          const subset = rows.filter((r) => r.key === key);
          const expected = evaluateBinary(
            subset.map((r) => r.p),
            subset.map((r) => r.y),
            { weights: weighted ? subset.map((r) => r.w) : undefined },
          );
          expectMetricsClose(metrics, expected);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('known values by campaign warmness', () => {
    const result = evaluateByBucket([0.9, 0.1, 0.6, 0.4, 0.5], [1, 0, 0, 1, 1], ['warm', 'warm', 'cold', 'cold', 'warm']);
    expect([...result.buckets.keys()]).toEqual(['warm', 'cold']);
    expect(result.buckets.get('warm')).toMatchObject({ count: 3, positives: 2, auc: 1 });
    expect(result.buckets.get('cold')).toMatchObject({ count: 2, positives: 1, auc: 0 });
    expect(result.overall).toMatchObject({ count: 5, positives: 3 });
    expect(evaluateByBucket([], [], []).buckets.size).toBe(0);
  });
});
