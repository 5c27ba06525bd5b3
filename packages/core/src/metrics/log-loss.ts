import { checkBinaryInputs, checkEps, checkOptions } from './inputs.js';
import { baseRateEntropy, binarySums } from './sums.js';

export interface LogLossOptions {
  /** Predictions are clipped to [eps, 1 - eps] so the loss stays finite; in (0, 0.5), default 1e-15. */
  readonly eps?: number | undefined;
}

const LOG_LOSS_KEYS = ['eps'] as const;

/**
 * Mean (weighted) negative log-likelihood, in nats:
 *
 *   LL = -(1 / Σ w_i) Σ w_i [y_i ln p̃_i + (1 - y_i) ln(1 - p̃_i)],  p̃_i = clip(p_i, eps, 1 - eps)
 *
 * NaN when the total weight is 0 (including empty input).
 */
export function logLoss(
  predictions: ArrayLike<number>,
  labels: ArrayLike<number>,
  weights?: ArrayLike<number>,
  options?: LogLossOptions,
): number {
  const input = checkBinaryInputs(predictions, labels, weights, 'weights');
  const eps = checkEps('options.eps', checkOptions('options', options, LOG_LOSS_KEYS).eps);
  const sums = binarySums(input, undefined, eps);
  return sums.weightedLoss / sums.weight;
}

/**
 * Normalized entropy (He et al., "Practical Lessons from Predicting Clicks on Ads at Facebook",
 * ADKDD 2014, §2.1): the log loss divided by the entropy of the (weighted) empirical base rate
 * b = Σ w y / Σ w,
 *
 *   NE = LL / -(b ln b + (1 - b) ln(1 - b))
 *
 * so 1 means no better than always predicting the base rate, lower is better. NaN when b is 0
 * or 1 (the entropy is 0) or the total weight is 0.
 */
export function normalizedEntropy(
  predictions: ArrayLike<number>,
  labels: ArrayLike<number>,
  weights?: ArrayLike<number>,
  options?: LogLossOptions,
): number {
  const input = checkBinaryInputs(predictions, labels, weights, 'weights');
  const eps = checkEps('options.eps', checkOptions('options', options, LOG_LOSS_KEYS).eps);
  const sums = binarySums(input, undefined, eps);
  return sums.weightedLoss / sums.weight / baseRateEntropy(sums);
}
