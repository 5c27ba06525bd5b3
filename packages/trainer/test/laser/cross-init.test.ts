import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { SeededRng } from '@laserkit/core';
import { csrFromRows } from '../../src/data/csr-matrix.js';
import { logisticLoss } from '../../src/loss/logistic.js';
import { crossGradientMatrix, spectralCrossStart, symmetricEigen, topSingularTriplets } from '../../src/laser/cross-init.js';

/** A rows × cols matrix Σ_q σ_q p_q q_qᵀ with orthonormal p, q (Gram-Schmidt on Gaussian draws) plus optional noise. */
function planted(rng: SeededRng, rows: number, cols: number, sigmas: readonly number[], noise: number) {
  const k = sigmas.length;
  const ortho = (n: number): number[][] => {
    const out: number[][] = [];
    for (let q = 0; q < k; q++) {
      const v = Array.from({ length: n }, () => rng.nextNormal());
      for (const u of out) {
        const d = v.reduce((s, x, i) => s + x * u[i]!, 0);
        for (let i = 0; i < n; i++) v[i]! -= d * u[i]!;
      }
      const norm = Math.sqrt(v.reduce((s, x) => s + x * x, 0));
      out.push(v.map((x) => x / norm));
    }
    return out;
  };
  const p = ortho(rows);
  const q = ortho(cols);
  const m = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) m[r * cols + c] = sigmas.reduce((s, sg, o) => s + sg * p[o]![r]! * q[o]![c]!, 0) + noise * rng.nextNormal();
  return { m, p, q };
}

describe('symmetricEigen', () => {
  it('A v = λ v for every pair, and V is orthogonal', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 0, max: 1e6 }), (k, seed) => {
        const rng = new SeededRng(seed);
        const a = new Float64Array(k * k);
        for (let i = 0; i < k; i++) for (let j = 0; j <= i; j++) a[i * k + j] = a[j * k + i] = rng.nextNormal();
        const { values, vectors } = symmetricEigen(a, k);
        for (let e = 0; e < k; e++) {
          for (let i = 0; i < k; i++) {
            let av = 0;
            for (let j = 0; j < k; j++) av += a[i * k + j]! * vectors[j * k + e]!;
            expect(Math.abs(av - values[e]! * vectors[i * k + e]!)).toBeLessThan(1e-10);
          }
          for (let f = 0; f < k; f++) {
            let d = 0;
            for (let i = 0; i < k; i++) d += vectors[i * k + e]! * vectors[i * k + f]!;
            expect(Math.abs(d - (e === f ? 1 : 0))).toBeLessThan(1e-10);
          }
        }
      }),
      { numRuns: 50, seed: 11 },
    );
  });
});

describe('topSingularTriplets', () => {
  it('recovers a planted rank-3 matrix exactly: values, and P diag(σ) Qᵀ = M', () => {
    const rng = new SeededRng(4);
    const sigmas = [9, 5, 2];
    const { m } = planted(rng, 40, 25, sigmas, 0);
    const svd = topSingularTriplets(m, 40, 25, 3, new SeededRng(1));
    sigmas.forEach((s, o) => expect(svd.values[o]).toBeCloseTo(s, 8));
    for (let r = 0; r < 40; r++) {
      for (let c = 0; c < 25; c++) {
        let x = 0;
        for (let o = 0; o < 3; o++) x += svd.left[r * 3 + o]! * svd.values[o]! * svd.right[c * 3 + o]!;
        expect(Math.abs(x - m[r * 25 + c]!)).toBeLessThan(1e-8);
      }
    }
  });

  it('with noise, the leading subspace is close to the planted one (principal angles)', () => {
    const rng = new SeededRng(8);
    const { m, p, q } = planted(rng, 200, 60, [40, 30, 25, 20], 0.2);
    const svd = topSingularTriplets(m, 200, 60, 4, new SeededRng(2));
    // ‖P̂ᵀ p_o‖ ≈ 1 for each planted direction when the subspaces agree.
    // ‖P̂ᵀ v‖² for P̂ the found directions (n × k, row-major) and a unit vector v.
    const captured = (found: Float64Array, n: number, k: number, v: ArrayLike<number>): number => {
      let sum = 0;
      for (let e = 0; e < k; e++) {
        let d = 0;
        for (let r = 0; r < n; r++) d += found[r * k + e]! * v[r]!;
        sum += d * d;
      }
      return sum;
    };
    for (let o = 0; o < 4; o++) {
      expect(captured(svd.left, 200, 4, p[o]!)).toBeGreaterThan(0.97);
      expect(captured(svd.right, 60, 4, q[o]!)).toBeGreaterThan(0.97);
    }
    for (let o = 1; o < 4; o++) expect(svd.values[o]!).toBeLessThanOrEqual(svd.values[o - 1]!);
  });

  it('a matrix of rank below k gives zero trailing values and finite factors', () => {
    const { m } = planted(new SeededRng(3), 12, 9, [3], 0);
    const svd = topSingularTriplets(m, 12, 9, 3, new SeededRng(5));
    expect(svd.values[0]).toBeCloseTo(3, 8);
    expect(svd.values[1]!).toBeLessThan(1e-6);
    expect(svd.values[2]!).toBeLessThan(1e-6);
    for (const x of svd.left) expect(Number.isFinite(x)).toBe(true);
    for (const x of svd.right) expect(Number.isFinite(x)).toBe(true);
  });
});

describe('crossGradientMatrix', () => {
  it('equals Σ_i c_i x_L,i x_R,iᵀ computed densely', () => {
    const rng = new SeededRng(6);
    const rows = 50;
    const sparse = (n: number) => Array.from({ length: n }, (_, j) => j).filter(() => rng.nextFloat() < 0.3);
    const leftRows = Array.from({ length: rows }, () => sparse(7));
    const rightRows = Array.from({ length: rows }, () => sparse(5));
    const left = csrFromRows(7, leftRows.map((ix) => ({ indices: ix, values: ix.map(() => 0.5 + rng.nextFloat()) })));
    const right = csrFromRows(5, rightRows);
    const c = Float64Array.from({ length: rows }, () => rng.nextNormal());
    const g = crossGradientMatrix(left, right, c);
    const dense = new Float64Array(35);
    for (let i = 0; i < rows; i++) {
      for (let p = left.rowPtr[i]!; p < left.rowPtr[i + 1]!; p++) {
        for (const b of rightRows[i]!) dense[left.colIdx[p]! * 5 + b]! += c[i]! * left.values![p]!;
      }
    }
    for (let j = 0; j < 35; j++) expect(g[j]).toBeCloseTo(dense[j]!, 12);
  });
});

describe('spectralCrossStart', () => {
  // Binary one-hot-ish features: each row has one left and one right feature, so x_Lᵀ A x_R = A[l, r].
  function crossProblem(seed: number, rows: number) {
    const rng = new SeededRng(seed);
    const dimL = 30;
    const dimR = 20;
    const u = Array.from({ length: dimL }, () => [rng.nextNormal(), rng.nextNormal()]);
    const v = Array.from({ length: dimR }, () => [rng.nextNormal(), rng.nextNormal()]);
    const li: number[] = [];
    const ri: number[] = [];
    const labels = new Float64Array(rows);
    for (let i = 0; i < rows; i++) {
      const l = rng.nextInt(dimL);
      const r = rng.nextInt(dimR);
      li.push(l);
      ri.push(r);
      const s = -1 + 0.8 * (u[l]![0]! * v[r]![0]! + u[l]![1]! * v[r]![1]!);
      labels[i] = rng.nextFloat() < 1 / (1 + Math.exp(-s)) ? 1 : 0;
    }
    const left = csrFromRows(dimL, li.map((l) => [l]));
    const right = csrFromRows(dimR, ri.map((r) => [r]));
    return { left, right, labels, u, v };
  }
  const objective = (margins: Float64Array, labels: Float64Array, penalty: number) => margins.reduce((s, m, i) => s + logisticLoss.value(m, labels[i]!), 0) + penalty;

  it('moves from the zero saddle to a lower objective, along a planted rank-2 interaction', () => {
    const { left, right, labels, u, v } = crossProblem(21, 20_000);
    let base = 0;
    for (const y of labels) base += y;
    const intercept = Math.log(base / (labels.length - base));
    const margins = new Float64Array(labels.length).fill(intercept);
    const before = objective(margins, labels, 0);
    const lambda = 5;
    const start = spectralCrossStart(left, right, 2, labels, null, margins, lambda, logisticLoss, new SeededRng(1));
    expect(start.activeRank).toBe(2);
    expect(start.step).toBeGreaterThan(0);
    let penalty = 0;
    for (const x of start.leftFactors) penalty += 0.5 * lambda * x * x;
    for (const x of start.rightFactors) penalty += 0.5 * lambda * x * x;
    // margins now include the start's cross, and the objective with its penalty decreased.
    expect(objective(margins, labels, penalty)).toBeLessThan(before - 100);
    // The started A = U Vᵀ correlates with the planted one.
    let num = 0;
    let da = 0;
    let db = 0;
    for (let l = 0; l < 30; l++) {
      for (let r = 0; r < 20; r++) {
        const a = start.leftFactors[l * 2]! * start.rightFactors[r * 2]! + start.leftFactors[l * 2 + 1]! * start.rightFactors[r * 2 + 1]!;
        const b = u[l]![0]! * v[r]![0]! + u[l]![1]! * v[r]![1]!;
        num += a * b;
        da += a * a;
        db += b * b;
      }
    }
    expect(num / Math.sqrt(da * db)).toBeGreaterThan(0.9);
  });

  it('stays at zero when σ_max(G) ≤ λ (zero is then the optimum of the nuclear-norm-penalized problem)', () => {
    const { left, right, labels } = crossProblem(22, 2_000);
    const margins = new Float64Array(labels.length).fill(-1);
    const first = spectralCrossStart(left, right, 2, labels, null, margins.slice(), 1, logisticLoss, new SeededRng(1));
    const lambda = (first.singularValues[0] as number) * 1.01;
    const kept = margins.slice();
    const start = spectralCrossStart(left, right, 2, labels, null, kept, lambda, logisticLoss, new SeededRng(1));
    expect(start.activeRank).toBe(0);
    expect(start.step).toBe(0);
    expect(kept).toEqual(margins);
    expect(start.leftFactors.every((x) => x === 0)).toBe(true);
  });
});
