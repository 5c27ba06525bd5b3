import type { LossPoint, TwiceDifferentiableLoss } from './pointwise-loss.js';

/**
 * Poisson loss with the log link for counts y >= 0: ℓ(z, y) = e^z − y·z, the negative
 * log-likelihood of Poisson(e^z) without the constant log(y!) (as Photon ML's PoissonLossFunction).
 * e^z overflows to +Infinity past z ≈ 709; the solvers treat an infinite objective as a rejected step.
 */
export const poissonLoss: TwiceDifferentiableLoss = Object.freeze({
  name: 'poisson',
  labelConstraint: 'must be a finite number >= 0 for the poisson loss',
  isValidLabel(y: number): boolean {
    return Number.isFinite(y) && y >= 0;
  },
  value(z: number, y: number): number {
    return Math.exp(z) - y * z;
  },
  derivative(z: number, y: number): number {
    return Math.exp(z) - y;
  },
  secondDerivative(z: number, _y: number): number {
    return Math.exp(z);
  },
  evaluate(z: number, y: number, out: LossPoint): void {
    const mu = Math.exp(z);
    out.value = mu - y * z;
    out.derivative = mu - y;
    out.secondDerivative = mu;
  },
});
