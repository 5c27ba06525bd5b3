// The contract every partials tier honours, run against the in-process tier here and against the
// real Redis server in the top-level integration tests.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { PartialKey, PartialValue, PartialsTier } from '../src/index.js';

export interface TierUnderTest {
  readonly tier: PartialsTier;
  /** Moves time forward by at least `ms` (a manual clock, or a real wait). */
  advance(ms: number): Promise<void>;
  /** The TTL the tier was created with. */
  readonly ttlMs: number;
}

const key = (vectorKey: string, term = 'main:user', modelVersion = 'm@1'): PartialKey => ({ vectorKey, term, modelVersion });

function expectSame(actual: PartialValue | undefined, expected: PartialValue | undefined): void {
  if (expected instanceof Float64Array) {
    expect(actual).toBeInstanceOf(Float64Array);
    expect(Array.from(actual as Float64Array)).toEqual(Array.from(expected));
  } else expect(Object.is(actual, expected)).toBe(true);
}

export function describeTierContract(name: string, make: () => Promise<TierUnderTest>): void {
  describe(`partials tier contract: ${name}`, () => {
    it('misses, then returns exactly what was set (scalars bit for bit, vectors element for element)', async () => {
      const { tier } = await make();
      const values: PartialValue[] = [0.1 + 0.2, -0, 5e-324, -1.7976931348623157e308, Float64Array.from([1 / 3, -2, 0]), new Float64Array(0)];
      const keys = values.map((_, i) => key(`u${i}`));
      expect(await tier.getMany(keys)).toEqual(keys.map(() => undefined));
      await tier.setMany(keys.map((k, i) => ({ key: k, value: values[i] as PartialValue })));
      const got = await tier.getMany(keys);
      got.forEach((g, i) => expectSame(g, values[i]));
    });

    it('keeps model versions and terms apart, and returns results in key order', async () => {
      const { tier } = await make();
      await tier.setMany([
        { key: key('u1', 'main:user', 'm@1'), value: 1 },
        { key: key('u1', 'main:user', 'm@2'), value: 2 },
        { key: key('u1', 'cross:userAd', 'm@1'), value: 3 },
      ]);
      const got = await tier.getMany([key('u1', 'cross:userAd', 'm@1'), key('u2'), key('u1', 'main:user', 'm@2'), key('u1', 'main:user', 'm@1'), key('u1', 'main:user', 'm@3')]);
      expect(got).toEqual([3, undefined, 2, 1, undefined]);
    });

    it('deletes one model version and nothing else', async () => {
      const { tier } = await make();
      await tier.setMany([
        { key: key('a', 'main:user', 'old@1'), value: 1 },
        { key: key('b', 'main:ad', 'old@1'), value: 2 },
        { key: key('a', 'main:user', 'old@10'), value: 3 },
      ]);
      expect(await tier.deleteModelVersion('old@1')).toBe(2);
      expect(await tier.getMany([key('a', 'main:user', 'old@1'), key('b', 'main:ad', 'old@1'), key('a', 'main:user', 'old@10')])).toEqual([undefined, undefined, 3]);
    });

    it('counts hits and misses per term', async () => {
      const { tier } = await make();
      tier.resetStats();
      await tier.setMany([{ key: key('u', 'main:user'), value: 1 }]);
      await tier.getMany([key('u', 'main:user'), key('v', 'main:user'), key('u', 'cross:userAd')]);
      const s = tier.stats();
      expect([s.hits, s.misses]).toEqual([1, 2]);
      expect(s.byTerm['main:user']).toEqual({ hits: 1, misses: 1 });
      expect(s.byTerm['cross:userAd']).toEqual({ hits: 0, misses: 1 });
    });

    it('expires entries after their TTL', async () => {
      const t = await make();
      await t.tier.setMany([{ key: key('ttl'), value: 7 }]);
      expect(await t.tier.getMany([key('ttl')])).toEqual([7]);
      await t.advance(t.ttlMs * 2 + 5);
      expect(await t.tier.getMany([key('ttl')])).toEqual([undefined]);
    });

    it('behaves like a map under any sequence of writes and reads (model-based)', async () => {
      const op = fc.oneof(
        fc.record({ kind: fc.constant('set' as const), k: fc.integer({ min: 0, max: 7 }), v: fc.oneof(fc.double({ noNaN: true }), fc.float64Array({ maxLength: 4, noNaN: true })) }),
        fc.record({ kind: fc.constant('get' as const), k: fc.integer({ min: 0, max: 7 }) }),
      );
      let run = 0;
      await fc.assert(
        fc.asyncProperty(fc.array(op, { maxLength: 20 }), async (ops) => {
          const { tier } = await make();
          const version = `model-based@${run++}`;
          const model = new Map<number, PartialValue>();
          for (const o of ops) {
            const k = key(`k${o.k}`, 'main:ad', version);
            if (o.kind === 'set') {
              await tier.setMany([{ key: k, value: o.v }]);
              model.set(o.k, o.v);
            } else {
              const [got] = await tier.getMany([k]);
              expectSame(got, model.get(o.k));
            }
          }
        }),
        { numRuns: 30, seed: 20261129 },
      );
    });
  });
}
