import { describe, expect, it } from 'vitest';
import jstat from 'jstat';
import { normalCdf, normalPdf } from '../src/normal.js';
import { GAUSS7_WEIGHTS, KRONROD_NODES, KRONROD_WEIGHTS, integrateAdaptive } from '../src/quadrature.js';

const { jStat } = jstat;

describe('normalCdf', () => {
  it('agrees with jstat to 2e-10 on [-9, 9]', () => {
    let worst = 0;
    for (let x = -9; x <= 9; x += 0.000731) worst = Math.max(worst, Math.abs(normalCdf(x) - jStat.normal.cdf(x, 0, 1)));
    expect(worst).toBeLessThan(2e-10);
  });

  it('is symmetric, monotone and saturates', () => {
    for (let x = 0; x < 9; x += 0.0173) {
      expect(normalCdf(x) + normalCdf(-x)).toBeCloseTo(1, 12);
      expect(normalCdf(x + 0.0173)).toBeGreaterThanOrEqual(normalCdf(x));
    }
    expect(normalCdf(-40)).toBe(0);
    expect(normalCdf(40)).toBe(1);
    expect(normalCdf(Number.NaN)).toBeNaN();
  });
});

describe('Gauss-Kronrod 7/15', () => {
  it('has weights summing to 2 and integrates x^22 (Kronrod) and x^12 (Gauss) exactly on [-1, 1]', () => {
    const xs = [...KRONROD_NODES.slice(0, 7), 0, ...KRONROD_NODES.slice(0, 7).map((x) => -x)];
    const ws = [...KRONROD_WEIGHTS.slice(0, 7), KRONROD_WEIGHTS[7] as number, ...KRONROD_WEIGHTS.slice(0, 7)];
    const k = (p: number): number => xs.reduce((s, x, i) => s + (ws[i] as number) * x ** p, 0);
    expect(ws.reduce((a, b) => a + b)).toBeCloseTo(2, 14);
    expect(k(22)).toBeCloseTo(2 / 23, 14);
    const gx = [1, 3, 5].map((i) => KRONROD_NODES[i] as number);
    const g = (p: number): number => 2 * gx.reduce((s, x, i) => s + (GAUSS7_WEIGHTS[i] as number) * x ** p, 0) + (p === 0 ? (GAUSS7_WEIGHTS[3] as number) : 0);
    expect(g(0)).toBeCloseTo(2, 14);
    expect(g(12)).toBeCloseTo(2 / 13, 14);
    // …and the 7-point rule is not exact one degree past its order: the error estimate can see it.
    expect(Math.abs(g(14) - 2 / 15)).toBeGreaterThan(1e-6);
  });

  it('integrates a sharp step-like integrand to its estimated error', () => {
    const r = integrateAdaptive((x) => normalPdf(x) * normalCdf(40 * (x - 0.3)), -8, 8, 1e-11);
    // Reference: fine trapezoid with jstat's Φ.
    let ref = 0;
    const h = 1e-5;
    for (let x = -8; x <= 8; x += h) ref += normalPdf(x) * jStat.normal.cdf(40 * (x - 0.3), 0, 1) * h;
    expect(Math.abs(r.value - ref)).toBeLessThan(1e-8);
    expect(r.errorEstimate).toBeLessThan(1e-11);
  });
});
