// The partials-tier contract against the real Redis server, and the tiered cache over it.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { InProcessTier, RedisTier, TieredCache } from '@laserkit/cache';
import { describeTierContract } from '../packages/cache/test/tier-contract.js';
import { describeWithServices, REDIS_URL } from './support/services.js';

describeWithServices(['redis'], 'RedisTier against a real Redis', () => {
  const prefix = `laserkit:test:${randomUUID().slice(0, 8)}:`;
  let redis: Redis;
  let instance = 0;

  beforeAll(async () => {
    redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1, connectTimeout: 5_000 });
    await redis.connect();
  });

  afterAll(async () => {
    const leftovers = await redis.keys(`${prefix}*`).catch(() => [] as string[]);
    if (leftovers.length > 0) await redis.del(...leftovers).catch(() => undefined);
    await redis.quit().catch(() => redis.disconnect());
  });

  // Each contract case gets its own key prefix; TTLs are real, so the wait is real (and short).
  describeTierContract('redis', () => {
    const ttlMs = 150;
    const tier = new RedisTier({ client: redis, keyPrefix: `${prefix}${instance++}:`, ttlMs });
    return Promise.resolve({ tier, ttlMs, advance: (ms: number) => new Promise<void>((r) => setTimeout(r, ms)) });
  });

  describeTierContract('tiered (in-process over redis)', () => {
    const ttlMs = 150;
    const tier = new TieredCache({ local: new InProcessTier({ ttlMs }), shared: new RedisTier({ client: redis, keyPrefix: `${prefix}${instance++}:`, ttlMs }) });
    return Promise.resolve({ tier, ttlMs, advance: (ms: number) => new Promise<void>((r) => setTimeout(r, ms)) });
  });

  it('stores partials as exact binary values with the TTL set on the server', async () => {
    const tier = new RedisTier({ client: redis, keyPrefix: `${prefix}raw:`, ttlMs: 60_000 });
    await tier.setMany([{ key: { vectorKey: 'u9', term: 'cross:userAd', modelVersion: 'm@3' }, value: Float64Array.from([0.1, -0.2]) }]);
    const raw = await redis.getBuffer(`${prefix}raw:m@3|cross:userAd|u9`);
    expect(raw?.length).toBe(17);
    const ttl = await redis.pttl(`${prefix}raw:m@3|cross:userAd|u9`);
    expect(ttl).toBeGreaterThan(50_000);
  });

  it('reports a corrupt stored value with its key instead of returning garbage', async () => {
    const tier = new RedisTier({ client: redis, keyPrefix: `${prefix}bad:` });
    await redis.set(`${prefix}bad:m@1|main:user|u1`, 'not a partial');
    await expect(tier.getMany([{ vectorKey: 'u1', term: 'main:user', modelVersion: 'm@1' }])).rejects.toThrow(/m@1\|main:user\|u1.*tag byte/);
  });
});
