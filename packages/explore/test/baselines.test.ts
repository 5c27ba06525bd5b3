import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { SeededRng } from '@laserkit/core';
import { EpsilonGreedyPolicy, ExploitOnlyPolicy, UcbPolicy } from '../src/baselines.js';
import { response } from '../src/link.js';
import { randomCandidates } from './helpers.js';

describe('ExploitOnlyPolicy', () => {
  it('ranks by the mode, or by bid × response when bids are given, ties to the lower index', () => {
    const p = new ExploitOnlyPolicy();
    const rng = new SeededRng(1);
    const c = { count: 4, mean: Float64Array.of(0.5, 2, 2, -1), variance: Float64Array.of(9, 0, 0, 9), link: 'logistic' as const };
    const d = p.decide(c, { k: 3, rng });
    expect(Array.from(d.slate)).toEqual([1, 2, 0]);
    expect([d.propensity, d.slatePropensity, d.slatePropensityStdError]).toEqual([1, 1, 0]);
    const withBids = p.decide({ ...c, bid: Float64Array.of(10, 1, 1, 1) }, { k: 2, rng });
    expect(withBids.slate[0]).toBe(0);
    expect(withBids.scores[0]).toBeCloseTo(10 * response('logistic', 0.5), 12);
    expect(Array.from(p.topPropensities(c))).toEqual([0, 1, 0, 0]);
  });
});

describe('UcbPolicy', () => {
  it('adds width posterior standard deviations before ranking', () => {
    const c = { count: 2, mean: Float64Array.of(1, 0), variance: Float64Array.of(0, 4), link: 'logistic' as const };
    expect(new UcbPolicy({ width: 0.4 }).decide(c, { k: 1, rng: new SeededRng(1) }).slate[0]).toBe(0);
    expect(new UcbPolicy({ width: 0.6 }).decide(c, { k: 1, rng: new SeededRng(1) }).slate[0]).toBe(1);
    expect(new UcbPolicy({ width: 0.6, varianceScale: 0.1 }).decide(c, { k: 1, rng: new SeededRng(1) }).slate[0]).toBe(0);
  });
});

describe('EpsilonGreedyPolicy', () => {
  it('shows each slate at the rate of its logged propensity', () => {
    const c = randomCandidates(4, 5);
    const p = new EpsilonGreedyPolicy({ epsilon: 0.3 });
    const rng = new SeededRng(9);
    const seen = new Map<string, { count: number; propensity: number }>();
    const n = 60_000;
    for (let i = 0; i < n; i++) {
      const d = p.decide(c, { k: 2, rng });
      const key = Array.from(d.slate).join(',');
      const e = seen.get(key) ?? { count: 0, propensity: d.slatePropensity };
      e.count++;
      expect(e.propensity).toBe(d.slatePropensity);
      seen.set(key, e);
    }
    expect(seen.size).toBe(20);
    let total = 0;
    for (const { count, propensity } of seen.values()) {
      total += propensity;
      expect(Math.abs(count / n - propensity)).toBeLessThan(4.5 * Math.sqrt((propensity * (1 - propensity)) / n));
    }
    expect(total).toBeCloseTo(1, 12);
  });
});

describe('every policy', () => {
  it('has top-1 propensities that are non-negative and sum to 1 (property)', () => {
    const policies = [new ExploitOnlyPolicy(), new UcbPolicy({ width: 1.5 }), new EpsilonGreedyPolicy({ epsilon: 0.1 })];
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 300 }), fc.integer({ min: 0, max: 1e6 }), fc.boolean(), (n, seed, bids) => {
        const c = randomCandidates(seed, n, { bids, zeroShare: 0.3 });
        for (const policy of policies) {
          const p = policy.topPropensities(c);
          let s = 0;
          for (const x of p) {
            expect(x).toBeGreaterThanOrEqual(0);
            s += x;
          }
          expect(s).toBeCloseTo(1, 12);
          // The decision's logged top-1 propensity is the same number.
          const d = policy.decide(c, { k: 1, rng: new SeededRng(seed) });
          if (policy.name !== 'epsilon-greedy') expect(p[d.slate[0] as number]).toBe(1);
          else expect(d.propensity).toBeCloseTo(p[d.slate[0] as number] as number, 14);
        }
      }),
      { seed: 3, numRuns: 150 },
    );
  });

  it('gives the same decisions for the same seed', () => {
    const c = randomCandidates(6, 50);
    const p = new EpsilonGreedyPolicy({ epsilon: 0.5 });
    const run = (seed: number): string => {
      const rng = new SeededRng(seed);
      return Array.from({ length: 50 }, () => Array.from(p.decide(c, { k: 3, rng }).slate).join(',')).join(';');
    };
    expect(run(1)).toBe(run(1));
    expect(run(1)).not.toBe(run(2));
  });
});
