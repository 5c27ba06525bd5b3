import { invalidArgument } from '@laserkit/core';
import type { CsrMatrix } from '../data/csr-matrix.js';
import { createLossPoint, type DifferentiableLoss } from '../loss/pointwise-loss.js';
import type { DifferentiableObjective } from './objective.js';

/**
 * The cold-start objective with factorized second-order crosses (LASER WSDM 2014 eq. 3 with
 * A = U Vᵀ, as in factorization machines, Rendle ICDM 2010):
 *
 *   s_i = offset_i + x_i·w + Σ_c (x_{L,i}ᵀ U_c)(V_cᵀ x_{R,i})
 *   f   = Σ_i weight_i ℓ(s_i, y_i) + ½ Σ_j λ_j (w_j − μ_j)² + ½ λ_f Σ_c (‖U_c‖² + ‖V_c‖²)
 *
 * Parameters are one vector [w, U_1, V_1, U_2, V_2, ...] (factors row-major, feature × rank), so
 * L-BFGS can optimize them jointly. Non-convex in (U, V), with a saddle point at U = V = 0: fitLaser
 * starts the factors from the top singular directions of the gradient wrt the full cross matrix
 * (laser/cross-init.ts).
 */
export interface LowRankCrossBlock {
  /** Rows × dimL: the left namespace's features. */
  readonly left: CsrMatrix;
  /** Rows × dimR: the right namespace's features. */
  readonly right: CsrMatrix;
  readonly rank: number;
}

export interface LowRankCrossObjectiveInit {
  /** Design of the linear part (rows × p), with the intercept column. */
  readonly x: CsrMatrix;
  readonly labels: Float64Array;
  readonly weights: Float64Array | null;
  readonly offsets: Float64Array | null;
  readonly crosses: readonly LowRankCrossBlock[];
  /** Prior precision per linear coefficient (0 at the intercept). */
  readonly linearPrecision: Float64Array;
  readonly linearPriorMean?: Float64Array | null;
  /** Prior precision of every factor entry. */
  readonly factorPrecision: number;
  readonly interceptColumn: number | null;
}

export class LowRankCrossObjective implements DifferentiableObjective {
  readonly dimension: number;
  readonly interceptIndex: number | null;
  /** Start of each cross's U and V in the parameter vector. */
  readonly crossOffsets: readonly { readonly u: number; readonly v: number }[];
  private readonly point = createLossPoint();
  /** Per-row scratch: U_cᵀx_L and V_cᵀx_R of every cross, at scratchOffsets[c]. */
  private readonly a: Float64Array;
  private readonly b: Float64Array;
  private readonly scratchOffsets: Int32Array;

  constructor(
    private readonly init: LowRankCrossObjectiveInit,
    private readonly loss: DifferentiableLoss,
  ) {
    const { x, labels, crosses } = init;
    if (labels.length !== x.rows) throw invalidArgument('labels', labels, `must have one entry per row (${x.rows})`);
    if (init.linearPrecision.length !== x.cols) throw invalidArgument('linearPrecision', init.linearPrecision, `must have one entry per column (${x.cols})`);
    if (!(init.factorPrecision >= 0) || !Number.isFinite(init.factorPrecision)) throw invalidArgument('factorPrecision', init.factorPrecision, 'must be a finite number >= 0');
    let n = x.cols;
    let totalRank = 0;
    this.crossOffsets = crosses.map((c, i) => {
      if (c.left.rows !== x.rows || c.right.rows !== x.rows) throw invalidArgument(`crosses[${i}].left.rows`, c.left.rows, `must equal the rows of x (${x.rows})`);
      if (!Number.isInteger(c.rank) || c.rank < 1) throw invalidArgument(`crosses[${i}].rank`, c.rank, 'must be an integer >= 1');
      const u = n;
      const v = u + c.left.cols * c.rank;
      n = v + c.right.cols * c.rank;
      totalRank += c.rank;
      return { u, v };
    });
    for (let i = 0; i < labels.length; i++) if (!loss.isValidLabel(labels[i] as number)) throw invalidArgument(`labels[${i}]`, labels[i], loss.labelConstraint);
    this.dimension = n;
    this.interceptIndex = init.interceptColumn;
    this.a = new Float64Array(totalRank);
    this.b = new Float64Array(totalRank);
    this.scratchOffsets = new Int32Array(crosses.length);
    for (let c = 1; c < crosses.length; c++) this.scratchOffsets[c] = (this.scratchOffsets[c - 1] as number) + (crosses[c - 1] as LowRankCrossBlock).rank;
  }

  value(theta: Float64Array): number {
    return this.evaluate(theta, null);
  }

  valueAndGradient(theta: Float64Array, gradientOut: Float64Array): number {
    gradientOut.fill(0);
    return this.evaluate(theta, gradientOut);
  }

  /** The margin of every row without the offset: x_i·w plus the crosses. */
  margins(theta: Float64Array, out: Float64Array): void {
    for (let i = 0; i < this.init.x.rows; i++) out[i] = this.rowMargin(theta, i);
  }

  private evaluate(theta: Float64Array, g: Float64Array | null): number {
    const { labels, weights, offsets, x } = this.init;
    const point = this.point;
    let f = 0;
    for (let i = 0; i < x.rows; i++) {
      const c = weights === null ? 1 : (weights[i] as number);
      if (c === 0) continue;
      const s = (offsets === null ? 0 : (offsets[i] as number)) + this.rowMargin(theta, i);
      this.loss.evaluate(s, labels[i] as number, point);
      f += c * point.value;
      if (g !== null) this.addRowGradient(i, g, c * point.derivative);
    }
    f += this.penalty(theta, g);
    return f;
  }

  /**
   * x_i·w + Σ_c a_c·b_c with a_c = U_cᵀx_{L,i}, b_c = V_cᵀx_{R,i}; leaves a_c, b_c in the scratch
   * arrays for `addRowGradient` on the same row.
   */
  private rowMargin(theta: Float64Array, i: number): number {
    const { x, crosses } = this.init;
    let s = 0;
    const xv = x.values;
    for (let k = x.rowPtr[i] as number; k < (x.rowPtr[i + 1] as number); k++) s += (xv === null ? 1 : (xv[k] as number)) * (theta[x.colIdx[k] as number] as number);
    const a = this.a;
    const b = this.b;
    for (let c = 0; c < crosses.length; c++) {
      const cross = crosses[c] as LowRankCrossBlock;
      const off = this.crossOffsets[c] as { u: number; v: number };
      const r = cross.rank;
      const at = this.scratchOffsets[c] as number;
      const L = cross.left;
      const R = cross.right;
      a.fill(0, at, at + r);
      b.fill(0, at, at + r);
      for (let k = L.rowPtr[i] as number; k < (L.rowPtr[i + 1] as number); k++) {
        const base = off.u + (L.colIdx[k] as number) * r;
        const v = L.values === null ? 1 : (L.values[k] as number);
        for (let q = 0; q < r; q++) a[at + q]! += v * (theta[base + q] as number);
      }
      for (let k = R.rowPtr[i] as number; k < (R.rowPtr[i + 1] as number); k++) {
        const base = off.v + (R.colIdx[k] as number) * r;
        const v = R.values === null ? 1 : (R.values[k] as number);
        for (let q = 0; q < r; q++) b[at + q]! += v * (theta[base + q] as number);
      }
      for (let q = 0; q < r; q++) s += (a[at + q] as number) * (b[at + q] as number);
    }
    return s;
  }

  /** Adds dℓ · ∂s_i/∂θ into g, with the a_c, b_c of the last `rowMargin(·, i)`. */
  private addRowGradient(i: number, g: Float64Array, dl: number): void {
    const { x, crosses } = this.init;
    const xv = x.values;
    for (let k = x.rowPtr[i] as number; k < (x.rowPtr[i + 1] as number); k++) g[x.colIdx[k] as number]! += dl * (xv === null ? 1 : (xv[k] as number));
    const a = this.a;
    const b = this.b;
    for (let c = 0; c < crosses.length; c++) {
      const cross = crosses[c] as LowRankCrossBlock;
      const off = this.crossOffsets[c] as { u: number; v: number };
      const r = cross.rank;
      const at = this.scratchOffsets[c] as number;
      const L = cross.left;
      const R = cross.right;
      // ∂s/∂U[f,q] = x_f b_q ;  ∂s/∂V[h,q] = x_h a_q
      for (let k = L.rowPtr[i] as number; k < (L.rowPtr[i + 1] as number); k++) {
        const base = off.u + (L.colIdx[k] as number) * r;
        const v = dl * (L.values === null ? 1 : (L.values[k] as number));
        for (let q = 0; q < r; q++) g[base + q]! += v * (b[at + q] as number);
      }
      for (let k = R.rowPtr[i] as number; k < (R.rowPtr[i + 1] as number); k++) {
        const base = off.v + (R.colIdx[k] as number) * r;
        const v = dl * (R.values === null ? 1 : (R.values[k] as number));
        for (let q = 0; q < r; q++) g[base + q]! += v * (a[at + q] as number);
      }
    }
  }

  private penalty(theta: Float64Array, g: Float64Array | null): number {
    const { linearPrecision: lp, linearPriorMean: mu, factorPrecision: fp, x } = this.init;
    let f = 0;
    for (let j = 0; j < x.cols; j++) {
      const d = (theta[j] as number) - (mu === null || mu === undefined ? 0 : (mu[j] as number));
      f += 0.5 * (lp[j] as number) * d * d;
      if (g !== null) g[j]! += (lp[j] as number) * d;
    }
    for (let j = x.cols; j < this.dimension; j++) {
      const t = theta[j] as number;
      f += 0.5 * fp * t * t;
      if (g !== null) g[j]! += fp * t;
    }
    return f;
  }
}
