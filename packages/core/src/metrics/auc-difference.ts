import { invalidArgument } from '../errors.js';
import { checkBinaryInputs } from './inputs.js';
import { orderByPrediction } from './sums.js';

/** The difference of two scorers' AUC on the same rows, with its standard error. */
export interface AucDifference {
  /** AUC(a) − AUC(b). */
  readonly difference: number;
  /** DeLong's standard error of the difference, paired over the rows. */
  readonly standardError: number;
  readonly aucA: number;
  readonly aucB: number;
}

/**
 * AUC(a) − AUC(b) on the same labelled rows and DeLong's paired standard error (DeLong, DeLong &
 * Clarke-Pearson, Biometrics 1988, eq. 4-5). Each positive i has the structural component
 * V10(i) = P(score_i beats a random negative) and each negative j has V01(j) = P(a random positive
 * beats score_j), ties counting ½. With m positives, n negatives and D10 = V10_a − V10_b,
 * D01 = V01_a − V01_b:
 *
 *   Var(AUC_a − AUC_b) = s²(D10) / m + s²(D01) / n      (s² the sample variance)
 *
 * Components come from one sort per scorer, O(N log N) (Sun & Xu, IEEE SPL 2014). Unweighted.
 * NaN when a class has fewer than two rows.
 */
export function aucDifference(a: ArrayLike<number>, b: ArrayLike<number>, labels: ArrayLike<number>): AucDifference {
  const inA = checkBinaryInputs(a, labels, undefined, 'weights');
  if (b.length !== a.length) throw invalidArgument('b.length', b.length, `must equal a.length (${a.length})`);
  checkBinaryInputs(b, labels, undefined, 'weights');
  const y = inA.labels;
  let m = 0;
  for (let i = 0; i < y.length; i++) if (y[i] === 1) m++;
  const n = y.length - m;
  if (m < 2 || n < 2) return { difference: Number.NaN, standardError: Number.NaN, aucA: Number.NaN, aucB: Number.NaN };
  const ca = structuralComponents(a, y, m, n);
  const cb = structuralComponents(b, y, m, n);
  const aucA = mean(ca, y, 1);
  const aucB = mean(cb, y, 1);
  const variance = differenceVariance(ca, cb, y, 1) / m + differenceVariance(ca, cb, y, 0) / n;
  return { difference: aucA - aucB, standardError: Math.sqrt(variance), aucA, aucB };
}

/** V10 at each positive row and V01 at each negative row, in one array indexed by row. */
function structuralComponents(p: ArrayLike<number>, y: ArrayLike<number>, m: number, n: number): Float64Array {
  const order = orderByPrediction(p, undefined);
  const out = new Float64Array(p.length);
  let negBelow = 0;
  let posBelow = 0;
  let k = 0;
  while (k < order.length) {
    const start = k;
    const v = p[order[k]!]!;
    let gPos = 0;
    let gNeg = 0;
    while (k < order.length && p[order[k]!]! === v) {
      if (y[order[k]!] === 1) gPos++;
      else gNeg++;
      k++;
    }
    const v10 = (negBelow + 0.5 * gNeg) / n;
    const v01 = (m - posBelow - gPos + 0.5 * gPos) / m;
    for (let q = start; q < k; q++) {
      const i = order[q]!;
      out[i] = y[i] === 1 ? v10 : v01;
    }
    negBelow += gNeg;
    posBelow += gPos;
  }
  return out;
}

function mean(c: Float64Array, y: ArrayLike<number>, cls: number): number {
  let s = 0;
  let count = 0;
  for (let i = 0; i < c.length; i++) {
    if (y[i] !== cls) continue;
    s += c[i]!;
    count++;
  }
  return s / count;
}

/** Sample variance of ca − cb over the rows of one class. */
function differenceVariance(ca: Float64Array, cb: Float64Array, y: ArrayLike<number>, cls: number): number {
  let count = 0;
  let s = 0;
  for (let i = 0; i < ca.length; i++) {
    if (y[i] !== cls) continue;
    s += ca[i]! - cb[i]!;
    count++;
  }
  const mu = s / count;
  let ss = 0;
  for (let i = 0; i < ca.length; i++) {
    if (y[i] !== cls) continue;
    const d = ca[i]! - cb[i]! - mu;
    ss += d * d;
  }
  return ss / (count - 1);
}
