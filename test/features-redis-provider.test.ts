// The Redis feature provider against the real Redis server: what the loader writes is what the
// pipeline reads, bad stored values and wrong key types fail with the key and field, and the
// pipeline gives the same vectors over Redis as over the in-process provider.
import { expect, it } from 'vitest';
import { Redis } from 'ioredis';
import fc from 'fast-check';
import { FeatureHasher, LaserError } from '@laserkit/core';
import { FeaturePipeline, MapFeatureProvider, RedisFeatureProvider, writeRedisFeatures, type FeatureProvider, type PipelineConfig } from '@laserkit/features';
import { describeWithServices, REDIS_URL, useTestRedis } from './support/services.js';

describeWithServices(['redis'], 'features: Redis feature provider', () => {
  const redis = useTestRedis('features');
  const keyPrefix = redis.prefix;
  const client = redis.client;

  it('reads back exactly the numbers written with HSET, and {} for a missing hash', async () => {
    const provider = new RedisFeatureProvider(client(), { keyPrefix });
    let n = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.dictionary(fc.string({ minLength: 1, maxLength: 10 }), fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true })), { minKeys: 1, maxKeys: 10 }),
        async (features) => {
          const id = `roundtrip-${n++}`;
          await writeRedisFeatures(client(), id, features, { keyPrefix });
          const back = await provider.fetch(id);
          expect(Object.keys(back).sort()).toEqual(Object.keys(features).sort());
          // -0 is stored as "0": equal as a feature value.
          for (const [k, v] of Object.entries(features)) expect(back[k] === v || Object.is(back[k], v)).toBe(true);
        },
      ),
      { seed: 2014, numRuns: 40 },
    );
    expect(await provider.fetch('never-written')).toEqual({});
  });

  it('names key, field and value of a non-numeric stored value', async () => {
    await client().hset(`${keyPrefix}bad`, { clicks: '4', age: 'thirty-one' });
    const e = await new RedisFeatureProvider(client(), { keyPrefix }).fetch('bad').catch((x: unknown) => x);
    expect(e).toBeInstanceOf(LaserError);
    expect((e as LaserError).code).toBe('INVALID_DATA');
    expect((e as LaserError).message).toBe(`Redis hash "${keyPrefix}bad" field "age" ("thirty-one") must be a finite decimal number`);
  });

  it('reports a key of another type as bad data, and a closed connection as retriable', async () => {
    await client().set(`${keyPrefix}string`, 'x');
    const wrong = (await new RedisFeatureProvider(client(), { keyPrefix }).fetch('string').catch((x: unknown) => x)) as LaserError;
    expect(wrong.code).toBe('INVALID_DATA');
    expect(wrong.message).toContain(`HGETALL "${keyPrefix}string" failed`);
    expect(wrong.message).toContain('WRONGTYPE');

    const closed = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false });
    await closed.connect();
    await closed.quit();
    const down = (await new RedisFeatureProvider(closed, { keyPrefix }).fetch('u1').catch((x: unknown) => x)) as LaserError;
    expect(down.code).toBe('SERVICE_UNAVAILABLE');
    expect(down.retriable).toBe(true);
  });

  it('gives the pipeline the same vectors as the in-process provider on the same data', async () => {
    const profiles: Record<string, Record<string, number>> = {
      u1: { clicks: 3, ctr: 0.0123456789 },
      u2: { clicks: 0, visits: 17.25 },
      u3: {},
    };
    for (const [id, f] of Object.entries(profiles)) await writeRedisFeatures(client(), `p:${id}`, f, { keyPrefix });
    const config: PipelineConfig = {
      sources: [
        { name: 'req', kind: 'request', namespace: 'user', fields: ['country'] },
        { name: 'profile', kind: 'provider', namespace: 'user', provider: 'profiles', idField: 'profileId', prefix: 'p.' },
      ],
      transformers: [{ name: 'log', kind: 'function', inputs: ['profile'], function: 'log1p' }],
      assemblers: [{ namespace: 'user', inputs: ['req', 'log'] }],
    };
    const space = new FeatureHasher({ bits: 18 });
    const over = (provider: FeatureProvider): FeaturePipeline => FeaturePipeline.fromConfig(config, { space, providers: { profiles: provider } });
    const viaRedis = over(new RedisFeatureProvider(client(), { keyPrefix: `${keyPrefix}p:`, name: 'profiles' }));
    const inProcess = over(new MapFeatureProvider('profiles', profiles));
    for (const id of ['u1', 'u2', 'u3', 'unknown']) {
      const raw = { profileId: id, country: 'us' };
      const a = viaRedis.assemble('user', raw);
      const b = inProcess.assemble('user', raw);
      expect(a.key).toBe(b.key);
      const [va, vb] = await Promise.all([a.get(), b.get()]);
      expect(Array.from(va.indices)).toEqual(Array.from(vb.indices));
      expect(Array.from(va.values)).toEqual(Array.from(vb.values));
    }
  });
});
