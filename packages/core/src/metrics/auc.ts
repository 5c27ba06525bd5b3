import { checkBinaryInputs } from './inputs.js';
import type { BinaryInputs } from './inputs.js';
import { orderByPrediction } from './sums.js';

/**
 * ROC AUC: the probability that a random positive is scored above a random negative, ties
 * counting 1/2 — the Mann-Whitney statistic U / (n₁ n₀) (Hanley & McNeil, Radiology 1982).
 * With sample weights every (positive i, negative j) pair weighs w_i w_j:
 *
 *   AUC = Σ_{y_i=1, y_j=0} w_i w_j [1(p_i > p_j) + ½ 1(p_i = p_j)] / (Σ_{y=1} w · Σ_{y=0} w)
 *
 * Computed in O(n log n) by sorting an index array. Returns NaN (does not throw) when AUC is
 * undefined: one class has zero total weight (or no rows at all).
 *
 * @param predictions scores in [0, 1]
 * @param labels 0 or 1 per row
 * @param weights optional finite sample weights >= 0 (default 1 each)
 */
export function auc(predictions: ArrayLike<number>, labels: ArrayLike<number>, weights?: ArrayLike<number>): number {
  return aucOfRows(checkBinaryInputs(predictions, labels, weights, 'weights'), undefined);
}

/** Unchecked AUC over all rows or a subset of row indices. */
export function aucOfRows(input: BinaryInputs, rows: Uint32Array | undefined): number {
  const { predictions: p, labels: y, weights: w } = input;
  const order = orderByPrediction(p, rows);
  const m = order.length;
  // Sweep tied groups in ascending score. A group with positive weight P_g and negative weight
  // N_g wins every pair against the negative weight already below it and ties its own:
  //   U += P_g (N_below + ½ N_g).
  let u = 0;
  let negBelow = 0;
  let posTotal = 0;
  let k = 0;
  while (k < m) {
    const v = p[order[k]!]!;
    let gPos = 0;
    let gNeg = 0;
    do {
      const i = order[k]!;
      const wi = w === undefined ? 1 : w[i]!;
      if (y[i] === 1) gPos += wi;
      else gNeg += wi;
      k++;
    } while (k < m && p[order[k]!]! === v);
    u += gPos * (negBelow + 0.5 * gNeg);
    negBelow += gNeg;
    posTotal += gPos;
  }
  if (!(posTotal > 0 && negBelow > 0)) return Number.NaN;
  return u / posTotal / negBelow;
}
