import { SeededRng } from '@laserkit/core';
import { CsrMatrixBuilder, createDataset, withInterceptColumn, type Dataset } from '../src/data/csr-matrix.js';
import type { TwiceDifferentiableLoss } from '../src/loss/pointwise-loss.js';
import type { GlmObjectiveOptions } from '../src/objective/glm-objective.js';
import type { DifferentiableObjective, TwiceDifferentiableObjective } from '../src/objective/objective.js';

// Test-only dense linear algebra and problem generators: the references the solvers are checked against.

/** Solves A x = b for a dense symmetric positive definite A (row-major n×n) by Cholesky. */
export function solveSpd(a: Float64Array, b: Float64Array): Float64Array {
  const n = b.length;
  const L = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = a[i * n + j]!;
      for (let k = 0; k < j; k++) s -= L[i * n + k]! * L[j * n + k]!;
      if (i === j) {
        if (!(s > 0)) throw new Error(`matrix not positive definite at ${i} (${s})`);
        L[i * n + i] = Math.sqrt(s);
      } else L[i * n + j] = s / L[j * n + j]!;
    }
  }
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = b[i]!;
    for (let k = 0; k < i; k++) s -= L[i * n + k]! * y[k]!;
    y[i] = s / L[i * n + i]!;
  }
  const x = new Float64Array(n);
  for (let i = n - 1; i >= 0; i--) {
    let s = y[i]!;
    for (let k = i + 1; k < n; k++) s -= L[k * n + i]! * x[k]!;
    x[i] = s / L[i * n + i]!;
  }
  return x;
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

export function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]!));
  return m;
}

/** Dense rows of a dataset's matrix (row-major), for reference computations. */
export function denseRows(ds: Dataset): Float64Array {
  const { rows, cols, rowPtr, colIdx, values } = ds.x;
  const out = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    for (let k = rowPtr[i]!; k < rowPtr[i + 1]!; k++) out[i * cols + colIdx[k]!] = values === null ? 1 : values[k]!;
  }
  return out;
}

/**
 * Minimises the GLM objective by plain Newton's method on the dense Hessian, to 1e-13 relative
 * gradient: the high-precision reference for the iterative solvers.
 */
export function newtonReference(ds: Dataset, loss: TwiceDifferentiableLoss, options: GlmObjectiveOptions): Float64Array {
  const n = ds.x.cols;
  const rows = ds.x.rows;
  const X = denseRows(ds);
  const precision = new Float64Array(n).fill(typeof options.priorPrecision === 'number' ? options.priorPrecision : 0);
  if (options.priorPrecision instanceof Float64Array) precision.set(options.priorPrecision);
  if (options.interceptColumn !== undefined && options.interceptColumn !== null) precision[options.interceptColumn] = 0;
  const mu = options.priorMean ?? new Float64Array(n);
  const w = new Float64Array(n);
  let g0 = 0;
  for (let it = 0; it < 100; it++) {
    const g = new Float64Array(n);
    const H = new Float64Array(n * n);
    let f = 0;
    for (let i = 0; i < rows; i++) {
      let z = ds.offsets?.[i] ?? 0;
      for (let j = 0; j < n; j++) z += X[i * n + j]! * w[j]!;
      const c = ds.weights?.[i] ?? 1;
      const y = ds.labels[i]!;
      f += c * loss.value(z, y);
      const d1 = c * loss.derivative(z, y);
      const d2 = c * loss.secondDerivative(z, y);
      for (let j = 0; j < n; j++) {
        const xj = X[i * n + j]!;
        if (xj === 0) continue;
        g[j]! += d1 * xj;
        for (let k = 0; k < n; k++) H[j * n + k]! += d2 * xj * X[i * n + k]!;
      }
    }
    for (let j = 0; j < n; j++) {
      f += 0.5 * precision[j]! * (w[j]! - mu[j]!) ** 2;
      g[j]! += precision[j]! * (w[j]! - mu[j]!);
      H[j * n + j]! += precision[j]!;
    }
    const gn = Math.sqrt(g.reduce((s, v) => s + v * v, 0));
    if (it === 0) g0 = gn;
    if (gn <= 1e-13 * g0 || gn === 0) return w;
    if (it === 99) throw new Error(`newtonReference did not converge: gradient norm ${gn}`);
    const step = solveSpd(H, g);
    // Damped Newton: halve until f decreases (never needed near the optimum).
    let t = 1;
    for (let ls = 0; ls < 60; ls++) {
      const trial = w.map((v, j) => v - t * step[j]!);
      let ft = 0;
      for (let i = 0; i < rows; i++) {
        let z = ds.offsets?.[i] ?? 0;
        for (let j = 0; j < n; j++) z += X[i * n + j]! * trial[j]!;
        ft += (ds.weights?.[i] ?? 1) * loss.value(z, ds.labels[i]!);
      }
      for (let j = 0; j < n; j++) ft += 0.5 * precision[j]! * (trial[j]! - mu[j]!) ** 2;
      if (ft <= f || t < 1e-12) {
        w.set(trial);
        break;
      }
      t *= 0.5;
    }
  }
  return w;
}

/** f(w) = ½ wᵀAw − bᵀw with dense SPD A: minimiser A⁻¹b. */
export class QuadraticObjective implements TwiceDifferentiableObjective {
  readonly dimension: number;
  readonly interceptIndex = null;
  constructor(
    readonly a: Float64Array,
    readonly b: Float64Array,
  ) {
    this.dimension = b.length;
  }
  value(w: Float64Array): number {
    const n = this.dimension;
    let f = 0;
    for (let i = 0; i < n; i++) {
      let aw = 0;
      for (let j = 0; j < n; j++) aw += this.a[i * n + j]! * w[j]!;
      f += 0.5 * w[i]! * aw - this.b[i]! * w[i]!;
    }
    return f;
  }
  valueAndGradient(w: Float64Array, out: Float64Array): number {
    this.hessianVector(w, out);
    for (let i = 0; i < this.dimension; i++) out[i]! -= this.b[i]!;
    return this.value(w);
  }
  hessianVector(v: Float64Array, out: Float64Array): void {
    const n = this.dimension;
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let j = 0; j < n; j++) s += this.a[i * n + j]! * v[j]!;
      out[i] = s;
    }
  }
  hessianDiagonal(out: Float64Array): void {
    for (let i = 0; i < this.dimension; i++) out[i] = this.a[i * this.dimension + i]!;
  }
}

/** A random SPD matrix BᵀB + shift·I (n×n) and vector b. */
export function randomQuadratic(seed: number, n: number, shift = 1): QuadraticObjective {
  const rng = new SeededRng(seed);
  const B = Array.from({ length: n * n }, () => rng.nextNormal());
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += B[k * n + i]! * B[k * n + j]!;
      a[i * n + j] = s + (i === j ? shift : 0);
    }
  }
  const b = Float64Array.from({ length: n }, () => 3 * rng.nextNormal());
  return new QuadraticObjective(a, b);
}

/**
 * An objective that reports the right value and the wrong gradient (its negation): every
 * "descent" direction goes uphill, so no solver can make progress from any point.
 */
export class LyingObjective implements TwiceDifferentiableObjective {
  readonly dimension: number;
  readonly interceptIndex = null;
  constructor(private readonly inner: TwiceDifferentiableObjective) {
    this.dimension = inner.dimension;
  }
  value(w: Float64Array): number {
    return this.inner.value(w);
  }
  valueAndGradient(w: Float64Array, out: Float64Array): number {
    const f = this.inner.valueAndGradient(w, out);
    for (let i = 0; i < out.length; i++) out[i] = -out[i]!;
    return f;
  }
  hessianVector(v: Float64Array, out: Float64Array): void {
    this.inner.hessianVector(v, out);
  }
  hessianDiagonal(out: Float64Array): void {
    this.inner.hessianDiagonal(out);
  }
}

export type LabelKind = 'binary' | 'real' | 'count';

export interface RandomProblemSpec {
  readonly seed: number;
  readonly rows: number;
  readonly cols: number;
  readonly density: number;
  readonly labelKind: LabelKind;
  readonly binaryFeatures: boolean;
  readonly withWeights: boolean;
  readonly withOffsets: boolean;
  readonly withIntercept: boolean;
  /** Scale of the true coefficients (controls how separable binary labels are). */
  readonly signal?: number;
}

/** A random sparse problem; with an intercept the last column is all ones. */
export function randomDataset(spec: RandomProblemSpec): Dataset {
  const rng = new SeededRng(spec.seed);
  const b = new CsrMatrixBuilder({ cols: spec.cols });
  const truth = Float64Array.from({ length: spec.cols }, () => (spec.signal ?? 1) * rng.nextNormal());
  const labels = new Float64Array(spec.rows);
  const offsets = spec.withOffsets ? Float64Array.from({ length: spec.rows }, () => 0.5 * rng.nextNormal()) : null;
  for (let i = 0; i < spec.rows; i++) {
    const idx: number[] = [];
    const vals: number[] = [];
    for (let j = 0; j < spec.cols; j++) {
      if (rng.nextFloat() < spec.density) {
        idx.push(j);
        vals.push(spec.binaryFeatures ? 1 : Math.fround(rng.nextNormal()));
      }
    }
    b.addRow(idx, vals);
    let z = offsets?.[i] ?? 0;
    for (let k = 0; k < idx.length; k++) z += truth[idx[k]!]! * vals[k]!;
    if (spec.labelKind === 'binary') labels[i] = rng.nextFloat() < 1 / (1 + Math.exp(-z)) ? 1 : 0;
    else if (spec.labelKind === 'real') labels[i] = z + rng.nextNormal();
    else labels[i] = poissonDraw(rng, Math.exp(Math.max(-5, Math.min(2, 0.5 * z))));
  }
  const x = spec.withIntercept ? withInterceptColumn(b.build()) : b.build();
  const weights = spec.withWeights ? Float64Array.from({ length: spec.rows }, () => (rng.nextFloat() < 0.1 ? 0 : 3 * rng.nextFloat())) : null;
  return createDataset({ x, labels, weights, offsets });
}

function poissonDraw(rng: SeededRng, mean: number): number {
  const limit = Math.exp(-mean);
  let k = 0;
  let p = rng.nextFloat();
  while (p > limit) {
    k++;
    p *= rng.nextFloat();
  }
  return k;
}

/** Central-difference gradient of f at w (step h relative to each coordinate). */
export function finiteDifferenceGradient(objective: DifferentiableObjective, w: Float64Array, h = 1e-6): Float64Array {
  const n = w.length;
  const out = new Float64Array(n);
  const t = Float64Array.from(w);
  for (let j = 0; j < n; j++) {
    const step = h * Math.max(1, Math.abs(w[j]!));
    t[j] = w[j]! + step;
    const fp = objective.value(t);
    t[j] = w[j]! - step;
    const fm = objective.value(t);
    t[j] = w[j]!;
    out[j] = (fp - fm) / (2 * step);
  }
  return out;
}
