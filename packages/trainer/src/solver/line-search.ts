import type { DifferentiableObjective } from '../objective/objective.js';
import type { EvaluationCounter } from './solver-result.js';
import { addScaled, dot } from './vector.js';

export interface StrongWolfeParameters {
  /** Sufficient-decrease constant c₁. */
  readonly c1: number;
  /** Curvature constant c₂ (c₁ < c₂ < 1). */
  readonly c2: number;
  readonly maxEvaluations: number;
  /**
   * Absolute size of rounding in f near f0 (ROUNDING_RELATIVE·|f0|). A point whose value is within
   * it of f0 cannot be ranked by f; it is judged by its slope instead.
   */
  readonly noise: number;
}

export interface LineSearchOutcome {
  /**
   * - 'wolfe': sufficient decrease and the strong curvature condition hold.
   * - 'approximate': f is within rounding of f0 and the approximate Wolfe conditions of Hager &
   *   Zhang (SIAM J. Optim. 16, 2005, eq. 4.5) hold: c₂φ'(0) <= φ'(α) <= (2c₁ − 1)φ'(0), here
   *   with |φ'(α)| <= −c₂φ'(0). They replace sufficient decrease by its derivative form for the
   *   end game where f can no longer rank points.
   * - 'decrease': only sufficient decrease (the budget ran out first); still a usable step.
   * - 'failed': no usable point was found; the output buffers are unspecified.
   */
  readonly kind: 'wolfe' | 'approximate' | 'decrease' | 'failed';
  readonly stepSize: number;
  readonly value: number;
  readonly evaluations: number;
}

/** How a trial point compares, for bracketing the 1-D minimiser of φ(α) = f(w + αp). */
type Trial =
  | 'accept'
  /** f rose too much: the minimiser lies before α. */
  | 'too-far'
  /** Value acceptable: α may become the new low end of the bracket. */
  | 'acceptable';

/**
 * Line search for the strong Wolfe conditions along a descent direction p from w (Nocedal &
 * Wright, Numerical Optimization, 2nd ed., Alg. 3.5 with zoom Alg. 3.6; trial steps by safeguarded
 * cubic interpolation, eq. 3.59). Inside the rounding band of f0 values are not compared; the
 * slope decides. On success the chosen point and its gradient are in `wOut`
 * and `gOut`; `wTrial` and `gTrial` are scratch.
 */
export function strongWolfeLineSearch(
  objective: DifferentiableObjective,
  counter: EvaluationCounter,
  w: Float64Array,
  f0: number,
  slope0: number,
  p: Float64Array,
  initialStep: number,
  params: StrongWolfeParameters,
  wOut: Float64Array,
  gOut: Float64Array,
  wTrial: Float64Array,
  gTrial: Float64Array,
): LineSearchOutcome {
  const { c1, c2, maxEvaluations, noise } = params;
  let evaluations = 0;
  // The lowest point with sufficient decrease seen so far; its point and gradient are in wOut/gOut.
  let bestStep = 0;
  let bestValue = f0;
  let value = f0;
  let slope = slope0;

  const evaluate = (alpha: number): void => {
    addScaled(w, alpha, p, wTrial);
    value = objective.valueAndGradient(wTrial, gTrial);
    counter.functionEvaluations++;
    counter.gradientEvaluations++;
    evaluations++;
    if (!Number.isFinite(value)) value = Number.POSITIVE_INFINITY;
    slope = dot(gTrial, p);
    if (!Number.isFinite(slope)) slope = Number.NaN;
  };
  const keep = (alpha: number): void => {
    wOut.set(wTrial);
    gOut.set(gTrial);
    bestStep = alpha;
    bestValue = value;
  };
  const curvatureOk = (): boolean => Math.abs(slope) <= -c2 * slope0;
  /** Classifies the last evaluation at alpha, given the value at the current low end. */
  const classify = (alpha: number, loValue: number): Trial => {
    if (Math.abs(value - f0) <= noise) {
      if (curvatureOk() && slope <= (2 * c1 - 1) * slope0) return 'accept';
      return 'acceptable';
    }
    if (value > f0 + c1 * alpha * slope0 || value >= loValue + noise || Number.isNaN(slope)) return 'too-far';
    if (value < bestValue) keep(alpha);
    return curvatureOk() ? 'accept' : 'acceptable';
  };
  const accept = (alpha: number): LineSearchOutcome => {
    if (bestStep !== alpha) keep(alpha);
    const kind = Math.abs(value - f0) <= noise ? 'approximate' : 'wolfe';
    return { kind, stepSize: alpha, value, evaluations };
  };
  const fallback = (): LineSearchOutcome =>
    bestStep > 0 && bestValue < f0
      ? { kind: 'decrease', stepSize: bestStep, value: bestValue, evaluations }
      : { kind: 'failed', stepSize: 0, value: f0, evaluations };

  const zoom = (loStep: number, loValue: number, loSlope: number, hiStep: number, hiValue: number, hiSlope: number): LineSearchOutcome => {
    while (evaluations < maxEvaluations) {
      const a = Math.min(loStep, hiStep);
      const b = Math.max(loStep, hiStep);
      if (b - a <= 1e-16 * b) break;
      let alpha = cubicMinimizer(loStep, loValue, loSlope, hiStep, hiValue, hiSlope);
      const margin = 0.1 * (b - a);
      if (!Number.isFinite(alpha) || alpha < a + margin || alpha > b - margin) alpha = 0.5 * (loStep + hiStep);
      evaluate(alpha);
      const trial = classify(alpha, loValue);
      if (trial === 'accept') return accept(alpha);
      if (trial === 'too-far') {
        hiStep = alpha;
        hiValue = value;
        hiSlope = slope;
      } else {
        if (slope * (hiStep - loStep) >= 0) {
          hiStep = loStep;
          hiValue = loValue;
          hiSlope = loSlope;
        }
        loStep = alpha;
        loValue = value;
        loSlope = slope;
      }
    }
    return fallback();
  };

  let prevStep = 0;
  let prevValue = f0;
  let prevSlope = slope0;
  let alpha = initialStep;
  while (evaluations < maxEvaluations) {
    evaluate(alpha);
    const trial = classify(alpha, prevValue);
    if (trial === 'accept') return accept(alpha);
    if (trial === 'too-far') return zoom(prevStep, prevValue, prevSlope, alpha, value, slope);
    if (slope >= 0) return zoom(alpha, value, slope, prevStep, prevValue, prevSlope);
    prevStep = alpha;
    prevValue = value;
    prevSlope = slope;
    alpha *= 4; // still descending: extrapolate
  }
  return fallback();
}

/**
 * Minimiser of the cubic interpolating φ and φ' at a and b (Nocedal & Wright eq. 3.59); NaN when
 * the cubic has no minimiser or the data are not finite.
 */
function cubicMinimizer(a: number, fa: number, da: number, b: number, fb: number, db: number): number {
  if (!Number.isFinite(fa) || !Number.isFinite(fb) || !Number.isFinite(da) || !Number.isFinite(db)) return Number.NaN;
  const d1 = da + db - (3 * (fa - fb)) / (a - b);
  const disc = d1 * d1 - da * db;
  if (!(disc >= 0)) return Number.NaN;
  const d2 = Math.sign(b - a) * Math.sqrt(disc);
  return b - ((b - a) * (db + d2 - d1)) / (db - da + 2 * d2);
}
