import { LaserError, checkKnownKeys, invalidArgument } from '@laserkit/core';

/** An async source of named features per entity (a user-profile store, for example). */
export interface FeatureProvider {
  /** Identifies the backing data in errors and in the pipeline fingerprint. */
  readonly name: string;
  /** Named features for one entity id; throws/rejects on backend failure. */
  fetch(id: string): Promise<Readonly<Record<string, number>>>;
}

/**
 * An in-process provider on a Map: the embedded default and the test double. An unknown id has
 * no features ({}), as a missing Redis hash has.
 */
export class MapFeatureProvider implements FeatureProvider {
  readonly name: string;
  private readonly entries = new Map<string, Readonly<Record<string, number>>>();

  constructor(name: string, entries: Readonly<Record<string, Readonly<Record<string, number>>>> | ReadonlyMap<string, Readonly<Record<string, number>>> = {}) {
    if (typeof name !== 'string' || name.length === 0) throw invalidArgument('name', name, 'must be a non-empty string');
    this.name = name;
    const list = entries instanceof Map ? [...entries.entries()] : Object.entries(entries);
    for (const [id, features] of list) this.set(id, features);
  }

  /** Replaces the features of one entity (values are checked and copied). */
  set(id: string, features: Readonly<Record<string, number>>): void {
    checkEntityId('id', id);
    this.entries.set(id, Object.freeze(checkFeatureValues(`${this.name}[${JSON.stringify(id)}]`, features)));
  }

  delete(id: string): boolean {
    return this.entries.delete(id);
  }

  fetch(id: string): Promise<Readonly<Record<string, number>>> {
    try {
      checkEntityId('id', id);
    } catch (e) {
      return Promise.reject(e);
    }
    return Promise.resolve(this.entries.get(id) ?? EMPTY);
  }
}

const EMPTY: Readonly<Record<string, number>> = Object.freeze({});

/** The one Redis command the provider reads with; an ioredis client satisfies it. */
export interface RedisHashReader {
  hgetall(key: string): Promise<Record<string, string>>;
}

/** The one Redis command the loader writes with; an ioredis client satisfies it. */
export interface RedisHashWriter {
  hset(key: string, values: Record<string, string>): Promise<number>;
}

export interface RedisFeatureProviderOptions {
  /** Each entity's hash lives at `<keyPrefix><id>`. @default "laserkit:features:" */
  readonly keyPrefix?: string;
  /** The provider's name in errors and in the pipeline fingerprint. @default `redis:<keyPrefix>` */
  readonly name?: string;
}

export const DEFAULT_REDIS_FEATURE_PROVIDER_OPTIONS = { keyPrefix: 'laserkit:features:' } as const;

/**
 * Features held in Redis, one hash per entity: HGETALL `<keyPrefix><id>` gives name → numeric
 * string. A missing hash is an entity without features. The client is injected and owned by the
 * caller (who connects and closes it); the constructor does no I/O.
 */
export class RedisFeatureProvider implements FeatureProvider {
  readonly name: string;
  readonly keyPrefix: string;
  private readonly client: RedisHashReader;

  constructor(client: RedisHashReader, options: RedisFeatureProviderOptions = {}) {
    if (client === null || typeof client !== 'object' || typeof client.hgetall !== 'function') {
      throw invalidArgument('client', client, 'must have an hgetall(key) method (an ioredis client, for example)');
    }
    checkKnownKeys('options', options, ['keyPrefix', 'name']);
    const keyPrefix = options.keyPrefix ?? DEFAULT_REDIS_FEATURE_PROVIDER_OPTIONS.keyPrefix;
    if (typeof keyPrefix !== 'string') throw invalidArgument('keyPrefix', keyPrefix, 'must be a string');
    const name = options.name ?? `redis:${keyPrefix}`;
    if (typeof name !== 'string' || name.length === 0) throw invalidArgument('name', name, 'must be a non-empty string');
    this.client = client;
    this.keyPrefix = keyPrefix;
    this.name = name;
  }

  /** The Redis key of one entity's hash. */
  keyOf(id: string): string {
    return this.keyPrefix + id;
  }

  async fetch(id: string): Promise<Readonly<Record<string, number>>> {
    checkEntityId('id', id);
    const key = this.keyOf(id);
    let hash: Record<string, string>;
    try {
      hash = await this.client.hgetall(key);
    } catch (e) {
      const message = (e as Error)?.message ?? String(e);
      // A key of another type is bad data, not an unavailable service: retrying will not help.
      const wrongType = message.startsWith('WRONGTYPE');
      throw new LaserError(wrongType ? 'INVALID_DATA' : 'SERVICE_UNAVAILABLE', `HGETALL ${JSON.stringify(key)} failed for provider "${this.name}": ${message}`, {
        cause: e,
        details: { provider: this.name, key },
      });
    }
    return parseFeatureHash(key, hash);
  }
}

/** Strict decimal numbers only: "1", "-0.5", "2e-3"; not "", " 1", "0x10", "NaN" or "Infinity". */
const NUMERIC = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** Parses one entity's hash; a non-numeric value is an INVALID_DATA error naming key, field and value. */
export function parseFeatureHash(key: string, hash: Readonly<Record<string, string>>): Record<string, number> {
  if (hash === null || typeof hash !== 'object') {
    throw new LaserError('INVALID_DATA', `Redis hash ${JSON.stringify(key)} (${String(hash)}) must be an object of field: value`, { details: { key } });
  }
  const out: Record<string, number> = Object.create(null) as Record<string, number>;
  for (const field of Object.keys(hash)) {
    const text = hash[field];
    const value = typeof text === 'string' && NUMERIC.test(text) ? Number(text) : Number.NaN;
    if (!Number.isFinite(value)) {
      throw new LaserError('INVALID_DATA', `Redis hash ${JSON.stringify(key)} field ${JSON.stringify(field)} (${JSON.stringify(text)}) must be a finite decimal number`, {
        details: { key, field, value: text },
      });
    }
    out[field] = value;
  }
  return out;
}

/**
 * Loads one entity's features into Redis with HSET `<keyPrefix><id>` (fields not named here are
 * left as they are; delete the key first to replace a whole profile). Values are written in their
 * shortest round-trip decimal form, so fetch() gives back exactly the same numbers.
 */
export async function writeRedisFeatures(client: RedisHashWriter, id: string, features: Readonly<Record<string, number>>, options: Pick<RedisFeatureProviderOptions, 'keyPrefix'> = {}): Promise<void> {
  checkEntityId('id', id);
  const keyPrefix = options.keyPrefix ?? DEFAULT_REDIS_FEATURE_PROVIDER_OPTIONS.keyPrefix;
  const checked = checkFeatureValues('features', features);
  const fields: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const name of Object.keys(checked)) fields[name] = String(checked[name]);
  // HSET with no field is a Redis error; an entity without features simply has no hash.
  if (Object.keys(fields).length === 0) return;
  try {
    await client.hset(keyPrefix + id, fields);
  } catch (e) {
    throw new LaserError('SERVICE_UNAVAILABLE', `HSET ${JSON.stringify(keyPrefix + id)} failed: ${(e as Error)?.message ?? String(e)}`, { cause: e, details: { key: keyPrefix + id } });
  }
}

function checkEntityId(field: string, id: unknown): void {
  if (typeof id !== 'string' || id.length === 0) throw invalidArgument(field, id, 'must be a non-empty string');
}

function checkFeatureValues(field: string, features: Readonly<Record<string, number>>): Record<string, number> {
  if (features === null || typeof features !== 'object' || Array.isArray(features)) throw invalidArgument(field, features, 'must be an object of name: number');
  const out: Record<string, number> = Object.create(null) as Record<string, number>;
  for (const name of Object.keys(features)) {
    const v = features[name];
    if (name.length === 0) throw invalidArgument(`${field}[""]`, v, 'has an empty feature name');
    if (typeof v !== 'number' || !Number.isFinite(v)) throw invalidArgument(`${field}.${name}`, v, 'must be a finite number');
    out[name] = v;
  }
  return out;
}
