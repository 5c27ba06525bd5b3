/**
 * Pointwise losses ℓ(z, y) of a GLM, as functions of the margin z = x·w + offset (Photon ML's
 * PointwiseLossFunction). The objective sums them over rows; solvers never see them.
 *
 * Differentiability is part of the type: `DifferentiableLoss` gives ℓ and ∂ℓ/∂z, enough for
 * L-BFGS and OWL-QN; `TwiceDifferentiableLoss` adds ∂²ℓ/∂z², which the Hessian-vector products
 * of TRON need. A loss without a second derivative cannot reach TRON: the compiler refuses it.
 */

/** Scratch written by `evaluate`: one object reused for every row, so the hot loop allocates nothing. */
export interface LossPoint {
  value: number;
  derivative: number;
  secondDerivative: number;
}

export function createLossPoint(): LossPoint {
  return { value: 0, derivative: 0, secondDerivative: 0 };
}

export interface DifferentiableLoss {
  /** Short name for logs and error messages ("logistic", "squared", "poisson"). */
  readonly name: string;
  /** What a valid label is, phrased to follow "labels[i] (value) ", e.g. "must be 0 or 1". */
  readonly labelConstraint: string;
  isValidLabel(y: number): boolean;
  /** ℓ(z, y). */
  value(z: number, y: number): number;
  /** ∂ℓ/∂z at (z, y). */
  derivative(z: number, y: number): number;
  /** Writes ℓ into `out.value` and ∂ℓ/∂z into `out.derivative` in one pass (sharing exp() and log()). */
  evaluate(z: number, y: number, out: LossPoint): void;
}

export interface TwiceDifferentiableLoss extends DifferentiableLoss {
  /** ∂²ℓ/∂z² at (z, y); >= 0 for the convex losses here. */
  secondDerivative(z: number, y: number): number;
  /** As DifferentiableLoss.evaluate, and also writes ∂²ℓ/∂z² into `out.secondDerivative`. */
  evaluate(z: number, y: number, out: LossPoint): void;
}

/** Narrows a loss to a twice-differentiable one (for code that receives losses from configuration). */
export function isTwiceDifferentiable(loss: DifferentiableLoss): loss is TwiceDifferentiableLoss {
  return typeof (loss as Partial<TwiceDifferentiableLoss>).secondDerivative === 'function';
}
