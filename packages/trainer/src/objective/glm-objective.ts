import { LaserError, checkKnownKeys, invalidArgument } from '@laserkit/core';
import { CsrMatrix, type Dataset } from '../data/csr-matrix.js';
import { createLossPoint, isTwiceDifferentiable, type DifferentiableLoss, type LossPoint, type TwiceDifferentiableLoss } from '../loss/pointwise-loss.js';
import type { DifferentiableObjective, TwiceDifferentiableObjective } from './objective.js';

export interface GlmObjectiveOptions {
  /**
   * Gaussian prior precision (1 / variance) per coefficient: one number for every coefficient, or
   * one per coefficient. 0 leaves a coefficient unpenalised. liblinear's ½‖w‖² + C Σ loss is
   * precision 1 with row weights C. The intercept column is always unpenalised; an array must
   * hold 0 there.
   * @default 0
   */
  readonly priorPrecision?: number | Float64Array;
  /**
   * Gaussian prior mean per coefficient, e.g. the previous model's coefficients when training
   * incrementally. null means 0 everywhere.
   * @default null
   */
  readonly priorMean?: Float64Array | null;
  /**
   * Index of the column of x that is the intercept (1 in every row, see `withInterceptColumn`),
   * or null for none. That coefficient is never penalised.
   * @default null
   */
  readonly interceptColumn?: number | null;
}

export const DEFAULT_GLM_OBJECTIVE_OPTIONS: Readonly<Required<GlmObjectiveOptions>> = Object.freeze({
  priorPrecision: 0,
  priorMean: null,
  interceptColumn: null,
});

const KNOWN_OPTIONS = Object.keys(DEFAULT_GLM_OBJECTIVE_OPTIONS);

/**
 * The rows of a GLM problem as bare typed arrays: what a worker thread would receive (on
 * SharedArrayBuffers) to evaluate its own row range with the kernels below.
 */
export interface GlmRowData {
  readonly rowPtr: Int32Array;
  readonly colIdx: Int32Array;
  readonly values: Float32Array | null;
  readonly labels: Float64Array;
  readonly weights: Float64Array | null;
  readonly offsets: Float64Array | null;
}

/** The linear predictor of row i: x_i·w + offset_i (every pass over rows starts with it). */
export function rowMargin(rows: GlmRowData, w: Float64Array, i: number): number {
  const { rowPtr, colIdx, values, offsets } = rows;
  const a = rowPtr[i] as number;
  const b = rowPtr[i + 1] as number;
  let z = offsets === null ? 0 : (offsets[i] as number);
  if (values === null) for (let k = a; k < b; k++) z += w[colIdx[k] as number] as number;
  else for (let k = a; k < b; k++) z += (values[k] as number) * (w[colIdx[k] as number] as number);
  return z;
}

/**
 * Σ_{i ∈ [start, end)} weight_i · ℓ(x_i·w + offset_i, y_i). Rows with weight 0 contribute
 * nothing (even where ℓ is infinite).
 */
export function lossRange(rows: GlmRowData, loss: DifferentiableLoss, w: Float64Array, start: number, end: number, point: LossPoint): number {
  const { labels, weights } = rows;
  let sum = 0;
  for (let i = start; i < end; i++) {
    const c = weights === null ? 1 : (weights[i] as number);
    if (c === 0) continue;
    loss.evaluate(rowMargin(rows, w, i), labels[i] as number, point);
    sum += c * point.value;
  }
  return sum;
}

/**
 * Loss over rows [start, end), accumulating Σ weight_i ℓ'(z_i) x_i into `gradientOut` (which the
 * caller zeroes) and, when `curvatureOut` is given, writing D_i = weight_i ℓ''(z_i) for each row
 * in the range (liblinear's D, cached for the Hessian-vector products that follow).
 * Ranges write disjoint parts of `curvatureOut`, so workers may share it.
 */
export function lossGradientRange(
  rows: GlmRowData,
  loss: DifferentiableLoss,
  w: Float64Array,
  start: number,
  end: number,
  gradientOut: Float64Array,
  curvatureOut: Float64Array | null,
  point: LossPoint,
): number {
  const { rowPtr, colIdx, values, labels, weights } = rows;
  let sum = 0;
  for (let i = start; i < end; i++) {
    const c = weights === null ? 1 : (weights[i] as number);
    if (c === 0) {
      if (curvatureOut !== null) curvatureOut[i] = 0;
      continue;
    }
    const a = rowPtr[i] as number;
    const b = rowPtr[i + 1] as number;
    loss.evaluate(rowMargin(rows, w, i), labels[i] as number, point);
    sum += c * point.value;
    if (curvatureOut !== null) curvatureOut[i] = c * point.secondDerivative;
    const g = c * point.derivative;
    if (g === 0) continue;
    if (values === null) for (let k = a; k < b; k++) gradientOut[colIdx[k] as number]! += g;
    else for (let k = a; k < b; k++) gradientOut[colIdx[k] as number]! += g * (values[k] as number);
  }
  return sum;
}

/** Accumulates Xᵀ D X v over rows [start, end) into `out` (which the caller zeroes). */
export function hessianVectorRange(rows: GlmRowData, curvature: Float64Array, v: Float64Array, start: number, end: number, out: Float64Array): void {
  const { rowPtr, colIdx, values } = rows;
  for (let i = start; i < end; i++) {
    const d = curvature[i] as number;
    if (d === 0) continue;
    const a = rowPtr[i] as number;
    const b = rowPtr[i + 1] as number;
    let t = 0;
    if (values === null) {
      for (let k = a; k < b; k++) t += v[colIdx[k] as number] as number;
      t *= d;
      if (t !== 0) for (let k = a; k < b; k++) out[colIdx[k] as number]! += t;
    } else {
      for (let k = a; k < b; k++) t += (values[k] as number) * (v[colIdx[k] as number] as number);
      t *= d;
      if (t !== 0) for (let k = a; k < b; k++) out[colIdx[k] as number]! += t * (values[k] as number);
    }
  }
}

/** Accumulates diag(Xᵀ D X) over rows [start, end) into `out` (which the caller zeroes). */
export function hessianDiagonalRange(rows: GlmRowData, curvature: Float64Array, start: number, end: number, out: Float64Array): void {
  const { rowPtr, colIdx, values } = rows;
  for (let i = start; i < end; i++) {
    const d = curvature[i] as number;
    if (d === 0) continue;
    const a = rowPtr[i] as number;
    const b = rowPtr[i + 1] as number;
    if (values === null) for (let k = a; k < b; k++) out[colIdx[k] as number]! += d;
    else {
      for (let k = a; k < b; k++) {
        const x = values[k] as number;
        out[colIdx[k] as number]! += d * x * x;
      }
    }
  }
}

/** What `resolveGlmObjective` derives from a dataset, a loss and GlmObjectiveOptions. */
export interface ResolvedGlmObjective {
  readonly dimension: number;
  readonly interceptIndex: number | null;
  /** Precision per coefficient (0 at the intercept); a fresh array. */
  readonly priorPrecision: Float64Array;
  /** Prior mean per coefficient (a fresh copy), or null for 0. */
  readonly priorMean: Float64Array | null;
}

/**
 * Validates a GLM problem once (every label valid for the loss, the intercept column all ones,
 * precision and mean finite and of the right length) and resolves the prior per coefficient.
 * Shared by the single-threaded and the data-parallel objectives so that both accept and reject
 * exactly the same problems.
 */
export function resolveGlmObjective(dataset: Dataset, loss: DifferentiableLoss, options: GlmObjectiveOptions = {}): ResolvedGlmObjective {
  if (options === null || typeof options !== 'object') throw invalidArgument('options', options, 'must be an object');
  checkKnownKeys('options', options, KNOWN_OPTIONS);
  if (dataset === null || typeof dataset !== 'object' || !(dataset.x instanceof CsrMatrix)) {
    throw invalidArgument('dataset', dataset, 'must be a Dataset (see createDataset)');
  }
  const { x, labels } = dataset;
  const n = x.cols;
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i] as number;
    if (!loss.isValidLabel(y)) throw invalidArgument(`labels[${i}]`, y, loss.labelConstraint);
  }
  const interceptColumn = options.interceptColumn ?? null;
  if (interceptColumn !== null) {
    if (!Number.isInteger(interceptColumn) || interceptColumn < 0 || interceptColumn >= n) {
      throw invalidArgument('interceptColumn', interceptColumn, `must be null or an integer in [0, ${n - 1}]`);
    }
    checkInterceptColumn(x, interceptColumn);
  }
  const precisionOption = options.priorPrecision ?? 0;
  let precision: Float64Array;
  if (typeof precisionOption === 'number') {
    if (!Number.isFinite(precisionOption) || precisionOption < 0) {
      throw invalidArgument('priorPrecision', precisionOption, 'must be a finite number >= 0 (0 = unpenalised)');
    }
    precision = new Float64Array(n).fill(precisionOption);
    if (interceptColumn !== null) precision[interceptColumn] = 0;
  } else {
    if (!(precisionOption instanceof Float64Array) || precisionOption.length !== n) {
      throw invalidArgument('priorPrecision', precisionOption, `must be a number or a Float64Array with one entry per column (${n})`);
    }
    for (let j = 0; j < n; j++) {
      const p = precisionOption[j] as number;
      if (!Number.isFinite(p) || p < 0) throw invalidArgument(`priorPrecision[${j}]`, p, 'must be a finite number >= 0 (0 = unpenalised)');
    }
    if (interceptColumn !== null && precisionOption[interceptColumn] !== 0) {
      throw invalidArgument(
        `priorPrecision[${interceptColumn}]`,
        precisionOption[interceptColumn],
        'must be 0 at the intercept column (the intercept is never penalised)',
      );
    }
    precision = Float64Array.from(precisionOption);
  }
  const mean = options.priorMean ?? null;
  if (mean !== null) {
    if (!(mean instanceof Float64Array) || mean.length !== n) {
      throw invalidArgument('priorMean', mean, `must be null or a Float64Array with one entry per column (${n})`);
    }
    for (let j = 0; j < n; j++) {
      if (!Number.isFinite(mean[j] as number)) throw invalidArgument(`priorMean[${j}]`, mean[j], 'must be a finite number');
    }
  }
  return {
    dimension: n,
    interceptIndex: interceptColumn,
    priorPrecision: precision,
    priorMean: mean === null ? null : Float64Array.from(mean),
  };
}

/**
 * ½ Σ_j precision_j (w_j − mean_j)², adding its gradient precision_j (w_j − mean_j) into
 * `gradientOut` when given.
 */
export function priorTerm(precision: Float64Array, mean: Float64Array | null, w: Float64Array, gradientOut: Float64Array | null): number {
  let prior = 0;
  for (let j = 0; j < precision.length; j++) {
    const pj = precision[j] as number;
    if (pj === 0) continue;
    const r = (w[j] as number) - (mean === null ? 0 : (mean[j] as number));
    prior += pj * r * r;
    if (gradientOut !== null) gradientOut[j]! += pj * r;
  }
  return 0.5 * prior;
}

/**
 * The Bayesian GLM objective (LASER eq. 6 generalised, Photon ML's GLMLossFunction):
 *
 *   f(w) = Σ_i weight_i · ℓ(x_i·w + offset_i, y_i) + ½ Σ_j precision_j (w_j − priorMean_j)²
 *
 * negative log-posterior up to a constant. Row loops run over typed arrays through the range
 * kernels above; this class runs them over all rows in one thread.
 */
export class GlmObjective<L extends DifferentiableLoss = DifferentiableLoss> implements DifferentiableObjective {
  readonly dataset: Dataset;
  readonly loss: L;
  readonly dimension: number;
  readonly interceptIndex: number | null;
  /** Precision per coefficient (0 at the intercept). */
  readonly priorPrecision: Float64Array;
  /** Prior mean per coefficient, or null for 0. */
  readonly priorMean: Float64Array | null;
  protected readonly rows: GlmRowData;
  protected readonly point: LossPoint = createLossPoint();
  /** D_i = weight_i ℓ''(z_i) at the last valueAndGradient point; null for first-order losses. */
  protected readonly curvature: Float64Array | null;
  protected hasCurvature = false;

  constructor(dataset: Dataset, loss: L, options: GlmObjectiveOptions = {}) {
    const resolved = resolveGlmObjective(dataset, loss, options);
    const { x } = dataset;
    this.dataset = dataset;
    this.loss = loss;
    this.dimension = resolved.dimension;
    this.interceptIndex = resolved.interceptIndex;
    this.priorPrecision = resolved.priorPrecision;
    this.priorMean = resolved.priorMean;
    this.rows = {
      rowPtr: x.rowPtr,
      colIdx: x.colIdx,
      values: x.values,
      labels: dataset.labels,
      weights: dataset.weights,
      offsets: dataset.offsets,
    };
    this.curvature = isTwiceDifferentiable(loss) ? new Float64Array(x.rows) : null;
  }

  value(w: Float64Array): number {
    this.checkVector('w', w);
    return lossRange(this.rows, this.loss, w, 0, this.dataset.x.rows, this.point) + this.priorValue(w);
  }

  valueAndGradient(w: Float64Array, gradientOut: Float64Array): number {
    this.checkVector('w', w);
    this.checkVector('gradientOut', gradientOut);
    gradientOut.fill(0);
    const f = lossGradientRange(this.rows, this.loss, w, 0, this.dataset.x.rows, gradientOut, this.curvature, this.point);
    this.hasCurvature = this.curvature !== null;
    return f + priorTerm(this.priorPrecision, this.priorMean, w, gradientOut);
  }

  protected priorValue(w: Float64Array): number {
    return priorTerm(this.priorPrecision, this.priorMean, w, null);
  }

  protected checkVector(field: string, v: unknown): void {
    if (!(v instanceof Float64Array) || v.length !== this.dimension) {
      throw invalidArgument(field, v, `must be a Float64Array of length dimension (${this.dimension})`);
    }
  }
}

/**
 * A GlmObjective over a twice-differentiable loss, with curvature for TRON and for Laplace
 * posterior variances 1 / diag(H): H = Xᵀ D X + Λ at the last `valueAndGradient` point, D cached
 * per row as liblinear does. For logistic, squared and Poisson losses with the canonical link
 * this is the exact Hessian.
 */
export class TwiceDifferentiableGlmObjective extends GlmObjective<TwiceDifferentiableLoss> implements TwiceDifferentiableObjective {
  hessianVector(v: Float64Array, out: Float64Array): void {
    this.checkVector('v', v);
    this.checkVector('out', out);
    const d = this.requireCurvature('hessianVector');
    out.fill(0);
    hessianVectorRange(this.rows, d, v, 0, this.dataset.x.rows, out);
    const p = this.priorPrecision;
    for (let j = 0; j < this.dimension; j++) out[j]! += (p[j] as number) * (v[j] as number);
  }

  hessianDiagonal(out: Float64Array): void {
    this.checkVector('out', out);
    const d = this.requireCurvature('hessianDiagonal');
    out.fill(0);
    hessianDiagonalRange(this.rows, d, 0, this.dataset.x.rows, out);
    const p = this.priorPrecision;
    for (let j = 0; j < this.dimension; j++) out[j]! += p[j] as number;
  }

  private requireCurvature(method: string): Float64Array {
    if (!this.hasCurvature || this.curvature === null) {
      throw new LaserError('INVALID_ARGUMENT', `${method}() needs the curvature at a point: call valueAndGradient(w, gradientOut) first`);
    }
    return this.curvature;
  }
}

/**
 * The GLM objective for `loss`: with a twice-differentiable loss the result also offers
 * Hessian-vector products and the Hessian diagonal (so TRON accepts it); with a loss that only
 * has a first derivative it does not, and the compiler keeps it away from TRON.
 */
export function glmObjective(dataset: Dataset, loss: TwiceDifferentiableLoss, options?: GlmObjectiveOptions): TwiceDifferentiableGlmObjective;
export function glmObjective(dataset: Dataset, loss: DifferentiableLoss, options?: GlmObjectiveOptions): GlmObjective;
export function glmObjective(dataset: Dataset, loss: DifferentiableLoss, options: GlmObjectiveOptions = {}): GlmObjective {
  return isTwiceDifferentiable(loss) ? new TwiceDifferentiableGlmObjective(dataset, loss, options) : new GlmObjective(dataset, loss, options);
}

function checkInterceptColumn(x: CsrMatrix, column: number): void {
  const { rowPtr, colIdx, values } = x;
  for (let i = 0; i < x.rows; i++) {
    let found = false;
    for (let k = rowPtr[i] as number; k < (rowPtr[i + 1] as number); k++) {
      if (colIdx[k] === column) {
        const v = values === null ? 1 : (values[k] as number);
        if (v !== 1) throw invalidArgument(`x[${i}][${column}]`, v, 'must be 1 in the intercept column', 'see withInterceptColumn()');
        found = true;
        break;
      }
    }
    if (!found) throw invalidArgument(`x[${i}][${column}]`, 0, 'must be 1 in the intercept column', 'see withInterceptColumn()');
  }
}
