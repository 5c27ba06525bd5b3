import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { LaserError } from '@laserkit/core';
import { MapFeatureProvider, RedisFeatureProvider, parseFeatureHash, writeRedisFeatures, type RedisHashReader, type RedisHashWriter } from '../src/providers.js';

/** An in-memory stand-in with the two Redis hash commands the provider and the loader use. */
class FakeHashes implements RedisHashReader, RedisHashWriter {
  readonly hashes = new Map<string, Record<string, string>>();
  hgetall(key: string): Promise<Record<string, string>> {
    return Promise.resolve({ ...(this.hashes.get(key) ?? {}) });
  }
  hset(key: string, values: Record<string, string>): Promise<number> {
    const h = this.hashes.get(key) ?? {};
    let added = 0;
    for (const [f, v] of Object.entries(values)) {
      if (!(f in h)) added++;
      h[f] = v;
    }
    this.hashes.set(key, h);
    return Promise.resolve(added);
  }
}

describe('MapFeatureProvider', () => {
  it('returns stored features, {} for unknown ids, and checks what it stores', async () => {
    const p = new MapFeatureProvider('profiles', { u1: { clicks: 2 } });
    expect(await p.fetch('u1')).toEqual({ clicks: 2 });
    expect(await p.fetch('nobody')).toEqual({});
    expect(() => p.set('u2', { clicks: Number.POSITIVE_INFINITY })).toThrow('profiles["u2"].clicks (Infinity) must be a finite number');
    await expect(p.fetch('')).rejects.toThrow('id ("") must be a non-empty string');
  });
});

describe('RedisFeatureProvider (contract on an in-memory stand-in; the real server is tested in test/)', () => {
  it('reads back exactly the numbers the loader wrote', async () => {
    const redis = new FakeHashes();
    const provider = new RedisFeatureProvider(redis, { keyPrefix: 'f:' });
    await fc.assert(
      fc.asyncProperty(fc.dictionary(fc.string({ minLength: 1, maxLength: 8 }), fc.double({ noNaN: true, noDefaultInfinity: true }), { maxKeys: 8 }), async (features) => {
        redis.hashes.clear();
        await writeRedisFeatures(redis, 'e1', features, { keyPrefix: 'f:' });
        const back = await provider.fetch('e1');
        expect(Object.keys(back).sort()).toEqual(Object.keys(features).sort());
        for (const [k, v] of Object.entries(features)) expect(Object.is(back[k], v) || (v === 0 && back[k] === 0)).toBe(true);
      }),
      { seed: 21, numRuns: 150 },
    );
  });

  it('names key, field and value of a non-numeric stored value', async () => {
    const redis = new FakeHashes();
    redis.hashes.set('f:u9', { clicks: '3', age: 'thirty' });
    const provider = new RedisFeatureProvider(redis, { keyPrefix: 'f:' });
    const e = await provider.fetch('u9').catch((x: unknown) => x);
    expect(e).toBeInstanceOf(LaserError);
    expect((e as LaserError).code).toBe('INVALID_DATA');
    expect((e as LaserError).message).toBe('Redis hash "f:u9" field "age" ("thirty") must be a finite decimal number');
    expect((e as LaserError).details).toMatchObject({ key: 'f:u9', field: 'age', value: 'thirty' });
  });

  it.each(['', ' 1', '1 ', '0x10', 'NaN', 'Infinity', '1e400', '--1'])('rejects the stored value %j', (text) => {
    expect(() => parseFeatureHash('k', { f: text })).toThrow(`Redis hash "k" field "f" (${JSON.stringify(text)}) must be a finite decimal number`);
  });

  it('wraps a client failure as retriable SERVICE_UNAVAILABLE naming the key', async () => {
    const provider = new RedisFeatureProvider({ hgetall: () => Promise.reject(new Error('ECONNREFUSED')) });
    const e = (await provider.fetch('u1').catch((x: unknown) => x)) as LaserError;
    expect(e.code).toBe('SERVICE_UNAVAILABLE');
    expect(e.retriable).toBe(true);
    expect(e.message).toBe('HGETALL "laserkit:features:u1" failed for provider "redis:laserkit:features:": ECONNREFUSED');
  });

  it('validates its options at construction', () => {
    expect(() => new RedisFeatureProvider({} as never)).toThrow('client (object) must have an hgetall(key) method');
    expect(() => new RedisFeatureProvider(new FakeHashes(), { prefix: 'x' } as never)).toThrow('options.prefix ("x") is not a known option');
  });
});
