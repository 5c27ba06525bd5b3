import type { PartialEntry, PartialKey, PartialValue } from './partial.js';

export interface HitMiss {
  hits: number;
  misses: number;
}

export interface TierStats {
  readonly tier: string;
  readonly hits: number;
  readonly misses: number;
  readonly sets: number;
  /** Backend failures (Redis unreachable, timeouts); an in-process tier has none. */
  readonly errors: number;
  /** Hits and misses per term id. */
  readonly byTerm: Readonly<Record<string, HitMiss>>;
}

/**
 * One tier of the partial-results cache. Both tiers (in-process and Redis) implement it and pass
 * the same contract suite. A miss is `undefined`; a backend failure rejects (callers decide whether
 * to fall back: the scorer does, through a circuit breaker).
 */
export interface PartialsTier {
  readonly name: string;
  getMany(keys: readonly PartialKey[]): Promise<(PartialValue | undefined)[]>;
  setMany(entries: readonly PartialEntry[]): Promise<void>;
  /** Drops every entry of a model version (after a model is retired). */
  deleteModelVersion(modelVersion: string): Promise<number>;
  stats(): TierStats;
  resetStats(): void;
}

/** Counts hits and misses per tier and per term. */
export class StatsCounter {
  hits = 0;
  misses = 0;
  sets = 0;
  errors = 0;
  private byTerm = new Map<string, HitMiss>();

  constructor(private readonly tier: string) {}

  record(term: string, hit: boolean): void {
    let t = this.byTerm.get(term);
    if (t === undefined) {
      t = { hits: 0, misses: 0 };
      this.byTerm.set(term, t);
    }
    if (hit) {
      this.hits++;
      t.hits++;
    } else {
      this.misses++;
      t.misses++;
    }
  }

  snapshot(): TierStats {
    const byTerm: Record<string, HitMiss> = {};
    for (const [k, v] of this.byTerm) byTerm[k] = { ...v };
    return { tier: this.tier, hits: this.hits, misses: this.misses, sets: this.sets, errors: this.errors, byTerm };
  }

  reset(): void {
    this.hits = this.misses = this.sets = this.errors = 0;
    this.byTerm = new Map();
  }
}
