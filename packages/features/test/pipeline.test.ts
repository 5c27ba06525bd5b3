import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { FeatureHasher, FeatureIndexMap, LaserError, type SparseVector } from '@laserkit/core';
import type { PipelineConfig } from '../src/config.js';
import { FeaturePipeline, type PipelineOptions } from '../src/pipeline.js';
import { MapFeatureProvider, type FeatureProvider } from '../src/providers.js';

const config: PipelineConfig = {
  sources: [
    { name: 'req', kind: 'request', namespace: 'user', fields: ['age', 'country'] },
    { name: 'profile', kind: 'provider', namespace: 'user', provider: 'profiles', prefix: 'p.' },
    { name: 'adReq', kind: 'request', namespace: 'ad', fields: ['industry', 'bid'] },
  ],
  transformers: [
    { name: 'age', kind: 'subset', inputs: ['req'], names: ['age'] },
    { name: 'ageBucket', kind: 'bucketing', inputs: ['age'], boundaries: [25, 40] },
    { name: 'country', kind: 'subset', inputs: ['req'], prefixes: ['country='] },
    { name: 'clicks', kind: 'function', inputs: ['profile'], function: 'log1p' },
    { name: 'crossed', kind: 'interaction', inputs: ['country', 'ageBucket'] },
  ],
  assemblers: [
    { namespace: 'user', inputs: ['ageBucket', 'country', 'clicks', 'crossed'] },
    { namespace: 'ad', inputs: ['adReq'] },
  ],
};

/** A provider that counts its calls and can be told to fail. */
class SpyProvider implements FeatureProvider {
  readonly name = 'spy';
  calls = 0;
  failNext = false;
  constructor(private readonly data: Record<string, Record<string, number>> = {}) {}
  fetch(id: string): Promise<Readonly<Record<string, number>>> {
    this.calls++;
    if (this.failNext) {
      this.failNext = false;
      return Promise.reject(new Error('connection reset'));
    }
    return Promise.resolve(this.data[id] ?? { clicks: id.length });
  }
}

const hasher = new FeatureHasher({ seed: 3, bits: 20 });
const build = (provider: FeatureProvider, options: Partial<PipelineOptions> = {}): FeaturePipeline => FeaturePipeline.fromConfig(config, { space: hasher, providers: { profiles: provider }, ...options });

const asPairs = (v: SparseVector): [number, number][] => Array.from(v.indices, (ix, i) => [ix, v.values[i] as number]);

describe('assemble', () => {
  it('maps the merged named features into the space, at its dimension', async () => {
    const names = ['age[25,40)', 'country=us', 'p.clicks', 'country=us&age[25,40)', 'unused'];
    const space = new FeatureIndexMap({ user: names, ad: ['industry=tech', 'bid'] });
    const pipeline = build(new MapFeatureProvider('m', { u1: { clicks: 3 } }), { space, valuePrecision: 'float64' });
    const user = await pipeline.assemble('user', { id: 'u1', age: 31, country: 'us' }).get();
    expect(user.dimension).toBe(5);
    expect(asPairs(user)).toEqual([
      [0, 1],
      [1, 1],
      [2, Math.log1p(3)],
      [3, 1],
    ]);
    expect(Object.fromEntries(await pipeline.namedFeatures('user', { id: 'u1', age: 31, country: 'us' }))).toEqual({
      'age[25,40)': 1,
      'country=us': 1,
      'p.clicks': Math.log1p(3),
      'country=us&age[25,40)': 1,
    });
    const ad = pipeline.assemble('ad', { industry: 'tech', bid: 0.75 }).get();
    expect(ad).not.toBeInstanceOf(Promise);
    expect(asPairs(ad as SparseVector)).toEqual([
      [0, 1],
      [1, 0.75],
    ]);
  });

  it('rounds values to float32 by default (the trainer stores float32) and keeps float64 on request', async () => {
    const provider = new MapFeatureProvider('m', { u: { clicks: 0.1 } });
    const v32 = await build(provider).assemble('user', { id: 'u' }).get();
    const v64 = await build(provider, { valuePrecision: 'float64' }).assemble('user', { id: 'u' }).get();
    expect(Array.from(v32.values)).toEqual([Math.fround(Math.log1p(0.1))]);
    expect(Array.from(v64.values)).toEqual([Math.log1p(0.1)]);
    const big = FeaturePipeline.fromConfig({ sources: [{ name: 'r', kind: 'request', namespace: 'ad', fields: ['x'] }], assemblers: [{ namespace: 'ad', inputs: ['r'] }] }, { space: hasher });
    expect(() => big.assemble('ad', { x: 1e39 }).get()).toThrow(/must fit in float32/);
  });

  it('gives the empty vector of the space for a namespace without an assembler', () => {
    const lazy = build(new SpyProvider()).assemble('context', { page: 'home' });
    const v = lazy.get() as SparseVector;
    expect(v.dimension).toBe(hasher.dimension('context'));
    expect(v.indices).toHaveLength(0);
    expect(() => build(new SpyProvider()).assemble('page' as never, {})).toThrow('namespace ("page") must be one of');
  });

  it('throws at assemble time, with the field, when the entity id is missing', () => {
    expect(() => build(new SpyProvider()).assemble('user', { age: 3 })).toThrow('user.id (undefined) must be a non-empty string or a finite number: source "profile" fetches provider "profiles" by it');
  });

  it('wraps a provider failure as retriable SERVICE_UNAVAILABLE and refetches on the next get()', async () => {
    const spy = new SpyProvider();
    const lazy = build(spy).assemble('user', { id: 'u7' });
    spy.failNext = true;
    const error = await Promise.resolve(lazy.get()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LaserError);
    expect((error as LaserError).code).toBe('SERVICE_UNAVAILABLE');
    expect((error as LaserError).retriable).toBe(true);
    expect((error as LaserError).message).toContain('provider "spy" (source "profile") failed for id "u7": connection reset');
    const v = await lazy.get();
    expect(v.indices.length).toBeGreaterThan(0);
    expect(spy.calls).toBe(2);
  });

  it('rejects provider answers that are not finite numbers, naming provider, id and feature', async () => {
    const bad: FeatureProvider = { name: 'bad', fetch: () => Promise.resolve({ clicks: Number.NaN }) };
    await expect(Promise.resolve(build(bad).assemble('user', { id: 'u' }).get())).rejects.toThrow('provider "bad" feature "clicks" of id "u" (NaN) must be a finite number');
  });
});

describe('keys', () => {
  const userRaw = fc.record({
    id: fc.oneof(fc.string({ minLength: 1, maxLength: 12 }), fc.integer()),
    age: fc.option(fc.integer({ min: 0, max: 100 }), { nil: undefined }),
    country: fc.option(fc.constantFrom('us', 'fr', 'de', 'US'), { nil: undefined }),
  });

  it('are computed without calling any thunk or provider', () => {
    const spy = new SpyProvider();
    const pipeline = build(spy);
    fc.assert(
      fc.property(userRaw, (raw) => {
        const lazy = pipeline.assemble('user', raw);
        expect(typeof lazy.key).toBe('string');
        expect(pipeline.component('clicks', raw).key).not.toBe(lazy.key);
      }),
      { seed: 11, numRuns: 200 },
    );
    expect(spy.calls).toBe(0);
  });

  it('are the same for the same raw input, across pipelines built from the same config', () => {
    const a = build(new SpyProvider());
    const b = build(new SpyProvider());
    fc.assert(
      fc.property(userRaw, (raw) => {
        expect(a.assemble('user', raw).key).toBe(a.assemble('user', { ...raw }).key);
        expect(b.assemble('user', raw).key).toBe(a.assemble('user', raw).key);
      }),
      { seed: 12, numRuns: 200 },
    );
  });

  it('differ for different entity ids', () => {
    const pipeline = build(new SpyProvider());
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 40 }), fc.string({ minLength: 1, maxLength: 40 }), (id1, id2) => {
        fc.pre(id1 !== id2);
        expect(pipeline.assemble('user', { id: id1, age: 30 }).key).not.toBe(pipeline.assemble('user', { id: id2, age: 30 }).key);
      }),
      { seed: 13, numRuns: 300 },
    );
  });

  it('differ whenever the vectors differ (equal keys imply equal vectors)', async () => {
    const pipeline = build(new SpyProvider());
    // Small domains, so that equal keys and equal vectors both happen often.
    const smallRaw = fc.record({
      id: fc.constantFrom('u1', 'u2', 'user3'),
      age: fc.option(fc.constantFrom(20, 30, 39, 40, 50), { nil: undefined }),
      country: fc.option(fc.constantFrom('us', 'fr'), { nil: undefined }),
    });
    let equalKeys = 0;
    await fc.assert(
      fc.asyncProperty(smallRaw, smallRaw, async (r1, r2) => {
        const l1 = pipeline.assemble('user', r1);
        const l2 = pipeline.assemble('user', r2);
        const [v1, v2] = await Promise.all([l1.get(), l2.get()]);
        if (JSON.stringify(asPairs(v1)) !== JSON.stringify(asPairs(v2))) expect(l1.key).not.toBe(l2.key);
        if (l1.key === l2.key) {
          equalKeys++;
          expect(asPairs(v1)).toEqual(asPairs(v2));
        }
      }),
      { seed: 14, numRuns: 300 },
    );
    expect(equalKeys).toBeGreaterThan(0);
  });

  it('ignore raw fields no source reads, and change with the config, the space or the functions', () => {
    const pipeline = build(new SpyProvider());
    const raw = { id: 'u1', age: 30, country: 'us' };
    expect(pipeline.assemble('user', { ...raw, browser: 'x' }).key).toBe(pipeline.assemble('user', raw).key);
    const moved: PipelineConfig = { ...config, transformers: (config.transformers ?? []).map((t) => (t.kind === 'bucketing' ? { ...t, boundaries: [26, 40] } : t)) };
    const other = FeaturePipeline.fromConfig(moved, { space: hasher, providers: { profiles: new SpyProvider() } });
    expect(other.assemble('user', raw).key).not.toBe(pipeline.assemble('user', raw).key);
    expect(build(new SpyProvider(), { space: new FeatureHasher({ seed: 4, bits: 20 }) }).assemble('user', raw).key).not.toBe(pipeline.assemble('user', raw).key);
    expect(build(new SpyProvider(), { valuePrecision: 'float64' }).fingerprint).not.toBe(pipeline.fingerprint);
    // Ad keys do not depend on user sources.
    expect(pipeline.assemble('ad', { industry: 'tech', bid: 1 }).key).toBe(build(new MapFeatureProvider('spy')).assemble('ad', { industry: 'tech', bid: 1 }).key);
  });

  it('are hashed when long, staying distinct', () => {
    const pipeline = build(new SpyProvider(), { maxKeyChars: 64 });
    const seen = new Set<string>();
    for (let i = 0; i < 500; i++) {
      const key = pipeline.assemble('user', { id: `user-${'x'.repeat(100)}-${i}`, age: 30 }).key;
      expect(key.length).toBeLessThanOrEqual(64);
      seen.add(key);
    }
    expect(seen.size).toBe(500);
  });
});

describe('components', () => {
  it('key each source and transformer by its own sources only, and name unknown components', () => {
    const pipeline = build(new SpyProvider());
    const a = pipeline.component('crossed', { id: 'u1', age: 30, country: 'us' });
    const b = pipeline.component('crossed', { id: 'u2', age: 30, country: 'us' });
    // crossed depends on the request source only, not on the provider's entity id.
    expect(a.key).toBe(b.key);
    expect(Object.fromEntries(a.get() as Map<string, number>)).toEqual({ 'country=us&age[25,40)': 1 });
    expect(pipeline.component('profile', { id: 'u1' }).key).not.toBe(pipeline.component('profile', { id: 'u2' }).key);
    expect(() => pipeline.component('nope', {})).toThrow('name ("nope") must name a source or transformer of the pipeline');
  });

  it('are unaffected by later changes to the caller\'s config object', () => {
    const mutable = structuredClone(config) as { sources: { fields?: string[] }[] } & PipelineConfig;
    const pipeline = FeaturePipeline.fromConfig(mutable, { space: hasher, providers: { profiles: new SpyProvider() } });
    const raw = { age: 30, country: 'us', other: 1 };
    const before = pipeline.component('req', raw);
    mutable.sources[0]!.fields = ['other'];
    const after = pipeline.component('req', raw);
    expect(after.key).toBe(before.key);
    expect(after.get()).toEqual(before.get());
    expect(Object.fromEntries(after.get() as Map<string, number>)).toEqual({ age: 30, 'country=us': 1 });
  });
});

describe('laziness', () => {
  it('runs no provider until get(), and once per Lazy', async () => {
    const spy = new SpyProvider();
    const pipeline = build(spy);
    const lazies = Array.from({ length: 20 }, (_, i) => pipeline.assemble('user', { id: `u${i}`, age: i }));
    expect(new Set(lazies.map((l) => l.key)).size).toBe(20);
    expect(spy.calls).toBe(0);
    const first = lazies[0]!;
    const [a, b] = await Promise.all([first.get(), first.get()]);
    expect(a).toBe(b);
    expect(await first.get()).toBe(a);
    expect(spy.calls).toBe(1);
  });

  it('evaluates synchronously when no provider is involved, and sees the raw values as they were when keyed', () => {
    const pipeline = build(new SpyProvider());
    const raw: Record<string, unknown> = { industry: 'tech', bid: 2 };
    const lazy = pipeline.assemble('ad', raw);
    raw.bid = 5;
    const v = lazy.get() as SparseVector;
    expect(Array.from(v.values).sort()).toEqual([1, 2]);
  });
});
