import { CircuitBreaker, LaserError, checkPositive, systemClock, withTimeout, type CircuitBreakerOptions, type Clock } from '@laserkit/core';
import type { InProcessTier } from './in-process-tier.js';
import type { PartialEntry, PartialKey, PartialValue } from './partial.js';
import type { PartialsTier, TierStats } from './tier.js';

export interface TieredCacheOptions {
  /** The first tier, always consulted. */
  readonly local: InProcessTier;
  /** An optional shared tier behind it (Redis), guarded by a circuit breaker. */
  readonly shared?: PartialsTier;
  readonly breaker?: CircuitBreakerOptions;
  /** A shared-tier call that has not answered by then counts as failed (a hung server must not hold the breaker's probe). @default 1000 */
  readonly sharedTimeoutMs?: number;
  /** Time source of the timeout (and of the breaker, unless it has its own). @default systemClock */
  readonly clock?: Clock;
}

/**
 * Read-through over two tiers: the in-process tier answers first; its misses go to the shared
 * tier (one round trip for all of them), and shared hits are copied into the local tier. A failing
 * shared tier never fails a read: its keys count as misses and the breaker stops further calls
 * until a probe succeeds.
 */
export class TieredCache implements PartialsTier {
  readonly name = 'tiered';
  readonly local: InProcessTier;
  readonly shared: PartialsTier | undefined;
  readonly breaker: CircuitBreaker;
  private readonly clock: Clock;
  private readonly sharedTimeoutMs: number;

  constructor(options: TieredCacheOptions) {
    this.local = options.local;
    this.shared = options.shared;
    this.clock = options.clock ?? systemClock;
    this.sharedTimeoutMs = checkPositive('sharedTimeoutMs', options.sharedTimeoutMs ?? 1000);
    this.breaker = new CircuitBreaker({ clock: this.clock, ...options.breaker });
  }

  /** The shared tier's answer, or a TIMEOUT rejection after sharedTimeoutMs. */
  private bounded<T>(call: () => Promise<T>): () => Promise<T> {
    return () => withTimeout(this.clock, this.sharedTimeoutMs, call, () => new LaserError('TIMEOUT', `the shared cache tier did not answer within sharedTimeoutMs (${this.sharedTimeoutMs} ms)`));
  }

  async getMany(keys: readonly PartialKey[]): Promise<(PartialValue | undefined)[]> {
    const out = keys.map((k) => this.local.getSync(k));
    const missing: number[] = [];
    out.forEach((v, i) => {
      if (v === undefined) missing.push(i);
    });
    if (this.shared === undefined || missing.length === 0) return out;
    const found = await this.getShared(missing.map((i) => keys[i] as PartialKey));
    found.forEach((v, m) => {
      if (v !== undefined) out[missing[m] as number] = v;
    });
    return out;
  }

  /** Reads the shared tier only (for callers that already read the local one); hits are copied locally. */
  async getShared(keys: readonly PartialKey[]): Promise<(PartialValue | undefined)[]> {
    const shared = this.shared;
    if (shared === undefined || keys.length === 0) return keys.map(() => undefined);
    const found = await this.breaker.run(this.bounded(() => shared.getMany(keys)), () => keys.map(() => undefined));
    found.forEach((v, i) => {
      if (v !== undefined) this.local.setSync(keys[i] as PartialKey, v);
    });
    return found;
  }

  /** Writes both tiers; a shared-tier failure is absorbed (the local copy still serves this node). */
  async setMany(entries: readonly PartialEntry[]): Promise<void> {
    for (const e of entries) this.local.setSync(e.key, e.value);
    const shared = this.shared;
    if (shared !== undefined) await this.breaker.run(this.bounded(() => shared.setMany(entries)), () => undefined);
  }

  /** Deletes from both tiers; returns the shared tier's count when there is one (it holds the superset), else the local one. */
  async deleteModelVersion(modelVersion: string): Promise<number> {
    const local = await this.local.deleteModelVersion(modelVersion);
    return this.shared === undefined ? local : this.shared.deleteModelVersion(modelVersion);
  }

  stats(): TierStats {
    return this.local.stats();
  }

  /** Every tier's counters. */
  allStats(): TierStats[] {
    return this.shared === undefined ? [this.local.stats()] : [this.local.stats(), this.shared.stats()];
  }

  resetStats(): void {
    this.local.resetStats();
    this.shared?.resetStats();
  }
}
