import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { logisticLoss } from '../../src/loss/logistic.js';
import { poissonLoss } from '../../src/loss/poisson.js';
import { squaredLoss } from '../../src/loss/squared.js';
import { createLossPoint, isTwiceDifferentiable, type TwiceDifferentiableLoss } from '../../src/loss/pointwise-loss.js';

const CASES: readonly [TwiceDifferentiableLoss, fc.Arbitrary<number>, fc.Arbitrary<number>][] = [
  [logisticLoss, fc.double({ min: -30, max: 30, noNaN: true }), fc.constantFrom(0, 1)],
  [squaredLoss, fc.double({ min: -50, max: 50, noNaN: true }), fc.double({ min: -50, max: 50, noNaN: true })],
  [poissonLoss, fc.double({ min: -20, max: 8, noNaN: true }), fc.integer({ min: 0, max: 50 })],
];

function relErr(a: number, b: number): number {
  return Math.abs(a - b) / Math.max(1, Math.abs(b));
}

describe('pointwise losses', () => {
  for (const [loss, zArb, yArb] of CASES) {
    it(`${loss.name}: first and second derivatives match central differences; evaluate agrees with the separate methods`, () => {
      fc.assert(
        fc.property(zArb, yArb, (z, y) => {
          const h = 1e-5 * Math.max(1, Math.abs(z));
          const d1 = (loss.value(z + h, y) - loss.value(z - h, y)) / (2 * h);
          const d2 = (loss.derivative(z + h, y) - loss.derivative(z - h, y)) / (2 * h);
          expect(relErr(loss.derivative(z, y), d1)).toBeLessThan(1e-5);
          expect(relErr(loss.secondDerivative(z, y), d2)).toBeLessThan(1e-5);
          const out = createLossPoint();
          loss.evaluate(z, y, out);
          expect(relErr(out.value, loss.value(z, y))).toBeLessThan(1e-15);
          expect(relErr(out.derivative, loss.derivative(z, y))).toBeLessThan(1e-15);
          expect(relErr(out.secondDerivative, loss.secondDerivative(z, y))).toBeLessThan(1e-15);
          expect(out.secondDerivative).toBeGreaterThanOrEqual(0);
          expect(isTwiceDifferentiable(loss)).toBe(true);
        }),
      );
    });
  }

  it('logistic equals −log σ(±z) where that is computable, and stays finite and accurate for huge |z|', () => {
    fc.assert(
      fc.property(fc.double({ min: -30, max: 30, noNaN: true }), (z) => {
        const p = 1 / (1 + Math.exp(-z));
        expect(relErr(logisticLoss.value(z, 1), -Math.log(p))).toBeLessThan(1e-12);
        expect(relErr(logisticLoss.value(z, 0), Math.log1p(Math.exp(z)))).toBeLessThan(1e-12);
        // liblinear's ±1 form: log(1 + exp(−ỹ z)).
        expect(relErr(logisticLoss.value(z, 1), Math.log1p(Math.exp(-z)))).toBeLessThan(1e-12);
      }),
    );
    const out = createLossPoint();
    logisticLoss.evaluate(1000, 0, out);
    expect(out).toEqual({ value: 1000, derivative: 1, secondDerivative: 0 });
    logisticLoss.evaluate(-1000, 0, out);
    expect(out).toEqual({ value: 0, derivative: 0, secondDerivative: 0 });
    logisticLoss.evaluate(-800, 1, out);
    expect(out.value).toBe(800);
    expect(out.derivative).toBe(-1);
    // Far tail: the loss is e^{−40} exactly to double precision, not rounded to 0.
    expect(relErr(logisticLoss.value(-40, 0), Math.exp(-40)) / Math.exp(-40)).toBeLessThan(1e-12);
    expect(logisticLoss.secondDerivative(40, 1)).toBeGreaterThan(0);
  });

  it('labels: each loss says which labels it accepts', () => {
    expect([0, 1, 0.5, -1].map((y) => logisticLoss.isValidLabel(y))).toEqual([true, true, false, false]);
    expect([0, 3.5, -1, Number.NaN].map((y) => poissonLoss.isValidLabel(y))).toEqual([true, true, false, false]);
    expect([-7.25, Number.POSITIVE_INFINITY].map((y) => squaredLoss.isValidLabel(y))).toEqual([true, false]);
  });
});
