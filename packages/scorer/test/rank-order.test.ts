import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RankOrder } from '../src/index.js';

describe('RankOrder', () => {
  it('returns a permutation in descending score order (ties and near-ties in any order)', () => {
    const order = new RankOrder();
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.double({ noNaN: true }), fc.constantFrom(0, -0, 1, -1, 1e-300)), { minLength: 1, maxLength: 300 }), (xs) => {
        const scores = Float64Array.from(xs);
        const out = order.order(scores, xs.length, new Int32Array(xs.length));
        expect([...out].sort((a, b) => a - b)).toEqual(xs.map((_, i) => i));
        for (let r = 1; r < xs.length; r++) {
          const a = scores[out[r - 1] as number] as number;
          const b = scores[out[r] as number] as number;
          // Out of order only within the key's resolution: 2^-40 relative, or a few subnormal
          // steps near zero, and ±Infinity ranks as ±MAX_VALUE.
          const clamp = (x: number) => Math.max(-Number.MAX_VALUE, Math.min(Number.MAX_VALUE, x));
          const [ca, cb] = [clamp(a), clamp(b)];
          expect(ca >= cb || Math.abs(ca - cb) <= Math.max(2 ** -40 * Math.max(Math.abs(ca), Math.abs(cb)), 1e-300)).toBe(true);
        }
      }),
      { numRuns: 300, seed: 7 },
    );
  });
});
