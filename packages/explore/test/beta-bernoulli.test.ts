import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import jstat from 'jstat';
import { SeededRng } from '@laserkit/core';
import { BetaBernoulliThompsonPolicy } from '../src/beta-bernoulli.js';
import { betaCdf, betaPdf, logGamma } from '../src/special.js';

const { jStat } = jstat;

describe('special functions', () => {
  it('agree with jstat: ln Γ, Beta density and distribution function', () => {
    fc.assert(
      fc.property(fc.double({ min: 0.5, max: 5000, noNaN: true }), fc.double({ min: 0.5, max: 300_000, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }), (a, b, u) => {
        expect(Math.abs(logGamma(a) - jStat.gammaln(a))).toBeLessThan(1e-8 * Math.max(1, Math.abs(jStat.gammaln(a))));
        // Probe near the bulk of the distribution, where the race integrals look.
        const mean = a / (a + b);
        const sd = Math.sqrt((a * b) / ((a + b) ** 2 * (a + b + 1)));
        const x = Math.min(1 - 1e-12, Math.max(1e-12, mean + (u - 0.5) * 8 * sd));
        expect(Math.abs(betaCdf(x, a, b) - jStat.beta.cdf(x, a, b))).toBeLessThan(1e-7);
        const ref = jStat.beta.pdf(x, a, b);
        expect(Math.abs(betaPdf(x, a, b) - ref)).toBeLessThan(1e-6 * Math.max(1, ref));
      }),
      { seed: 17, numRuns: 300 },
    );
  });
});

describe('BetaBernoulliThompsonPolicy', () => {
  const arms = { count: 5, successes: Float64Array.of(3, 10, 0, 40, 7), failures: Float64Array.of(200, 500, 10, 3000, 300) };

  it('gives per-position propensities that match Monte Carlo and sum to 1 per position and per arm ≤ 1', () => {
    const policy = new BetaBernoulliThompsonPolicy();
    const ranks = 3;
    const p = policy.rankPropensities(arms, ranks);
    const rng = new SeededRng(5);
    const draws = 100_000;
    const freq = new Float64Array(arms.count * ranks);
    const v = new Float64Array(arms.count);
    for (let d = 0; d < draws; d++) {
      for (let j = 0; j < arms.count; j++) v[j] = rng.nextBeta(1 + (arms.successes[j] as number), 1 + (arms.failures[j] as number));
      const order = Array.from(v.keys()).sort((a, b) => (v[b] as number) - (v[a] as number));
      for (let r = 0; r < ranks; r++) freq[(order[r] as number) * ranks + r] = (freq[(order[r] as number) * ranks + r] as number) + 1 / draws;
    }
    for (let r = 0; r < ranks; r++) {
      let s = 0;
      for (let j = 0; j < arms.count; j++) {
        const x = p[j * ranks + r] as number;
        s += x;
        expect(Math.abs(x - (freq[j * ranks + r] as number))).toBeLessThan(4.5 * Math.sqrt((x * (1 - x)) / draws) + 1e-4);
      }
      expect(s).toBeCloseTo(1, 6);
    }
    const top = policy.topPropensities(arms);
    for (let j = 0; j < arms.count; j++) expect(top[j]).toBeCloseTo(p[j * ranks] as number, 6);
  });

  it('logs the exact top-1 propensity and a slate estimate with its error; same seed, same decisions', () => {
    const policy = new BetaBernoulliThompsonPolicy({ slateSamples: 2000 });
    const top = policy.topPropensities(arms);
    const run = (seed: number): string => {
      const rng = new SeededRng(seed);
      return JSON.stringify(
        Array.from({ length: 30 }, () => {
          const d = policy.decide(arms, { k: 2, rng });
          expect(d.propensity).toBeCloseTo(Math.max(1e-6, top[d.slate[0] as number] as number), 9);
          expect(d.slatePropensity).toBeLessThanOrEqual(d.propensity + 4 * d.slatePropensityStdError + 1e-12);
          return [Array.from(d.slate), d.slatePropensity];
        }),
      );
    };
    expect(run(3)).toBe(run(3));
  });

  it('rejects negative counts', () => {
    expect(() => new BetaBernoulliThompsonPolicy().topPropensities({ count: 1, successes: Float64Array.of(-1), failures: Float64Array.of(0) })).toThrow(/arms.successes\[0\]/);
  });
});
