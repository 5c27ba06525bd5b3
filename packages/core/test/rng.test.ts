import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { SeededRng } from '../src/rng.js';
import { LaserError } from '../src/errors.js';

describe('SeededRng', () => {
  it('gives the same stream for the same seed and different streams for different seeds', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), (seed) => {
        const a = new SeededRng(seed);
        const b = new SeededRng(seed);
        const c = new SeededRng((seed + 1) >>> 0);
        const xa = Array.from({ length: 16 }, () => a.nextUint32());
        const xb = Array.from({ length: 16 }, () => b.nextUint32());
        const xc = Array.from({ length: 16 }, () => c.nextUint32());
        expect(xa).toEqual(xb);
        expect(xa).not.toEqual(xc);
      }),
    );
  });

  it('matches the reference xoshiro128** output from state {1, 2, 3, 4}', () => {
    // Values printed by the authors' C reference (prng.di.unimi.it/xoshiro128starstar.c).
    const rng = new SeededRng(0);
    rng.setState([1, 2, 3, 4]);
    expect(Array.from({ length: 6 }, () => rng.nextUint32())).toEqual([11520, 0, 5927040, 70819200, 2031721883, 1637235492]);
  });

  it('pins the seeded stream of seed 42 (splitmix32 seeding), so a change cannot go unnoticed', () => {
    const rng = new SeededRng(42);
    expect(Array.from({ length: 4 }, () => rng.nextUint32())).toEqual([0xa91e1cac, 0x207b36e9, 0x1c987ffa, 0xd09fde9e]);
  });

  it('nextFloat is uniform on [0, 1): chi-square over 20 bins', () => {
    const rng = new SeededRng(7);
    const n = 200_000;
    const bins = new Array<number>(20).fill(0);
    for (let i = 0; i < n; i++) {
      const u = rng.nextFloat();
      if (!(u >= 0 && u < 1)) throw new Error(`nextFloat returned ${u}`);
      bins[Math.floor(u * 20)]! += 1;
    }
    const expected = n / 20;
    const chi2 = bins.reduce((s, o) => s + (o - expected) ** 2 / expected, 0);
    // 19 degrees of freedom: P(chi2 > 43.8) = 0.001.
    expect(chi2).toBeLessThan(43.8);
  });

  it('nextInt stays in range and is unbiased for a non-power-of-two bound', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 1, max: 1000 }), (seed, n) => {
        const rng = new SeededRng(seed);
        for (let i = 0; i < 50; i++) {
          const x = rng.nextInt(n);
          expect(Number.isInteger(x) && x >= 0 && x < n).toBe(true);
        }
      }),
    );
    const rng = new SeededRng(3);
    const counts = [0, 0, 0];
    for (let i = 0; i < 90_000; i++) counts[rng.nextInt(3)]! += 1;
    for (const c of counts) expect(Math.abs(c - 30_000)).toBeLessThan(600); // > 4 sd
  });

  it('nextNormal has mean 0 and variance 1', () => {
    const rng = new SeededRng(11);
    const n = 200_000;
    let s = 0;
    let s2 = 0;
    for (let i = 0; i < n; i++) {
      const z = rng.nextNormal();
      s += z;
      s2 += z * z;
    }
    expect(Math.abs(s / n)).toBeLessThan(0.01); // sd of the mean is 0.0022
    expect(Math.abs(s2 / n - 1)).toBeLessThan(0.015); // sd of the variance estimate is 0.0032
  });

  it('nextGamma and nextBeta match their first two moments', () => {
    const rng = new SeededRng(5);
    for (const shape of [0.3, 1, 4.5]) {
      const n = 100_000;
      let s = 0;
      let s2 = 0;
      for (let i = 0; i < n; i++) {
        const g = rng.nextGamma(shape);
        s += g;
        s2 += g * g;
      }
      const mean = s / n;
      expect(Math.abs(mean - shape) / shape).toBeLessThan(0.03);
      expect(Math.abs(s2 / n - mean * mean - shape) / shape).toBeLessThan(0.06);
    }
    const n = 100_000;
    let s = 0;
    for (let i = 0; i < n; i++) s += rng.nextBeta(2, 5);
    expect(Math.abs(s / n - 2 / 7)).toBeLessThan(0.005);
  });

  it('fork is deterministic, independent of the parent stream position, and label-specific', () => {
    const a = new SeededRng(9);
    const f1 = a.fork('users').nextUint32();
    a.nextUint32();
    expect(a.fork('users').nextUint32()).toBe(f1);
    expect(a.fork('ads').nextUint32()).not.toBe(f1);
  });

  it('state can be saved and restored', () => {
    const a = new SeededRng(1);
    a.nextUint32();
    const state = a.getState();
    const next = [a.nextUint32(), a.nextUint32()];
    a.setState(state);
    expect([a.nextUint32(), a.nextUint32()]).toEqual(next);
  });

  it('rejects a bad seed with a message naming it', () => {
    expect(() => new SeededRng(-1)).toThrow(LaserError);
    expect(() => new SeededRng(1.5)).toThrow('seed (1.5) must be an integer in [0, 4294967295]');
  });

  it('shuffle is a permutation', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1000 }), fc.array(fc.integer()), (seed, xs) => {
        const shuffled = new SeededRng(seed).shuffle([...xs]);
        expect([...shuffled].sort((p, q) => p - q)).toEqual([...xs].sort((p, q) => p - q));
      }),
    );
  });
});
