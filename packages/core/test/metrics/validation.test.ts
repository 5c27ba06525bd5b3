import { describe, expect, it } from 'vitest';
import { LaserError } from '../../src/errors.js';
import {
  auc,
  calibrationCurve,
  evaluateBinary,
  evaluateByBucket,
  logLoss,
  normalizedEntropy,
  observedExpectedRatio,
} from '../../src/metrics/index.js';

/** Lets a test pass a value the types forbid, as a JavaScript caller could. */
function bad<T>(value: unknown): T {
  return value as T;
}

function expectInvalid(fn: () => unknown, message: string, field: string): void {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(LaserError);
  const error = caught as LaserError;
  expect(error.code).toBe('INVALID_ARGUMENT');
  expect(error.retriable).toBe(false);
  expect(error.message).toBe(message);
  expect(error.details.field).toBe(field);
}

const ten = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1];
const tenLabels = [0, 1, 0, 1, 0, 1, 0, 1, 0, 1];

/** The checks every function shares on predictions, labels and weights. */
const binaryMetrics = [
  ['auc', (p: ArrayLike<number>, y: ArrayLike<number>, w?: ArrayLike<number>) => auc(p, y, w), 'weights'],
  ['logLoss', (p: ArrayLike<number>, y: ArrayLike<number>, w?: ArrayLike<number>) => logLoss(p, y, w), 'weights'],
  ['normalizedEntropy', (p: ArrayLike<number>, y: ArrayLike<number>, w?: ArrayLike<number>) => normalizedEntropy(p, y, w), 'weights'],
  ['observedExpectedRatio', (p: ArrayLike<number>, y: ArrayLike<number>, w?: ArrayLike<number>) => observedExpectedRatio(p, y, w), 'weights'],
  ['calibrationCurve', (p: ArrayLike<number>, y: ArrayLike<number>, w?: ArrayLike<number>) => calibrationCurve(p, y, { weights: w }), 'options.weights'],
  ['evaluateBinary', (p: ArrayLike<number>, y: ArrayLike<number>, w?: ArrayLike<number>) => evaluateBinary(p, y, { weights: w }), 'options.weights'],
  [
    'evaluateByBucket',
    (p: ArrayLike<number>, y: ArrayLike<number>, w?: ArrayLike<number>) => evaluateByBucket(p, y, new Array<string>(p.length).fill('a'), { weights: w }),
    'options.weights',
  ],
] as const;

describe('metric input validation', () => {
  for (const [name, fn, weightsField] of binaryMetrics) {
    describe(name, () => {
      it('rejects a prediction outside [0, 1] or not a number', () => {
        const p = [...ten];
        p[3] = Number.NaN;
        expectInvalid(() => fn(p, tenLabels), 'predictions[3] (NaN) must be a probability in [0, 1]', 'predictions[3]');
        expectInvalid(() => fn(new Float64Array([0.5, 1.5]), [0, 1]), 'predictions[1] (1.5) must be a probability in [0, 1]', 'predictions[1]');
        expectInvalid(() => fn([-0.1], [0]), 'predictions[0] (-0.1) must be a probability in [0, 1]', 'predictions[0]');
        expectInvalid(() => fn(bad(['0.5']), [0]), 'predictions[0] ("0.5") must be a probability in [0, 1]', 'predictions[0]');
      });

      it('rejects a label other than 0 or 1', () => {
        const p = new Array<number>(20).fill(0.5);
        const y = new Array<number>(20).fill(0);
        y[17] = 0.5;
        expectInvalid(() => fn(p, y), 'labels[17] (0.5) must be 0 or 1', 'labels[17]');
        expectInvalid(() => fn([0.5], bad([true])), 'labels[0] (true) must be 0 or 1', 'labels[0]');
        expectInvalid(() => fn([0.5], [2]), 'labels[0] (2) must be 0 or 1', 'labels[0]');
      });

      it('rejects mismatched lengths', () => {
        expectInvalid(() => fn(ten, tenLabels.slice(0, 9)), 'labels (array(length 9)) must have the same length as predictions (length 10)', 'labels');
        expectInvalid(
          () => fn(ten, tenLabels, new Float64Array(9)),
          `${weightsField} (Float64Array(length 9)) must have the same length as predictions (length 10)`,
          weightsField,
        );
      });

      it('rejects a negative or non-finite weight', () => {
        expectInvalid(() => fn([0.5, 0.5, 0.5], [0, 1, 0], [1, 1, -1]), `${weightsField}[2] (-1) must be a finite number >= 0`, `${weightsField}[2]`);
        expectInvalid(() => fn([0.5], [0], [Infinity]), `${weightsField}[0] (Infinity) must be a finite number >= 0`, `${weightsField}[0]`);
        expectInvalid(() => fn([0.5], [0], [Number.NaN]), `${weightsField}[0] (NaN) must be a finite number >= 0`, `${weightsField}[0]`);
      });

      it('rejects non-arrays', () => {
        expectInvalid(() => fn(bad(5), []), 'predictions (5) must be an array or typed array', 'predictions');
        expectInvalid(() => fn(bad('0.5'), []), 'predictions ("0.5") must be an array or typed array', 'predictions');
        expectInvalid(() => fn([], bad(null)), 'labels (null) must be an array or typed array', 'labels');
        expectInvalid(() => fn([], [], bad({})), `${weightsField} (object) must be an array or typed array`, weightsField);
      });
    });
  }

  it('logLoss and normalizedEntropy check eps and unknown options', () => {
    for (const fn of [logLoss, normalizedEntropy]) {
      expectInvalid(() => fn([0.5], [1], undefined, { eps: 0 }), 'options.eps (0) must be in (0, 0.5)', 'options.eps');
      expectInvalid(() => fn([0.5], [1], undefined, { eps: 0.5 }), 'options.eps (0.5) must be in (0, 0.5)', 'options.eps');
      expectInvalid(() => fn([0.5], [1], undefined, { eps: Number.NaN }), 'options.eps (NaN) must be a finite number', 'options.eps');
      expectInvalid(
        () => fn([0.5], [1], undefined, bad({ epsilon: 0.1 })),
        'options.epsilon (0.1) is not a known option; known options: eps',
        'options.epsilon',
      );
      expectInvalid(() => fn([0.5], [1], undefined, bad(0.1)), 'options (0.1) must be an object', 'options');
    }
  });

  it('calibrationCurve checks bins and strategy', () => {
    expectInvalid(() => calibrationCurve([0.5], [1], { bins: 0 }), 'options.bins (0) must be an integer in [1, 1000000]', 'options.bins');
    expectInvalid(() => calibrationCurve([0.5], [1], { bins: 2.5 }), 'options.bins (2.5) must be an integer', 'options.bins');
    expectInvalid(
      () => calibrationCurve([0.5], [1], { strategy: bad('linear') }),
      'options.strategy ("linear") must be one of "uniform", "quantile"',
      'options.strategy',
    );
    expectInvalid(
      () => calibrationCurve([0.5], [1], bad({ bin: 3 })),
      'options.bin (3) is not a known option; known options: bins, strategy, weights',
      'options.bin',
    );
  });

  it('evaluateBinary and evaluateByBucket check eps and unknown options', () => {
    expectInvalid(() => evaluateBinary([0.5], [1], { eps: -1 }), 'options.eps (-1) must be in (0, 0.5)', 'options.eps');
    expectInvalid(() => evaluateByBucket([0.5], [1], ['a'], { eps: 1 }), 'options.eps (1) must be in (0, 0.5)', 'options.eps');
    expectInvalid(
      () => evaluateBinary([0.5], [1], bad({ weight: [1] })),
      'options.weight (array(length 1)) is not a known option; known options: weights, eps',
      'options.weight',
    );
    expectInvalid(() => evaluateBinary([0.5], [1], bad([])), 'options (array(length 0)) must be an object', 'options');
  });

  it('evaluateByBucket checks bucket keys', () => {
    expectInvalid(
      () => evaluateByBucket([0.5, 0.5, 0.5], [1, 0, 1], ['a', 'b']),
      'buckets (array(length 2)) must have the same length as predictions (length 3)',
      'buckets',
    );
    expectInvalid(() => evaluateByBucket([0.5, 0.5], [1, 0], [1, Number.NaN]), 'buckets[1] (NaN) must be a string or a finite number', 'buckets[1]');
    expectInvalid(() => evaluateByBucket([0.5], [1], bad<string[]>([null])), 'buckets[0] (null) must be a string or a finite number', 'buckets[0]');
    expectInvalid(() => evaluateByBucket([0.5], [1], bad<string[]>('a')), 'buckets ("a") must be an array or typed array', 'buckets');
  });

  it('an undefined metric is NaN, not an error', () => {
    expect(auc([0.5], [1])).toBeNaN();
    expect(normalizedEntropy([0.5], [1])).toBeNaN();
    expect(evaluateBinary([0.5], [0]).auc).toBeNaN();
  });
});
