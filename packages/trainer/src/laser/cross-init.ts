import { invalidArgument, type SeededRng } from '@laserkit/core';
import type { CsrMatrix } from '../data/csr-matrix.js';
import { createLossPoint, type TwiceDifferentiableLoss } from '../loss/pointwise-loss.js';

/**
 * Starting factors for a low-rank cross x_Lᵀ U Vᵀ x_R. Zero factors are a saddle point of the
 * factorized objective (∂/∂U vanishes at V = 0 and vice versa), and small random factors under a
 * strong penalty fall back into it. The gradient of the loss with respect to the full cross matrix
 * A at A = 0 is −G with G = Σ_i r_i x_{L,i} x_{R,i}ᵀ (r_i the weighted residual); with the factor
 * penalty ½λ(‖U‖² + ‖V‖²), whose minimum over U Vᵀ = A is λ‖A‖_* (Srebro, Rennie & Jaakkola,
 * NIPS 2004, Lemma 1), A = 0 is optimal exactly when σ_max(G) ≤ λ. Otherwise the top singular
 * directions of G (those with σ_q > λ) are the steepest start; a Newton line search along them
 * sets the scale, and the factors are split evenly, U = P√(tΣ), V = Q√(tΣ).
 */

/** Dense Σ_i c_i x_{L,i} x_{R,i}ᵀ, row-major left.cols × right.cols. */
export function crossGradientMatrix(left: CsrMatrix, right: CsrMatrix, coefficients: Float64Array): Float64Array {
  if (left.rows !== right.rows || coefficients.length !== left.rows) {
    throw invalidArgument('coefficients', coefficients.length, `must have one entry per row of both matrices (${left.rows}, ${right.rows})`);
  }
  const cols = right.cols;
  const g = new Float64Array(left.cols * cols);
  for (let i = 0; i < left.rows; i++) {
    const c = coefficients[i] as number;
    if (c === 0) continue;
    const ra = right.rowPtr[i] as number;
    const rb = right.rowPtr[i + 1] as number;
    for (let p = left.rowPtr[i] as number; p < (left.rowPtr[i + 1] as number); p++) {
      const base = (left.colIdx[p] as number) * cols;
      const cl = c * (left.values === null ? 1 : (left.values[p] as number));
      for (let q = ra; q < rb; q++) g[base + (right.colIdx[q] as number)]! += cl * (right.values === null ? 1 : (right.values[q] as number));
    }
  }
  return g;
}

/** The leading singular triplets of a dense matrix: M ≈ P diag(σ) Qᵀ, P rows × k, Q cols × k (row-major). */
export interface SingularTriplets {
  readonly rank: number;
  readonly left: Float64Array;
  readonly right: Float64Array;
  /** Non-increasing. */
  readonly values: Float64Array;
}

/**
 * Top-k singular triplets of a dense row-major matrix by subspace iteration (Golub & Van Loan,
 * Matrix Computations, 4th ed., §8.2.4; Halko, Martinsson & Tropp, SIAM Review 2011, Alg. 4.4),
 * finished by the k × k eigenproblem of YᵀY with Y = MᵀP (cyclic Jacobi).
 */
export function topSingularTriplets(matrix: Float64Array, rows: number, cols: number, rank: number, rng: SeededRng, iterations = 30): SingularTriplets {
  if (matrix.length !== rows * cols) throw invalidArgument('matrix', matrix.length, `must have rows × cols (${rows * cols}) entries`);
  const k = Math.min(rank, rows, cols);
  if (!Number.isInteger(rank) || rank < 1) throw invalidArgument('rank', rank, 'must be an integer >= 1');
  const q = new Float64Array(cols * k);
  for (let j = 0; j < q.length; j++) q[j] = rng.nextNormal();
  orthonormalizeColumns(q, cols, k);
  const p = new Float64Array(rows * k);
  for (let it = 0; it < iterations; it++) {
    multiply(matrix, rows, cols, q, k, p);
    orthonormalizeColumns(p, rows, k);
    multiply(matrix, rows, cols, p, k, q, true);
    if (it < iterations - 1) orthonormalizeColumns(q, cols, k);
  }
  // Now q holds Y = MᵀP, and P Yᵀ is M projected on span(P). Y = Q' Σ Wᵀ from YᵀY = W Σ² Wᵀ.
  const yty = new Float64Array(k * k);
  for (let r = 0; r < cols; r++) for (let a = 0; a < k; a++) for (let b = 0; b < k; b++) yty[a * k + b]! += (q[r * k + a] as number) * (q[r * k + b] as number);
  const { values: lambda, vectors: w } = symmetricEigen(yty, k);
  const order = Array.from({ length: k }, (_, a) => a).sort((a, b) => (lambda[b] as number) - (lambda[a] as number));
  const values = Float64Array.from(order, (a) => Math.sqrt(Math.max(lambda[a] as number, 0)));
  const left = new Float64Array(rows * k);
  const right = new Float64Array(cols * k);
  for (let r = 0; r < rows; r++) {
    for (let o = 0; o < k; o++) {
      const a = order[o] as number;
      let s = 0;
      for (let b = 0; b < k; b++) s += (p[r * k + b] as number) * (w[b * k + a] as number);
      left[r * k + o] = s;
    }
  }
  for (let r = 0; r < cols; r++) {
    for (let o = 0; o < k; o++) {
      const a = order[o] as number;
      const sigma = values[o] as number;
      if (sigma === 0) continue;
      let s = 0;
      for (let b = 0; b < k; b++) s += (q[r * k + b] as number) * (w[b * k + a] as number);
      right[r * k + o] = s / sigma;
    }
  }
  return { rank: k, left, right, values };
}

export interface SpectralStart {
  /** dimL × rank and dimR × rank, row-major; zero where no direction pays its penalty. */
  readonly leftFactors: Float64Array;
  readonly rightFactors: Float64Array;
  /** Singular values of G, largest first. */
  readonly singularValues: Float64Array;
  /** Directions with σ_q > λ (the rest start at zero). */
  readonly activeRank: number;
  /** The line search's step t along those directions (0: the cross starts at zero). */
  readonly step: number;
}

/**
 * One cross's spectral start, given each row's current margin (offsets plus everything fitted so
 * far). Updates `margins` in place with the new cross's contribution, so crosses can be started
 * one after another, each on the residuals the previous ones leave.
 */
export function spectralCrossStart(
  left: CsrMatrix,
  right: CsrMatrix,
  rank: number,
  labels: Float64Array,
  weights: Float64Array | null,
  margins: Float64Array,
  factorPrecision: number,
  loss: TwiceDifferentiableLoss,
  rng: SeededRng,
): SpectralStart {
  const n = left.rows;
  const point = createLossPoint();
  const residual = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const c = weights === null ? 1 : (weights[i] as number);
    if (c === 0) continue;
    loss.evaluate(margins[i] as number, labels[i] as number, point);
    residual[i] = -c * point.derivative;
  }
  const g = crossGradientMatrix(left, right, residual);
  const svd = topSingularTriplets(g, left.cols, right.cols, rank, rng);
  const k = svd.rank;
  const leftFactors = new Float64Array(left.cols * rank);
  const rightFactors = new Float64Array(right.cols * rank);
  let active = 0;
  while (active < k && (svd.values[active] as number) > factorPrecision) active++;
  if (active === 0) return { leftFactors, rightFactors, singularValues: svd.values, activeRank: 0, step: 0 };
  // Direction D = Σ_{q<active} σ_q p_q q_qᵀ; per row Δ_i = Σ_q σ_q (x_Lᵀp_q)(q_qᵀx_R).
  const delta = new Float64Array(n);
  const a = new Float64Array(k);
  for (let i = 0; i < n; i++) {
    a.fill(0);
    for (let p = left.rowPtr[i] as number; p < (left.rowPtr[i + 1] as number); p++) {
      const base = (left.colIdx[p] as number) * k;
      const v = left.values === null ? 1 : (left.values[p] as number);
      for (let o = 0; o < active; o++) a[o]! += v * (svd.left[base + o] as number);
    }
    let s = 0;
    for (let o = 0; o < active; o++) {
      let b = 0;
      for (let p = right.rowPtr[i] as number; p < (right.rowPtr[i + 1] as number); p++) {
        b += (right.values === null ? 1 : (right.values[p] as number)) * (svd.right[(right.colIdx[p] as number) * k + o] as number);
      }
      s += (svd.values[o] as number) * (a[o] as number) * b;
    }
    delta[i] = s;
  }
  let sigmaSum = 0;
  for (let o = 0; o < active; o++) sigmaSum += svd.values[o] as number;
  // f(t) = Σ c_i ℓ(m_i + tΔ_i) + λ t Σσ (the factor penalty of the balanced split): Newton with
  // step halving, from t = 0 where f'(0) = −Σσ² + λΣσ < 0.
  const objective = (t: number, out: { d1: number; d2: number } | null): number => {
    let f = factorPrecision * t * sigmaSum;
    let d1 = factorPrecision * sigmaSum;
    let d2 = 0;
    for (let i = 0; i < n; i++) {
      const c = weights === null ? 1 : (weights[i] as number);
      const di = delta[i] as number;
      if (c === 0 || di === 0) continue;
      loss.evaluate((margins[i] as number) + t * di, labels[i] as number, point);
      f += c * point.value;
      d1 += c * point.derivative * di;
      d2 += c * point.secondDerivative * di * di;
    }
    if (out !== null) {
      out.d1 = d1;
      out.d2 = d2;
    }
    return f;
  };
  const derivatives = { d1: 0, d2: 0 };
  let t = 0;
  let f = objective(0, derivatives);
  for (let it = 0; it < 30; it++) {
    if (!(derivatives.d2 > 0) || Math.abs(derivatives.d1) <= 1e-9 * Math.max(1, Math.abs(f))) break;
    let step = -derivatives.d1 / derivatives.d2;
    let next = Math.max(t + step, 0);
    let fNext = objective(next, null);
    while (fNext > f && Math.abs(next - t) > 1e-12 * Math.max(1, t)) {
      step /= 2;
      next = Math.max(t + step, 0);
      fNext = objective(next, null);
    }
    if (!(fNext <= f)) break;
    const moved = Math.abs(next - t);
    t = next;
    f = objective(t, derivatives);
    if (moved <= 1e-8 * Math.max(t, 1e-12)) break;
  }
  for (let o = 0; o < active; o++) {
    const scale = Math.sqrt(t * (svd.values[o] as number));
    for (let r = 0; r < left.cols; r++) leftFactors[r * rank + o] = scale * (svd.left[r * k + o] as number);
    for (let r = 0; r < right.cols; r++) rightFactors[r * rank + o] = scale * (svd.right[r * k + o] as number);
  }
  for (let i = 0; i < n; i++) margins[i]! += t * (delta[i] as number);
  return { leftFactors, rightFactors, singularValues: svd.values, activeRank: active, step: t };
}

/**
 * out = M · X (X: cols × k, out: rows × k) or, transposed, out = Mᵀ · X (X: rows × k, out: cols × k);
 * M is rows × cols; all row-major. One pass over M either way, skipping its zeros.
 */
function multiply(m: Float64Array, rows: number, cols: number, x: Float64Array, k: number, out: Float64Array, transposed = false): void {
  out.fill(0);
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    for (let c = 0; c < cols; c++) {
      const v = m[base + c] as number;
      if (v === 0) continue;
      const to = (transposed ? c : r) * k;
      const from = (transposed ? r : c) * k;
      for (let o = 0; o < k; o++) out[to + o]! += v * (x[from + o] as number);
    }
  }
}

/** Modified Gram-Schmidt, twice ("twice is enough"), on the k columns of an n × k row-major matrix. */
function orthonormalizeColumns(a: Float64Array, n: number, k: number): void {
  for (let pass = 0; pass < 2; pass++) {
    for (let o = 0; o < k; o++) {
      for (let prev = 0; prev < o; prev++) {
        let d = 0;
        for (let r = 0; r < n; r++) d += (a[r * k + o] as number) * (a[r * k + prev] as number);
        for (let r = 0; r < n; r++) a[r * k + o]! -= d * (a[r * k + prev] as number);
      }
      let norm = 0;
      for (let r = 0; r < n; r++) norm += (a[r * k + o] as number) ** 2;
      norm = Math.sqrt(norm);
      // A column in the span of the previous ones (M of lower rank than k) is left at zero.
      const inv = norm > 1e-300 ? 1 / norm : 0;
      for (let r = 0; r < n; r++) a[r * k + o]! *= inv;
    }
  }
}

/** Eigen-decomposition of a small symmetric k × k matrix by cyclic Jacobi rotations; vectors are the columns of `vectors`. */
export function symmetricEigen(matrix: Float64Array, k: number): { values: Float64Array; vectors: Float64Array } {
  const a = Float64Array.from(matrix);
  const v = new Float64Array(k * k);
  for (let i = 0; i < k; i++) v[i * k + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    let total = 0;
    for (let i = 0; i < k; i++) {
      for (let j = 0; j < k; j++) {
        const x = (a[i * k + j] as number) ** 2;
        total += x;
        if (i !== j) off += x;
      }
    }
    if (off <= 1e-30 * Math.max(total, 1e-300)) break;
    for (let p = 0; p < k; p++) {
      for (let q = p + 1; q < k; q++) {
        const apq = a[p * k + q] as number;
        if (apq === 0) continue;
        const theta = ((a[q * k + q] as number) - (a[p * k + p] as number)) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let r = 0; r < k; r++) {
          const arp = a[r * k + p] as number;
          const arq = a[r * k + q] as number;
          a[r * k + p] = c * arp - s * arq;
          a[r * k + q] = s * arp + c * arq;
        }
        for (let r = 0; r < k; r++) {
          const apr = a[p * k + r] as number;
          const aqr = a[q * k + r] as number;
          a[p * k + r] = c * apr - s * aqr;
          a[q * k + r] = s * apr + c * aqr;
        }
        for (let r = 0; r < k; r++) {
          const vrp = v[r * k + p] as number;
          const vrq = v[r * k + q] as number;
          v[r * k + p] = c * vrp - s * vrq;
          v[r * k + q] = s * vrp + c * vrq;
        }
      }
    }
  }
  return { values: Float64Array.from({ length: k }, (_, i) => a[i * k + i] as number), vectors: v };
}
