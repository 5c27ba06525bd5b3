import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { FeatureHasher, FeatureIndexMap, featureSpaceFromJSON, vectorize } from '../src/features.js';
import { murmur3String } from '../src/hash.js';

describe('feature identity', () => {
  it('explicit maps give fixed columns per namespace and drop unknown names', () => {
    const map = new FeatureIndexMap({ user: ['age=18-24', 'geo=US'], ad: ['industry=tech'] });
    expect(map.dimension('user')).toBe(2);
    expect(map.dimension('context')).toBe(0);
    expect(map.indexOf('user', 'geo=US')).toBe(1);
    expect(map.indexOf('ad', 'geo=US')).toBe(-1);
    const { vector, unknown } = vectorize(map, 'user', { 'geo=US': 2, 'geo=FR': 1 });
    expect(Array.from(vector.indices)).toEqual([1]);
    expect(Array.from(vector.values)).toEqual([2]);
    expect(unknown).toBe(1);
    const again = featureSpaceFromJSON(JSON.parse(JSON.stringify(map.toJSON())));
    expect(again.indexOf('user', 'geo=US')).toBe(1);
  });

  it('hashing is murmur3(name, seed) masked to the namespace width, and survives a JSON round trip', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 20 }), fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 1, max: 30 }), (name, seed, bits) => {
        const hasher = new FeatureHasher({ seed, bits: { user: bits } });
        const ix = hasher.indexOf('user', name);
        expect(ix).toBe(murmur3String(name, seed) % 2 ** bits);
        expect(hasher.dimension('user')).toBe(2 ** bits);
        expect(featureSpaceFromJSON(hasher.toJSON()).indexOf('user', name)).toBe(ix);
      }),
    );
  });

  it('binary feature lists vectorize to ones', () => {
    const hasher = new FeatureHasher({ seed: 1, bits: 20 });
    const { vector } = vectorize(hasher, 'ad', ['a', 'b', 'c']);
    expect(vector.values.length).toBe(3);
    expect(Array.from(vector.values)).toEqual([1, 1, 1]);
  });

  it('rejects bad settings with field, value and constraint', () => {
    expect(() => new FeatureHasher({ bits: 31 })).toThrow('bits (31) must be an integer in [1, 30]');
    expect(() => new FeatureHasher({ bits: { ad: 0 } })).toThrow('bits.ad (0) must be an integer in [1, 30]');
    expect(() => new FeatureIndexMap({ user: ['a', 'a'] })).toThrow('names.user[1] ("a") duplicates names.user[0]');
    expect(() => new FeatureIndexMap({ page: ['a'] } as never)).toThrow('names.page ("page") is not a feature namespace');
    expect(() => vectorize(new FeatureHasher(), 'user', { x: Number.POSITIVE_INFINITY })).toThrow('user.x (Infinity) must be a finite number');
  });
});
