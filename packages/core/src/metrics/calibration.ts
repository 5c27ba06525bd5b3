import { checkInteger, checkOneOf } from '../validate.js';
import { checkBinaryInputs, checkOptions } from './inputs.js';
import { binarySums, orderByPrediction } from './sums.js';

/**
 * Observed / expected: O/E = Σ w_i y_i / Σ w_i p_i, the calibration ratio LASER reports
 * (Agarwal et al., WSDM 2014). 1 is calibrated, < 1 over-predicts, > 1 under-predicts.
 * IEEE division: NaN when both sums are 0, Infinity when there are positives but Σ w p = 0.
 */
export function observedExpectedRatio(predictions: ArrayLike<number>, labels: ArrayLike<number>, weights?: ArrayLike<number>): number {
  const sums = binarySums(checkBinaryInputs(predictions, labels, weights, 'weights'), undefined, undefined);
  return sums.positiveWeight / sums.weightedPrediction;
}

export type CalibrationStrategy = 'uniform' | 'quantile';

export interface CalibrationOptions {
  /** Number of bins, an integer in [1, 1000000]; default 10. */
  readonly bins?: number | undefined;
  /**
   * 'uniform' (default): bin k is [k/bins, (k+1)/bins), the last one closed at 1.
   * 'quantile': bins hold about equal weight (equal counts when unweighted or the total weight
   * is 0); tied predictions never straddle two bins, so there may be fewer than `bins`.
   */
  readonly strategy?: CalibrationStrategy | undefined;
  /** Optional finite sample weights >= 0 (default 1 each). */
  readonly weights?: ArrayLike<number> | undefined;
}

export interface CalibrationBin {
  /** Uniform: the bin's lower edge. Quantile: the smallest prediction in the bin. */
  readonly lower: number;
  /** Uniform: the bin's upper edge. Quantile: the largest prediction in the bin. */
  readonly upper: number;
  /** Rows in the bin (always > 0: empty bins are omitted). */
  readonly count: number;
  /** W_b = Σ_b w. */
  readonly weight: number;
  /** Σ_b w p / W_b (NaN if W_b = 0). */
  readonly meanPrediction: number;
  /** Σ_b w y / W_b (NaN if W_b = 0). */
  readonly observedRate: number;
}

export interface CalibrationCurve {
  /** Non-empty bins in ascending prediction order. */
  readonly bins: readonly CalibrationBin[];
  /**
   * ECE = Σ_b (W_b / W) |meanPrediction_b - observedRate_b| = Σ_b |Σ_b w p - Σ_b w y| / W
   * (Naeini et al., AAAI 2015); NaN when the total weight W is 0.
   */
  readonly expectedCalibrationError: number;
}

const CALIBRATION_KEYS = ['bins', 'strategy', 'weights'] as const;
const MAX_BINS = 1_000_000;

/** Reliability diagram data: per-bin mean prediction vs observed rate, and the expected calibration error. */
export function calibrationCurve(predictions: ArrayLike<number>, labels: ArrayLike<number>, options?: CalibrationOptions): CalibrationCurve {
  const opts = checkOptions('options', options, CALIBRATION_KEYS);
  const input = checkBinaryInputs(predictions, labels, opts.weights, 'options.weights');
  const bins = opts.bins === undefined ? 10 : checkInteger('options.bins', opts.bins, 1, MAX_BINS);
  const strategy = opts.strategy === undefined ? 'uniform' : checkOneOf('options.strategy', opts.strategy, ['uniform', 'quantile'] as const);
  return strategy === 'uniform' ? uniformCurve(input.predictions, input.labels, input.weights, bins) : quantileCurve(input.predictions, input.labels, input.weights, bins);
}

function makeBin(lower: number, upper: number, count: number, weight: number, wp: number, wy: number): CalibrationBin {
  return { lower, upper, count, weight, meanPrediction: wp / weight, observedRate: wy / weight };
}

function uniformCurve(p: ArrayLike<number>, y: ArrayLike<number>, w: ArrayLike<number> | undefined, bins: number): CalibrationCurve {
  const count = new Float64Array(bins);
  const weight = new Float64Array(bins);
  const wp = new Float64Array(bins);
  const wy = new Float64Array(bins);
  const n = p.length;
  for (let i = 0; i < n; i++) {
    const pi = p[i]!;
    let b = Math.floor(pi * bins);
    if (b >= bins) b = bins - 1;
    // p * bins can round across an edge; keep membership consistent with the reported edges b / bins.
    if (b > 0 && pi < b / bins) b--;
    else if (b < bins - 1 && pi >= (b + 1) / bins) b++;
    const wi = w === undefined ? 1 : w[i]!;
    count[b]!++;
    weight[b]! += wi;
    wp[b]! += wi * pi;
    if (y[i] === 1) wy[b]! += wi;
  }
  const out: CalibrationBin[] = [];
  let total = 0;
  let gap = 0;
  for (let b = 0; b < bins; b++) {
    const c = count[b]!;
    if (c === 0) continue;
    const wb = weight[b]!;
    out.push(makeBin(b / bins, (b + 1) / bins, c, wb, wp[b]!, wy[b]!));
    total += wb;
    gap += Math.abs(wp[b]! - wy[b]!);
  }
  return { bins: out, expectedCalibrationError: gap / total };
}

function quantileCurve(p: ArrayLike<number>, y: ArrayLike<number>, w: ArrayLike<number> | undefined, bins: number): CalibrationCurve {
  const n = p.length;
  let totalWeight = n;
  if (w !== undefined) {
    totalWeight = 0;
    for (let i = 0; i < n; i++) totalWeight += w[i]!;
  }
  // Quantiles by weight; by count when unweighted or when there is no weight at all.
  const byWeight = w !== undefined && totalWeight > 0;
  const mass = byWeight ? totalWeight : n;
  const order = orderByPrediction(p, undefined);
  const out: CalibrationBin[] = [];
  let total = 0;
  let gap = 0;
  // Current bin's accumulators.
  let label = -1;
  let lower = 0;
  let upper = 0;
  let count = 0;
  let weight = 0;
  let wp = 0;
  let wy = 0;
  const flush = (): void => {
    out.push(makeBin(lower, upper, count, weight, wp, wy));
    total += weight;
    gap += Math.abs(wp - wy);
  };
  // A tied group goes to bin floor(bins · c / M), c the mass strictly below its prediction.
  let below = 0;
  let k = 0;
  while (k < n) {
    const v = p[order[k]!]!;
    const groupLabel = Math.min(bins - 1, Math.floor((bins * below) / mass));
    if (groupLabel !== label) {
      if (label >= 0) flush();
      label = groupLabel;
      lower = v;
      count = 0;
      weight = 0;
      wp = 0;
      wy = 0;
    }
    upper = v;
    do {
      const i = order[k]!;
      const wi = w === undefined ? 1 : w[i]!;
      count++;
      weight += wi;
      wp += wi * v;
      if (y[i] === 1) wy += wi;
      below += byWeight ? wi : 1;
      k++;
    } while (k < n && p[order[k]!]! === v);
  }
  if (label >= 0) flush();
  return { bins: out, expectedCalibrationError: gap / total };
}
