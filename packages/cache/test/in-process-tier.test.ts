import { ManualClock } from '@laserkit/core';
import { describe, expect, it } from 'vitest';
import { InProcessTier, TieredCache, type PartialKey, type PartialsTier, type TierStats } from '../src/index.js';
import { describeTierContract } from './tier-contract.js';

describeTierContract('in-process', () => {
  const clock = new ManualClock();
  const ttlMs = 1000;
  return Promise.resolve({ tier: new InProcessTier({ clock, ttlMs }), ttlMs, advance: (ms: number) => Promise.resolve(clock.advance(ms)) });
});

describeTierContract('tiered (in-process over in-process)', () => {
  const clock = new ManualClock();
  const ttlMs = 1000;
  const tier = new TieredCache({ local: new InProcessTier({ clock, ttlMs }), shared: new InProcessTier({ clock, ttlMs }) });
  return Promise.resolve({ tier, ttlMs, advance: (ms: number) => Promise.resolve(clock.advance(ms)) });
});

const k = (vectorKey: string): PartialKey => ({ vectorKey, term: 'x', modelVersion: 'm@1' });

describe('InProcessTier bounds', () => {
  it('evicts the least recently used entry beyond maxEntries', async () => {
    const t = new InProcessTier({ maxEntries: 2 });
    await t.setMany([{ key: k('a'), value: 1 }, { key: k('b'), value: 2 }]);
    await t.getMany([k('a')]);
    await t.setMany([{ key: k('c'), value: 3 }]);
    expect(await t.getMany([k('a'), k('b'), k('c')])).toEqual([1, undefined, 3]);
  });

  it('keeps its payload under maxBytes', async () => {
    const t = new InProcessTier({ maxBytes: 1000, keyOverheadBytes: 0 });
    for (let i = 0; i < 20; i++) await t.setMany([{ key: k(`v${i}`), value: new Float64Array(25) }]); // 200 bytes each
    expect(t.bytes).toBeLessThanOrEqual(1000);
    expect(t.size).toBe(5);
  });

  it('rejects bad options naming the field and the constraint', () => {
    expect(() => new InProcessTier({ maxEntries: 0 })).toThrow(/maxEntries \(0\) must be an integer in \[1,/);
    expect(() => new InProcessTier({ ttlMs: -5 })).toThrow(/ttlMs/);
    expect(() => new InProcessTier({ maxBytes: 10, maxEntrys: 3 } as never)).toThrow(/maxEntrys/);
  });
});

/** A shared tier that fails on demand, to check the tiered cache's fallback and breaker. */
class FlakyTier implements PartialsTier {
  readonly name = 'flaky';
  down = false;
  calls = 0;
  readonly inner = new InProcessTier();
  getMany(keys: readonly PartialKey[]) {
    this.calls++;
    return this.down ? Promise.reject(new Error('connection refused')) : this.inner.getMany(keys);
  }
  setMany(entries: Parameters<PartialsTier['setMany']>[0]) {
    this.calls++;
    return this.down ? Promise.reject(new Error('connection refused')) : this.inner.setMany(entries);
  }
  deleteModelVersion(v: string) {
    return this.inner.deleteModelVersion(v);
  }
  stats(): TierStats {
    return this.inner.stats();
  }
  resetStats() {
    this.inner.resetStats();
  }
}

describe('TieredCache', () => {
  it('copies shared hits into the local tier', async () => {
    const shared = new FlakyTier();
    await shared.inner.setMany([{ key: k('u'), value: 4 }]);
    const c = new TieredCache({ local: new InProcessTier(), shared });
    expect(await c.getMany([k('u')])).toEqual([4]);
    shared.down = true;
    expect(await c.getMany([k('u')])).toEqual([4]); // served locally
  });

  it('never fails a read when the shared tier is down, and stops calling it once the breaker opens', async () => {
    const clock = new ManualClock();
    const shared = new FlakyTier();
    const c = new TieredCache({ local: new InProcessTier({ clock }), shared, breaker: { failureThreshold: 2, cooldownMs: 100, clock } });
    shared.down = true;
    for (let i = 0; i < 5; i++) expect(await c.getMany([k(`miss${i}`)])).toEqual([undefined]);
    expect(shared.calls).toBe(2);
    await c.setMany([{ key: k('w'), value: 9 }]); // absorbed
    expect(await c.getMany([k('w')])).toEqual([9]);
    shared.down = false;
    clock.advance(100);
    expect(await c.getMany([k('again')])).toEqual([undefined]);
    expect(c.breaker.state).toBe('closed');
  });
});

describe('TieredCache with a hung shared tier', () => {
  it('a call that never answers fails after sharedTimeoutMs and releases the breaker probe', async () => {
    const clock = new ManualClock();
    const hung = new FlakyTier();
    let hang = true;
    const inner = hung.getMany.bind(hung);
    hung.getMany = (keys) => (hang ? new Promise(() => undefined) : inner(keys));
    const c = new TieredCache({ local: new InProcessTier({ clock }), shared: hung, clock, sharedTimeoutMs: 20, breaker: { failureThreshold: 1, cooldownMs: 30 } });
    const pending = c.getMany([k('a')]);
    clock.advance(20);
    expect(await pending).toEqual([undefined]);
    expect(c.breaker.state).toBe('open');
    clock.advance(30);
    hang = false;
    await hung.inner.setMany([{ key: k('a'), value: 3 }]);
    expect(await c.getMany([k('a')])).toEqual([3]);
    expect(c.breaker.state).toBe('closed');
  });
});
