import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { auc, aucDifference } from '../../src/metrics/index.js';
import { SeededRng } from '../../src/rng.js';
import { expectClose, tiedPrediction, anyPrediction, label } from './arbitraries.js';

/** DeLong's variance straight from the definition: O(m·n) structural components, two-pass sample variances. */
function bruteDeLong(a: number[], b: number[], y: number[]): { difference: number; se: number } {
  const pos = y.flatMap((v, i) => (v === 1 ? [i] : []));
  const neg = y.flatMap((v, i) => (v === 0 ? [i] : []));
  const psi = (s: number[], i: number, j: number) => (s[i]! > s[j]! ? 1 : s[i] === s[j] ? 0.5 : 0);
  const v10 = (s: number[]) => pos.map((i) => neg.reduce((t, j) => t + psi(s, i, j), 0) / neg.length);
  const v01 = (s: number[]) => neg.map((j) => pos.reduce((t, i) => t + psi(s, i, j), 0) / pos.length);
  const variance = (xs: number[]) => {
    const mu = xs.reduce((t, x) => t + x, 0) / xs.length;
    return xs.reduce((t, x) => t + (x - mu) ** 2, 0) / (xs.length - 1);
  };
  const [a10, b10, a01, b01] = [v10(a), v10(b), v01(a), v01(b)];
  const d10 = a10.map((x, k) => x - b10[k]!);
  const d01 = a01.map((x, k) => x - b01[k]!);
  const meanOf = (xs: number[]) => xs.reduce((t, x) => t + x, 0) / xs.length;
  return { difference: meanOf(d10), se: Math.sqrt(variance(d10) / pos.length + variance(d01) / neg.length) };
}

const rows = fc.array(fc.record({ a: fc.oneof(tiedPrediction, anyPrediction), b: fc.oneof(tiedPrediction, anyPrediction), y: label }), { minLength: 0, maxLength: 60 });

describe('aucDifference', () => {
  it("equals the O(m·n) DeLong computation and the difference of the two AUCs, with ties", () => {
    fc.assert(
      fc.property(rows, (rs) => {
        const a = rs.map((r) => r.a);
        const b = rs.map((r) => r.b);
        const y = rs.map((r) => r.y);
        const got = aucDifference(a, b, y);
        const positives = y.filter((v) => v === 1).length;
        if (positives < 2 || y.length - positives < 2) {
          expect(got.standardError).toBeNaN();
          return;
        }
        const want = bruteDeLong(a, b, y);
        expectClose(got.difference, auc(a, y) - auc(b, y), 1e-12, 1e-12);
        expectClose(got.aucA, auc(a, y), 1e-12);
        expectClose(got.difference, want.difference, 1e-12, 1e-12);
        expectClose(got.standardError, want.se, 1e-9, 1e-12);
      }),
      { numRuns: 300 },
    );
  });

  it('is 0 ± 0 for the same scorer, and the same for any strictly increasing transform of one', () => {
    const rng = new SeededRng(3);
    const a = Array.from({ length: 500 }, () => rng.nextFloat());
    const y = a.map((p) => (rng.nextFloat() < p ? 1 : 0));
    expect(aucDifference(a, a, y)).toMatchObject({ difference: 0, standardError: 0 });
    const squashed = a.map((p) => p ** 3);
    expect(aucDifference(a, squashed, y).standardError).toBe(0);
  });

  it("agrees with a paired bootstrap of the rows (within 15%), and is well below the unpaired error when the scorers are correlated", () => {
    const rng = new SeededRng(11);
    const n = 3000;
    const truth = Array.from({ length: n }, () => rng.nextNormal());
    const y = truth.map((t) => (rng.nextFloat() < 1 / (1 + Math.exp(-2 * t)) ? 1 : 0));
    const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));
    const a = truth.map((t) => sigmoid(t + 0.5 * rng.nextNormal()));
    const b = truth.map((t) => sigmoid(t + 0.8 * rng.nextNormal()));
    const got = aucDifference(a, b, y);
    const diffs: number[] = [];
    for (let r = 0; r < 400; r++) {
      const idx = Array.from({ length: n }, () => rng.nextInt(n));
      const yy = idx.map((i) => y[i]!);
      diffs.push(auc(idx.map((i) => a[i]!), yy) - auc(idx.map((i) => b[i]!), yy));
    }
    const mu = diffs.reduce((t, x) => t + x, 0) / diffs.length;
    const bootSe = Math.sqrt(diffs.reduce((t, x) => t + (x - mu) ** 2, 0) / (diffs.length - 1));
    expect(got.difference).toBeGreaterThan(0);
    expect(Math.abs(got.standardError / bootSe - 1)).toBeLessThan(0.15);
    // Against a constant scorer (every component ½) the difference's error is one AUC's own error;
    // pairing the rows removes the shared part, so it beats treating the two AUCs as independent.
    const ownSe = (p: number[]) => aucDifference(p, p.map(() => 0.5), y).standardError;
    expect(got.standardError).toBeLessThan(0.8 * Math.hypot(ownSe(a), ownSe(b)));
  });

  it('names the argument whose length differs', () => {
    expect(() => aucDifference([0.1, 0.2], [0.1], [0, 1])).toThrow(/b\.length/);
  });
});
