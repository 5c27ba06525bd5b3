import type { LossPoint, TwiceDifferentiableLoss } from './pointwise-loss.js';

/** Squared loss ℓ(z, y) = ½(z − y)²: linear regression, Gaussian likelihood with unit variance. */
export const squaredLoss: TwiceDifferentiableLoss = Object.freeze({
  name: 'squared',
  labelConstraint: 'must be a finite number',
  isValidLabel(y: number): boolean {
    return Number.isFinite(y);
  },
  value(z: number, y: number): number {
    const r = z - y;
    return 0.5 * r * r;
  },
  derivative(z: number, y: number): number {
    return z - y;
  },
  secondDerivative(_z: number, _y: number): number {
    return 1;
  },
  evaluate(z: number, y: number, out: LossPoint): void {
    const r = z - y;
    out.value = 0.5 * r * r;
    out.derivative = r;
    out.secondDerivative = 1;
  },
});
