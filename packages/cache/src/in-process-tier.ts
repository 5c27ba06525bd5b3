import { checkInteger, checkKnownKeys, checkPositive, systemClock, type Clock } from '@laserkit/core';
import { LRUCache } from 'lru-cache';
import { partialKeyString, partialSizeBytes, type PartialEntry, type PartialKey, type PartialValue } from './partial.js';
import { StatsCounter, type PartialsTier, type TierStats } from './tier.js';

export interface InProcessTierOptions {
  /** Most entries held. @default 100000 */
  readonly maxEntries?: number;
  /** Most payload bytes held (8 per scalar, 8 per vector element, plus `keyOverheadBytes` each). @default 64 MiB */
  readonly maxBytes?: number;
  /** Time to live of an entry. @default 600000 (10 minutes) */
  readonly ttlMs?: number;
  /** Bytes charged per entry for its key and bookkeeping. @default 64 */
  readonly keyOverheadBytes?: number;
  /** Time source for TTLs. @default systemClock */
  readonly clock?: Clock;
}

/**
 * An injected clock in the form lru-cache reads TTLs from. lru-cache takes a start time of 0 as
 * "no TTL", and a manual clock may start at 0: shift by 1 ms.
 */
export function lruClock(clock: Clock): { now(): number } {
  return { now: () => clock.monotonicMs() + 1 };
}

export const DEFAULT_IN_PROCESS_TIER_OPTIONS = Object.freeze({ maxEntries: 100_000, maxBytes: 64 * 2 ** 20, ttlMs: 600_000, keyOverheadBytes: 64 });

/** The in-process tier: an LRU bounded by entries and bytes, with a TTL. */
export class InProcessTier implements PartialsTier {
  readonly name = 'in-process';
  private readonly lru: LRUCache<string, PartialValue>;
  private readonly counter = new StatsCounter(this.name);

  constructor(options: InProcessTierOptions = {}) {
    checkKnownKeys('options', options, ['maxEntries', 'maxBytes', 'ttlMs', 'keyOverheadBytes', 'clock']);
    const d = DEFAULT_IN_PROCESS_TIER_OPTIONS;
    const maxEntries = checkInteger('maxEntries', options.maxEntries ?? d.maxEntries, 1);
    const maxBytes = checkInteger('maxBytes', options.maxBytes ?? d.maxBytes, 1);
    const ttlMs = checkPositive('ttlMs', options.ttlMs ?? d.ttlMs);
    const overhead = checkInteger('keyOverheadBytes', options.keyOverheadBytes ?? d.keyOverheadBytes, 0);
    const clock = options.clock ?? systemClock;
    this.lru = new LRUCache<string, PartialValue>({
      max: maxEntries,
      maxSize: maxBytes,
      sizeCalculation: (v) => partialSizeBytes(v) + overhead,
      ttl: ttlMs,
      ttlResolution: 0,
      perf: lruClock(clock),
    });
  }

  /** Synchronous read for the hot path; counts like getMany. */
  getSync(key: PartialKey): PartialValue | undefined {
    const v = this.lru.get(partialKeyString(key));
    this.counter.record(key.term, v !== undefined);
    return v;
  }

  setSync(key: PartialKey, value: PartialValue): void {
    this.lru.set(partialKeyString(key), value);
    this.counter.sets++;
  }

  getMany(keys: readonly PartialKey[]): Promise<(PartialValue | undefined)[]> {
    return Promise.resolve(keys.map((k) => this.getSync(k)));
  }

  setMany(entries: readonly PartialEntry[]): Promise<void> {
    for (const e of entries) this.setSync(e.key, e.value);
    return Promise.resolve();
  }

  deleteModelVersion(modelVersion: string): Promise<number> {
    const prefix = `${modelVersion}|`;
    let n = 0;
    for (const k of [...this.lru.keys()]) {
      if (k.startsWith(prefix)) {
        this.lru.delete(k);
        n++;
      }
    }
    return Promise.resolve(n);
  }

  get size(): number {
    return this.lru.size;
  }

  get bytes(): number {
    return this.lru.calculatedSize;
  }

  stats(): TierStats {
    return this.counter.snapshot();
  }

  resetStats(): void {
    this.counter.reset();
  }
}
