import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import jstat from 'jstat';
import { SeededRng } from '@laserkit/core';
import { ThompsonSamplingPolicy } from '../src/thompson.js';
import { response } from '../src/link.js';
import type { Candidates } from '../src/types.js';
import { randomCandidates } from './helpers.js';

const { jStat } = jstat;

/** Top-1 frequencies of plain Monte Carlo draws of every candidate (the definition, not the integral). */
function monteCarloTop1(c: Candidates, scale: number, draws: number, seed: number): Float64Array {
  const rng = new SeededRng(seed);
  const counts = new Float64Array(c.count);
  for (let d = 0; d < draws; d++) {
    let best = 0;
    let bv = -Infinity;
    for (let j = 0; j < c.count; j++) {
      const s = (c.mean[j] as number) + Math.sqrt(scale * (c.variance[j] as number)) * rng.nextNormal();
      const v = c.bid === undefined ? s : (c.bid[j] as number) * response(c.link, s);
      if (v > bv) {
        bv = v;
        best = j;
      }
    }
    counts[best] = (counts[best] as number) + 1 / draws;
  }
  return counts;
}

/**
 * High-resolution reference of the race integral: midpoint rule on `steps` points of [-9, 9] with
 * jstat's Φ (the midpoint rule converges geometrically for smooth integrands that vanish at both ends).
 */
function referenceWin(c: Candidates, scale: number, j: number, steps = 40_000): number {
  const sd = (k: number): number => Math.sqrt(scale * (c.variance[k] as number));
  const value = (k: number, s: number): number => (c.bid === undefined ? s : (c.bid[k] as number) * response(c.link, s));
  const below = (k: number, v: number): number => {
    const b = c.bid === undefined ? 1 : (c.bid[k] as number);
    let thr = v / b;
    if (c.bid !== undefined) thr = c.link === 'logistic' ? (thr >= 1 ? Infinity : Math.log(thr / (1 - thr))) : c.link === 'log' ? Math.log(thr) : thr;
    return jStat.normal.cdf((thr - (c.mean[k] as number)) / sd(k), 0, 1);
  };
  const a = -9;
  const h = 18 / steps;
  let sum = 0;
  for (let i = 0; i < steps; i++) {
    const t = a + (i + 0.5) * h;
    const v = value(j, (c.mean[j] as number) + sd(j) * t);
    let p = Math.exp(-0.5 * t * t) / Math.sqrt(2 * Math.PI);
    for (let k = 0; k < c.count && p > 0; k++) if (k !== j) p *= below(k, v);
    sum += p * h;
  }
  return sum;
}

describe('ThompsonSamplingPolicy: exact top-1 propensities', () => {
  it('matches the closed form Φ((μ1-μ2)/√(σ1²+σ2²)) for two candidates', () => {
    const ts = new ThompsonSamplingPolicy({ varianceScale: 1 });
    fc.assert(
      fc.property(fc.double({ min: -3, max: 3, noNaN: true }), fc.double({ min: -3, max: 3, noNaN: true }), fc.double({ min: 1e-4, max: 4, noNaN: true }), fc.double({ min: 1e-4, max: 4, noNaN: true }), (m1, m2, v1, v2) => {
        const p = ts.topPropensities({ count: 2, mean: Float64Array.of(m1, m2), variance: Float64Array.of(v1, v2), link: 'logistic' });
        expect(Math.abs((p[0] as number) - jStat.normal.cdf((m1 - m2) / Math.sqrt(v1 + v2), 0, 1))).toBeLessThan(1e-7);
      }),
      { seed: 11, numRuns: 200 },
    );
  });

  it('matches the closed form when one posterior is orders of magnitude narrower (a cold ad against a known one)', () => {
    const ts = new ThompsonSamplingPolicy({ varianceScale: 1 });
    const cases: [number, number, number, number][] = [
      [0, 0, 1e-6, 4],
      [0, -0.002, 1e-5, 10],
      [0.3, 0, 1e-8, 1],
      [-1, 0.5, 2, 1e-7],
    ];
    fc.assert(
      fc.property(fc.double({ min: -2, max: 2, noNaN: true }), fc.double({ min: -2, max: 2, noNaN: true }), fc.integer({ min: 3, max: 9 }), fc.double({ min: 0.1, max: 10, noNaN: true }), (m1, m2, decades, wide) => {
        cases.push([m1, m2, wide * 10 ** -decades, wide]);
        return true;
      }),
      { seed: 12, numRuns: 150 },
    );
    for (const [m1, m2, v1, v2] of cases) {
      const p = ts.topPropensities({ count: 2, mean: Float64Array.of(m1, m2), variance: Float64Array.of(v1, v2), link: 'logistic' });
      const exact = jStat.normal.cdf((m1 - m2) / Math.sqrt(v1 + v2), 0, 1);
      expect(Math.abs((p[0] as number) - exact)).toBeLessThan(1e-6);
      expect(Math.abs((p[1] as number) - (1 - exact))).toBeLessThan(1e-6);
    }
  });

  it('matches a 40,000-point reference integral, with and without bids, for every link', () => {
    for (const [seed, opts] of [
      [1, {}],
      [2, { bids: true, link: 'logistic' as const }],
      [3, { bids: true, link: 'log' as const, meanSd: 0.5 }],
      [4, { bids: true, link: 'identity' as const }],
      [5, { maxVariance: 0.01 }],
    ] as const) {
      const c = randomCandidates(seed, 6, opts);
      const p = new ThompsonSamplingPolicy({ varianceScale: 1 }).topPropensities(c);
      for (let j = 0; j < c.count; j++) expect(Math.abs((p[j] as number) - referenceWin(c, 1, j))).toBeLessThan(1e-6);
    }
  });

  it('matches the reference on dense requests of 1,000 candidates, every one competitive', () => {
    // The speed benchmark's worst case: logits around a 2 % click rate with sd 0.05, variances 0.5,
    // LASER's 0.1 variance scale; so each candidate wins about 1/1000 of the time.
    for (const bids of [false, true]) {
      const rng = new SeededRng(bids ? 32 : 31);
      const n = 1000;
      const mean = new Float64Array(n);
      const variance = new Float64Array(n).fill(0.5);
      const bid = new Float64Array(n);
      for (let j = 0; j < n; j++) {
        mean[j] = Math.log(0.02 / 0.98) + 0.05 * rng.nextNormal();
        bid[j] = 1 + 0.05 * rng.nextFloat();
      }
      const c: Candidates = { count: n, mean, variance, link: 'logistic', ...(bids ? { bid } : {}) };
      const ts = new ThompsonSamplingPolicy();
      const p = ts.topPropensities(c);
      let sum = 0;
      for (const x of p) sum += x;
      expect(Math.abs(sum - 1)).toBeLessThan(1e-6);
      // The best mean, a middle one, and whatever decide() shows first.
      const order = Array.from(mean.keys()).sort((x, y) => (mean[y] as number) - (mean[x] as number));
      const shown = ts.decide(c, { k: 1, rng: new SeededRng(5) });
      for (const j of [order[0], order[500], shown.slate[0]] as number[]) {
        const ref = referenceWin(c, 0.1, j, 1500);
        expect(ref).toBeGreaterThan(0);
        expect(Math.abs((p[j] as number) - ref)).toBeLessThan(1e-7);
      }
      expect(Math.abs(shown.propensity - (p[shown.slate[0] as number] as number))).toBeLessThan(1e-12);
    }
  });

  it('agrees with a large seeded Monte Carlo estimate within its error (40 candidates, LASER variance scale)', () => {
    const c = randomCandidates(21, 40, { meanSd: 0.3, maxVariance: 1, zeroShare: 0.1 });
    const ts = new ThompsonSamplingPolicy();
    const p = ts.topPropensities(c);
    const draws = 200_000;
    const mc = monteCarloTop1(c, 0.1, draws, 99);
    for (let j = 0; j < c.count; j++) {
      const pj = p[j] as number;
      const se = Math.sqrt(Math.max(pj * (1 - pj), 1e-6) / draws);
      expect(Math.abs((mc[j] as number) - pj)).toBeLessThan(4.5 * se + 1e-4);
    }
  });

  it('treats zero-variance candidates as point masses, ties going to the lower index', () => {
    const ts = new ThompsonSamplingPolicy({ varianceScale: 1 });
    const all = ts.topPropensities({ count: 3, mean: Float64Array.of(1, 2, 2), variance: Float64Array.of(0, 0, 0), link: 'logistic' });
    expect(Array.from(all)).toEqual([0, 1, 0]);
    // A point mass at 0 against N(0.5, 1): it wins when the Gaussian draw falls below 0.
    const mixed = ts.topPropensities({ count: 2, mean: Float64Array.of(0, 0.5), variance: Float64Array.of(0, 1), link: 'logistic' });
    expect(mixed[0]).toBeCloseTo(jStat.normal.cdf(-0.5, 0, 1), 8);
    expect(mixed[1]).toBeCloseTo(1 - jStat.normal.cdf(-0.5, 0, 1), 8);
  });

  it('sums to 1 over the candidates (property, with bids and point masses)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 60 }), fc.integer({ min: 0, max: 1e6 }), fc.boolean(), fc.constantFrom('logistic' as const, 'log' as const, 'identity' as const), (n, seed, bids, link) => {
        const c = randomCandidates(seed, n, { zeroShare: 0.2, bids, link, meanSd: link === 'log' ? 0.5 : 1 });
        const p = new ThompsonSamplingPolicy({ varianceScale: 0.5 }).topPropensities(c);
        let s = 0;
        for (const x of p) {
          expect(x).toBeGreaterThanOrEqual(0);
          s += x;
        }
        expect(Math.abs(s - 1)).toBeLessThan(1e-6);
      }),
      { seed: 5, numRuns: 120 },
    );
  });
});

describe('ThompsonSamplingPolicy.decide', () => {
  it('gives the same decisions for the same seed', () => {
    const c = randomCandidates(3, 200, { bids: true, link: 'logistic' });
    const ts = new ThompsonSamplingPolicy();
    const run = (seed: number): string => {
      const rng = new SeededRng(seed);
      return JSON.stringify(Array.from({ length: 20 }, () => ts.decide(c, { k: 3, rng })).map((d) => [Array.from(d.slate), d.propensity, d.slatePropensity]));
    };
    expect(run(7)).toBe(run(7));
    expect(run(7)).not.toBe(run(8));
  });

  it('logs the exact top-1 propensity of the shown ad, floored, and shows ads at that rate', () => {
    const c = randomCandidates(8, 12, { meanSd: 0.3 });
    const ts = new ThompsonSamplingPolicy({ varianceScale: 1, propensityFloor: 1e-6 });
    const p = ts.topPropensities(c);
    const rng = new SeededRng(4);
    const shown = new Float64Array(c.count);
    const decisions = 40_000;
    let worst = 0;
    for (let i = 0; i < decisions; i++) {
      const d = ts.decide(c, { k: 1, rng });
      const j = d.slate[0] as number;
      worst = Math.max(worst, Math.abs(d.propensity - Math.max(1e-6, p[j] as number)), Math.abs(d.slatePropensity - d.propensity), d.slatePropensityStdError);
      shown[j] = (shown[j] as number) + 1 / decisions;
    }
    expect(worst).toBeLessThan(1e-10);
    for (let j = 0; j < c.count; j++) expect(Math.abs((shown[j] as number) - (p[j] as number))).toBeLessThan(4.5 * Math.sqrt(((p[j] as number) * (1 - (p[j] as number))) / decisions) + 1e-4);
  });

  it('estimates the probability of the whole slate within its stated error', () => {
    const c = randomCandidates(9, 6, { meanSd: 0.4 });
    const ts = new ThompsonSamplingPolicy({ varianceScale: 1, slateSamples: 4000 });
    const d = ts.decide(c, { k: 3, rng: new SeededRng(1) });
    // The definition: how often plain draws of all candidates rank exactly this slate first.
    const rng = new SeededRng(77);
    const draws = 200_000;
    let hits = 0;
    const v = new Float64Array(c.count);
    for (let i = 0; i < draws; i++) {
      for (let j = 0; j < c.count; j++) v[j] = (c.mean[j] as number) + Math.sqrt(c.variance[j] as number) * rng.nextNormal();
      const order = Array.from(v.keys()).sort((a, b) => (v[b] as number) - (v[a] as number));
      if (order[0] === d.slate[0] && order[1] === d.slate[1] && order[2] === d.slate[2]) hits++;
    }
    const freq = hits / draws;
    const se = Math.sqrt((freq * (1 - freq)) / draws);
    expect(d.slatePropensityStdError).toBeGreaterThan(0);
    expect(Math.abs(d.slatePropensity - freq)).toBeLessThan(4 * Math.hypot(se, d.slatePropensityStdError));
    expect(d.slatePropensity).toBeLessThanOrEqual(d.propensity + 4 * d.slatePropensityStdError);
  });

  it('rejects bad candidates and options with the field named', () => {
    const ts = new ThompsonSamplingPolicy();
    const rng = new SeededRng(1);
    expect(() => ts.decide({ count: 1, mean: Float64Array.of(Number.NaN), variance: Float64Array.of(0), link: 'logistic' }, { k: 1, rng })).toThrow(/candidates.mean\[0\]/);
    expect(() => ts.decide({ count: 1, mean: Float64Array.of(0), variance: Float64Array.of(-1), link: 'logistic' }, { k: 1, rng })).toThrow(/candidates.variance\[0\]/);
    expect(() => ts.decide({ count: 1, mean: Float64Array.of(0), variance: Float64Array.of(0), link: 'logistic', bid: Float64Array.of(0) }, { k: 1, rng })).toThrow(/candidates.bid\[0\]/);
    expect(() => ts.decide({ count: 1, mean: Float64Array.of(0), variance: Float64Array.of(0), link: 'logistic' }, { k: 0, rng })).toThrow(/options.k/);
    expect(() => new ThompsonSamplingPolicy({ varianceScale: 0 })).toThrow(/varianceScale/);
    expect(() => new ThompsonSamplingPolicy({ varianceScal: 0.1 } as never)).toThrow(/options.varianceScal/);
  });
});
