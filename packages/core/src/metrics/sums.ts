import type { BinaryInputs } from './inputs.js';

// Unchecked kernels shared by the metrics. `rows` restricts a kernel to a subset of row indices
// (used per bucket); undefined means all rows 0..n-1 in order.

/** Weighted first-order sums over a set of rows. */
export interface BinarySums {
  /** Number of rows. */
  count: number;
  /** Number of rows labelled 1. */
  positives: number;
  /** W = Σ w_i. */
  weight: number;
  /** Σ w_i y_i. */
  positiveWeight: number;
  /** Σ w_i (1 - y_i). */
  negativeWeight: number;
  /** Σ w_i p_i. */
  weightedPrediction: number;
  /** Σ w_i ℓ_i with ℓ_i = -[y_i ln p̃_i + (1 - y_i) ln(1 - p̃_i)], p̃_i = clip(p_i, eps, 1 - eps); NaN if eps is undefined. */
  weightedLoss: number;
}

/** One pass over the rows; the log-loss term is only computed when eps is given. */
export function binarySums(input: BinaryInputs, rows: Uint32Array | undefined, eps: number | undefined): BinarySums {
  const { predictions: p, labels: y, weights: w } = input;
  const m = rows === undefined ? p.length : rows.length;
  const withLoss = eps !== undefined;
  const lo = eps ?? 0;
  const hi = 1 - lo;
  let positives = 0;
  let weight = 0;
  let positiveWeight = 0;
  let negativeWeight = 0;
  let weightedPrediction = 0;
  let weightedLoss = 0;
  for (let k = 0; k < m; k++) {
    const i = rows === undefined ? k : rows[k]!;
    const wi = w === undefined ? 1 : w[i]!;
    const pi = p[i]!;
    weight += wi;
    weightedPrediction += wi * pi;
    if (y[i] === 1) {
      positives++;
      positiveWeight += wi;
      if (withLoss) weightedLoss -= wi * Math.log(pi < lo ? lo : pi > hi ? hi : pi);
    } else {
      negativeWeight += wi;
      // ln(1 - p) via log1p: accurate for small p.
      if (withLoss) weightedLoss -= wi * Math.log1p(-(pi < lo ? lo : pi > hi ? hi : pi));
    }
  }
  return {
    count: m,
    positives,
    weight,
    positiveWeight,
    negativeWeight,
    weightedPrediction,
    weightedLoss: withLoss ? weightedLoss : Number.NaN,
  };
}

/**
 * Entropy (nats) of the weighted empirical base rate: H = -(b ln b + c ln c) with
 * b = Σ w y / Σ w and c = 1 - b = Σ w (1 - y) / Σ w. NaN when b is 0 or 1 (or there is no weight).
 */
export function baseRateEntropy(sums: BinarySums): number {
  const b = sums.positiveWeight / sums.weight;
  const c = sums.negativeWeight / sums.weight;
  if (!(b > 0 && c > 0)) return Number.NaN;
  // The log of the rate near 1 is log1p of minus the other: the small rate is the accurately
  // known one (ln c from c ≈ 1 would lose ~1e-16 / b of relative accuracy at small CTRs).
  const lnB = b > 0.5 ? Math.log1p(-c) : Math.log(b);
  const lnC = c > 0.5 ? Math.log1p(-b) : Math.log(c);
  return -(b * lnB + c * lnC);
}

/** The rows (all, or the given subset) ordered by ascending prediction; a new array, `rows` is not modified. */
export function orderByPrediction(predictions: ArrayLike<number>, rows: Uint32Array | undefined): Uint32Array {
  let order: Uint32Array;
  if (rows === undefined) {
    order = new Uint32Array(predictions.length);
    for (let i = 0; i < order.length; i++) order[i] = i;
  } else {
    order = rows.slice();
  }
  // Predictions were validated (no NaN), so the comparator is a consistent total preorder.
  return order.sort((a, b) => predictions[a]! - predictions[b]!);
}
