import { checkInteger, checkKnownKeys } from '@laserkit/core';
import type { Redis } from 'ioredis';
import { decodePartial, encodePartial, partialKeyString, type PartialEntry, type PartialKey, type PartialValue } from './partial.js';
import { StatsCounter, type PartialsTier, type TierStats } from './tier.js';

export interface RedisTierOptions {
  /** A connected ioredis client; the tier does not own it (whoever created it closes it). */
  readonly client: Redis;
  /** Prefix of every key, so several deployments can share a server. @default "laserkit:partials:" */
  readonly keyPrefix?: string;
  /** Time to live of an entry (Redis PX). @default 600000 (10 minutes) */
  readonly ttlMs?: number;
  /** Keys per SCAN step when deleting a model version. @default 500 */
  readonly scanCount?: number;
}

export const DEFAULT_REDIS_TIER_OPTIONS = Object.freeze({ keyPrefix: 'laserkit:partials:', ttlMs: 600_000, scanCount: 500 });

/**
 * The shared tier: partials in Redis as binary values (exact float64s), read with one MGET per
 * request and written with one pipeline. Keys carry the model version, so a new model never
 * reads an old model's entries; TTLs bound what an old version leaves behind.
 */
export class RedisTier implements PartialsTier {
  readonly name = 'redis';
  private readonly client: Redis;
  private readonly prefix: string;
  private readonly ttlMs: number;
  private readonly scanCount: number;
  private readonly counter = new StatsCounter(this.name);

  constructor(options: RedisTierOptions) {
    checkKnownKeys('options', options, ['client', 'keyPrefix', 'ttlMs', 'scanCount']);
    const d = DEFAULT_REDIS_TIER_OPTIONS;
    this.client = options.client;
    this.prefix = options.keyPrefix ?? d.keyPrefix;
    this.ttlMs = checkInteger('ttlMs', options.ttlMs ?? d.ttlMs, 1);
    this.scanCount = checkInteger('scanCount', options.scanCount ?? d.scanCount, 1);
  }

  async getMany(keys: readonly PartialKey[]): Promise<(PartialValue | undefined)[]> {
    if (keys.length === 0) return [];
    const strings = keys.map((k) => this.prefix + partialKeyString(k));
    let raw: (Buffer | null)[];
    try {
      raw = await this.client.mgetBuffer(...strings);
    } catch (e) {
      this.counter.errors++;
      throw e;
    }
    return keys.map((k, i) => {
      const b = raw[i];
      this.counter.record(k.term, b !== null && b !== undefined);
      return b === null || b === undefined ? undefined : decodePartial(b, strings[i] as string);
    });
  }

  async setMany(entries: readonly PartialEntry[]): Promise<void> {
    if (entries.length === 0) return;
    const p = this.client.pipeline();
    for (const e of entries) p.set(this.prefix + partialKeyString(e.key), encodePartial(e.value), 'PX', this.ttlMs);
    try {
      const results = await p.exec();
      const failed = results?.find(([err]) => err !== null);
      if (failed !== undefined) throw failed[0];
      this.counter.sets += entries.length;
    } catch (e) {
      this.counter.errors++;
      throw e;
    }
  }

  async deleteModelVersion(modelVersion: string): Promise<number> {
    // SCAN MATCH treats * ? [ ] \ specially: escape them in the version part of the pattern.
    const pattern = `${this.prefix}${modelVersion}|`.replace(/[*?[\]\\]/g, '\\$&') + '*';
    let cursor = '0';
    let n = 0;
    do {
      const [next, keys] = await this.client.scan(cursor, 'MATCH', pattern, 'COUNT', this.scanCount);
      cursor = next;
      if (keys.length > 0) n += await this.client.unlink(...keys);
    } while (cursor !== '0');
    return n;
  }

  stats(): TierStats {
    return this.counter.snapshot();
  }

  resetStats(): void {
    this.counter.reset();
  }
}
