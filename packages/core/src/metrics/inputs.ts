import { invalidArgument } from '../errors.js';
import { checkKnownKeys, checkRange } from '../validate.js';

// Input validation shared by the metrics. Every public metric validates once, up front, and
// then runs unchecked kernels; each failure names the field, the value and the constraint.

/** Validated inputs of a binary metric; `weights` undefined means every row weighs 1. */
export interface BinaryInputs {
  readonly predictions: ArrayLike<number>;
  readonly labels: ArrayLike<number>;
  readonly weights: ArrayLike<number> | undefined;
}

/** Default clipping for log loss: predictions are clipped to [eps, 1 - eps]. */
export const DEFAULT_LOG_LOSS_EPS = 1e-15;

/** Uint32Array row indices bound the input size. */
const MAX_LENGTH = 0xffffffff;

export function checkArrayLike(field: string, value: unknown): ArrayLike<unknown> {
  if (typeof value === 'object' && value !== null) {
    const length = (value as { length?: unknown }).length;
    if (typeof length === 'number' && Number.isInteger(length) && length >= 0 && length <= MAX_LENGTH) {
      return value as ArrayLike<unknown>;
    }
  }
  throw invalidArgument(field, value, 'must be an array or typed array');
}

export function checkSameLength(field: string, value: ArrayLike<unknown>, refField: string, ref: ArrayLike<unknown>): void {
  if (value.length !== ref.length) {
    throw invalidArgument(field, value, `must have the same length as ${refField} (length ${ref.length})`);
  }
}

/**
 * Checks predictions, labels and optional weights: arrays of one length, predictions in [0, 1],
 * labels exactly 0 or 1, weights finite and >= 0.
 */
export function checkBinaryInputs(predictions: unknown, labels: unknown, weights: unknown, weightsField: string): BinaryInputs {
  const p = checkArrayLike('predictions', predictions);
  const y = checkArrayLike('labels', labels);
  checkSameLength('labels', y, 'predictions', p);
  let w: ArrayLike<unknown> | undefined;
  if (weights !== undefined) {
    w = checkArrayLike(weightsField, weights);
    checkSameLength(weightsField, w, 'predictions', p);
  }
  const n = p.length;
  for (let i = 0; i < n; i++) {
    const v = p[i];
    if (typeof v !== 'number' || !(v >= 0 && v <= 1)) throw invalidArgument(`predictions[${i}]`, v, 'must be a probability in [0, 1]');
  }
  for (let i = 0; i < n; i++) {
    const v = y[i];
    if (v !== 0 && v !== 1) throw invalidArgument(`labels[${i}]`, v, 'must be 0 or 1');
  }
  if (w !== undefined) {
    for (let i = 0; i < n; i++) {
      const v = w[i];
      if (typeof v !== 'number' || !(v >= 0 && v < Infinity)) throw invalidArgument(`${weightsField}[${i}]`, v, 'must be a finite number >= 0');
    }
  }
  return {
    predictions: p as ArrayLike<number>,
    labels: y as ArrayLike<number>,
    weights: w as ArrayLike<number> | undefined,
  };
}

/** An optional options object: undefined becomes {}, anything but a plain object is rejected, unknown keys too. */
export function checkOptions(field: string, options: unknown, known: readonly string[]): Readonly<Record<string, unknown>> {
  if (options === undefined) return {};
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw invalidArgument(field, options, 'must be an object');
  }
  checkKnownKeys(field, options, known);
  return options as Readonly<Record<string, unknown>>;
}

/** eps for log-loss clipping, in (0, 0.5); defaults to DEFAULT_LOG_LOSS_EPS. */
export function checkEps(field: string, value: unknown): number {
  if (value === undefined) return DEFAULT_LOG_LOSS_EPS;
  return checkRange(field, value, 0, 0.5, { minExclusive: true, maxExclusive: true });
}
