// The partials-tier contract against the real Redis server, and the tiered cache over it.
import { expect, it } from 'vitest';
import { InProcessTier, RedisTier, TieredCache } from '@laserkit/cache';
import { describeTierContract } from '../packages/cache/test/tier-contract.js';
import { describeWithServices, useTestRedis } from './support/services.js';

describeWithServices(['redis'], 'RedisTier against a real Redis', () => {
  const redis = useTestRedis('cache');
  const prefix = redis.prefix;
  let instance = 0;

  // Each contract case gets its own key prefix; TTLs are real, so the wait is real (and short).
  describeTierContract('redis', () => {
    const ttlMs = 150;
    const tier = new RedisTier({ client: redis.client(), keyPrefix: `${prefix}${instance++}:`, ttlMs });
    return Promise.resolve({ tier, ttlMs, advance: (ms: number) => new Promise<void>((r) => setTimeout(r, ms)) });
  });

  describeTierContract('tiered (in-process over redis)', () => {
    const ttlMs = 150;
    const tier = new TieredCache({ local: new InProcessTier({ ttlMs }), shared: new RedisTier({ client: redis.client(), keyPrefix: `${prefix}${instance++}:`, ttlMs }) });
    return Promise.resolve({ tier, ttlMs, advance: (ms: number) => new Promise<void>((r) => setTimeout(r, ms)) });
  });

  it('stores partials as exact binary values with the TTL set on the server', async () => {
    const tier = new RedisTier({ client: redis.client(), keyPrefix: `${prefix}raw:`, ttlMs: 60_000 });
    await tier.setMany([{ key: { vectorKey: 'u9', term: 'cross:userAd', modelVersion: 'm@3' }, value: Float64Array.from([0.1, -0.2]) }]);
    const raw = await redis.client().getBuffer(`${prefix}raw:m@3|cross:userAd|u9`);
    expect(raw?.length).toBe(17);
    const ttl = await redis.client().pttl(`${prefix}raw:m@3|cross:userAd|u9`);
    expect(ttl).toBeGreaterThan(50_000);
  });

  it('reports a corrupt stored value with its key instead of returning garbage', async () => {
    const tier = new RedisTier({ client: redis.client(), keyPrefix: `${prefix}bad:` });
    await redis.client().set(`${prefix}bad:m@1|main:user|u1`, 'not a partial');
    await expect(tier.getMany([{ vectorKey: 'u1', term: 'main:user', modelVersion: 'm@1' }])).rejects.toThrow(/m@1\|main:user\|u1.*tag byte/);
  });
});
