import type { LossPoint, TwiceDifferentiableLoss } from './pointwise-loss.js';

/**
 * Logistic loss for labels y ∈ {0, 1}: ℓ(z, y) = log(1 + e^z) − y·z, the negative log-likelihood
 * of a Bernoulli with p = σ(z). Written as max(z, 0) − y·z + log1p(e^{−|z|}) so that it neither
 * overflows for large |z| nor loses precision near 0. With labels mapped to ±1 it equals
 * log(1 + e^{−ỹz}), liblinear's form.
 */
export const logisticLoss: TwiceDifferentiableLoss = Object.freeze({
  name: 'logistic',
  labelConstraint: 'must be 0 or 1 for the logistic loss',
  isValidLabel(y: number): boolean {
    return y === 0 || y === 1;
  },
  value(z: number, y: number): number {
    return (z > 0 ? z : 0) - y * z + Math.log1p(Math.exp(-Math.abs(z)));
  },
  derivative(z: number, y: number): number {
    return sigmoid(z) - y;
  },
  secondDerivative(z: number, _y: number): number {
    const e = Math.exp(-Math.abs(z));
    const d = 1 + e;
    return e / (d * d);
  },
  evaluate(z: number, y: number, out: LossPoint): void {
    const e = Math.exp(-Math.abs(z)); // in (0, 1]: never overflows
    const p = z >= 0 ? 1 / (1 + e) : e / (1 + e);
    out.value = (z > 0 ? z : 0) - y * z + Math.log1p(e);
    out.derivative = p - y;
    // p(1 − p) = e / (1 + e)² for either sign of z, without cancellation.
    const d = 1 + e;
    out.secondDerivative = e / (d * d);
  },
});

/** σ(z) = 1 / (1 + e^{−z}), stable for either sign of z. */
function sigmoid(z: number): number {
  if (z >= 0) return 1 / (1 + Math.exp(-z));
  const e = Math.exp(z);
  return e / (1 + e);
}
