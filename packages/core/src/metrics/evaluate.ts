import { invalidArgument } from '../errors.js';
import { aucOfRows } from './auc.js';
import { checkArrayLike, checkBinaryInputs, checkEps, checkOptions, checkSameLength } from './inputs.js';
import type { BinaryInputs } from './inputs.js';
import { baseRateEntropy, binarySums } from './sums.js';

/** Every binary click-prediction metric over one set of rows. Undefined quantities are NaN. */
export interface BinaryMetrics {
  /** Number of rows. */
  readonly count: number;
  /** Total weight Σ w (equals count when unweighted). */
  readonly weight: number;
  /** Number of rows labelled 1 (unweighted; the positive weight is baseRate · weight). */
  readonly positives: number;
  /** ROC AUC (see `auc`); NaN when one class has zero weight. */
  readonly auc: number;
  /** Mean weighted log loss in nats (see `logLoss`). */
  readonly logLoss: number;
  /** logLoss / entropy(baseRate) (see `normalizedEntropy`); NaN when baseRate is 0 or 1. */
  readonly normalizedEntropy: number;
  /** Σ w y / Σ w p (see `observedExpectedRatio`). */
  readonly observedExpected: number;
  /** Σ w y / Σ w. */
  readonly baseRate: number;
  /** Σ w p / Σ w. */
  readonly meanPrediction: number;
}

export interface EvaluateOptions {
  /** Optional finite sample weights >= 0 (default 1 each). */
  readonly weights?: ArrayLike<number> | undefined;
  /** Log-loss clipping, in (0, 0.5); default 1e-15. */
  readonly eps?: number | undefined;
}

export interface BucketedMetrics<K extends string | number> {
  /** The metrics over all rows (equal to `evaluateBinary` on the same inputs). */
  readonly overall: BinaryMetrics;
  /** Per bucket key, in order of first appearance; each equals `evaluateBinary` on that bucket's rows. */
  readonly buckets: ReadonlyMap<K, BinaryMetrics>;
}

const EVALUATE_KEYS = ['weights', 'eps'] as const;

function metricsOfRows(input: BinaryInputs, rows: Uint32Array | undefined, eps: number): BinaryMetrics {
  const s = binarySums(input, rows, eps);
  const logLoss = s.weightedLoss / s.weight;
  return {
    count: s.count,
    weight: s.weight,
    positives: s.positives,
    auc: aucOfRows(input, rows),
    logLoss,
    normalizedEntropy: logLoss / baseRateEntropy(s),
    observedExpected: s.positiveWeight / s.weightedPrediction,
    baseRate: s.positiveWeight / s.weight,
    meanPrediction: s.weightedPrediction / s.weight,
  };
}

/** All metrics in one validation pass, one sums pass and one sort. */
export function evaluateBinary(predictions: ArrayLike<number>, labels: ArrayLike<number>, options?: EvaluateOptions): BinaryMetrics {
  const opts = checkOptions('options', options, EVALUATE_KEYS);
  const input = checkBinaryInputs(predictions, labels, opts.weights, 'options.weights');
  const eps = checkEps('options.eps', opts.eps);
  return metricsOfRows(input, undefined, eps);
}

/**
 * The metrics per bucket (e.g. campaign warmness, placement) plus overall. `buckets[i]` is row
 * i's key: a string or a finite number (1 and "1" are different keys). Rows are grouped with a
 * counting sort, so each bucket is evaluated on its rows in their original order.
 */
export function evaluateByBucket<K extends string | number>(
  predictions: ArrayLike<number>,
  labels: ArrayLike<number>,
  buckets: ArrayLike<K>,
  options?: EvaluateOptions,
): BucketedMetrics<K> {
  const opts = checkOptions('options', options, EVALUATE_KEYS);
  const input = checkBinaryInputs(predictions, labels, opts.weights, 'options.weights');
  const eps = checkEps('options.eps', opts.eps);
  const keysIn = checkArrayLike('buckets', buckets);
  checkSameLength('buckets', keysIn, 'predictions', input.predictions);

  const n = keysIn.length;
  const index = new Map<K, number>();
  const keys: K[] = [];
  const bucketOf = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    const key = keysIn[i];
    if (!(typeof key === 'string' || (typeof key === 'number' && Number.isFinite(key)))) {
      throw invalidArgument(`buckets[${i}]`, key, 'must be a string or a finite number');
    }
    let b = index.get(key as K);
    if (b === undefined) {
      b = keys.length;
      index.set(key as K, b);
      keys.push(key as K);
    }
    bucketOf[i] = b;
  }

  // Counting sort of row indices by bucket: bucket b's rows are rows[start[b] .. start[b + 1]).
  const nb = keys.length;
  const start = new Uint32Array(nb + 1);
  for (let i = 0; i < n; i++) start[bucketOf[i]! + 1]!++;
  for (let b = 0; b < nb; b++) start[b + 1]! += start[b]!;
  const cursor = start.slice(0, nb);
  const rows = new Uint32Array(n);
  for (let i = 0; i < n; i++) rows[cursor[bucketOf[i]!]!++] = i;

  const out = new Map<K, BinaryMetrics>();
  for (let b = 0; b < nb; b++) out.set(keys[b]!, metricsOfRows(input, rows.subarray(start[b]!, start[b + 1]!), eps));
  return { overall: metricsOfRows(input, undefined, eps), buckets: out };
}
