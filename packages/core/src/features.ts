import { invalidArgument } from './errors.js';
import { murmur3String } from './hash.js';
import { sparseVector, type SparseVector } from './sparse.js';
import { checkInteger } from './validate.js';

/**
 * LASER splits features by where they come from (WSDM 2014 §3.1): the user (x_i), the ad or
 * campaign (c_j) and the context of the request (z_t). Each namespace has its own index space,
 * because each has its own coefficient block in the model.
 */
export const FEATURE_NAMESPACES = ['user', 'ad', 'context'] as const;
export type FeatureNamespace = (typeof FEATURE_NAMESPACES)[number];

export function isFeatureNamespace(value: unknown): value is FeatureNamespace {
  return typeof value === 'string' && (FEATURE_NAMESPACES as readonly string[]).includes(value);
}

/** Maps feature names to column indices, per namespace. */
export interface FeatureSpace {
  readonly kind: 'explicit' | 'hashed' | 'indexed';
  dimension(namespace: FeatureNamespace): number;
  /** The column of a feature name, or -1 when an explicit map does not know it (hashing never returns -1). */
  indexOf(namespace: FeatureNamespace, name: string): number;
}

export interface FeatureIndexMapJson {
  readonly kind: 'explicit';
  readonly names: Readonly<Record<FeatureNamespace, readonly string[]>>;
}

/**
 * An explicit map, as LASER used after feature selection: every known name has a fixed column,
 * unknown names are dropped (and counted by the caller if it cares).
 */
export class FeatureIndexMap implements FeatureSpace {
  readonly kind = 'explicit' as const;
  private readonly byName: Record<FeatureNamespace, Map<string, number>>;
  private readonly names: Record<FeatureNamespace, readonly string[]>;

  constructor(names: Partial<Record<FeatureNamespace, readonly string[]>>) {
    this.names = { user: [], ad: [], context: [] };
    this.byName = { user: new Map(), ad: new Map(), context: new Map() };
    for (const key of Object.keys(names)) {
      if (!isFeatureNamespace(key)) throw invalidArgument(`names.${key}`, key, `is not a feature namespace (${FEATURE_NAMESPACES.join(', ')})`);
    }
    for (const ns of FEATURE_NAMESPACES) {
      const list = names[ns] ?? [];
      const map = this.byName[ns];
      list.forEach((name, i) => {
        if (typeof name !== 'string' || name.length === 0) throw invalidArgument(`names.${ns}[${i}]`, name, 'must be a non-empty string');
        if (map.has(name)) throw invalidArgument(`names.${ns}[${i}]`, name, `duplicates names.${ns}[${map.get(name)}]`);
        map.set(name, i);
      });
      this.names[ns] = Object.freeze([...list]);
    }
  }

  dimension(namespace: FeatureNamespace): number {
    return this.names[namespace].length;
  }

  indexOf(namespace: FeatureNamespace, name: string): number {
    return this.byName[namespace].get(name) ?? -1;
  }

  nameOf(namespace: FeatureNamespace, index: number): string | undefined {
    return this.names[namespace][index];
  }

  toJSON(): FeatureIndexMapJson {
    return { kind: 'explicit', names: this.names };
  }

  static fromJSON(json: FeatureIndexMapJson): FeatureIndexMap {
    if (json === null || typeof json !== 'object' || json.kind !== 'explicit') {
      throw invalidArgument('featureIndexMap.kind', (json as { kind?: unknown } | null)?.kind, 'must be "explicit"');
    }
    return new FeatureIndexMap(json.names);
  }
}

export interface FeatureHashingOptions {
  /** Hash seed; the same seed must be used in training and serving. @default 0 */
  readonly seed?: number;
  /** Each namespace gets 2^bits columns. @default 18 */
  readonly bits?: number | Partial<Record<FeatureNamespace, number>>;
}

export const DEFAULT_FEATURE_HASHING_OPTIONS = { seed: 0, bits: 18 } as const;

export interface FeatureHasherJson {
  readonly kind: 'hashed';
  readonly seed: number;
  readonly bits: Readonly<Record<FeatureNamespace, number>>;
}

/**
 * The hashing trick (Weinberger et al., ICML 2009): column = murmur3(name, seed) mod 2^bits.
 * Unbounded vocabularies need no map; collisions add the colliding features' values.
 */
export class FeatureHasher implements FeatureSpace {
  readonly kind = 'hashed' as const;
  readonly seed: number;
  readonly bits: Readonly<Record<FeatureNamespace, number>>;
  private readonly masks: Record<FeatureNamespace, number>;

  constructor(options: FeatureHashingOptions = {}) {
    this.seed = checkInteger('seed', options.seed ?? DEFAULT_FEATURE_HASHING_OPTIONS.seed, 0, 0xffffffff);
    const bitsOption = options.bits ?? DEFAULT_FEATURE_HASHING_OPTIONS.bits;
    const bits = {} as Record<FeatureNamespace, number>;
    for (const ns of FEATURE_NAMESPACES) {
      const b = typeof bitsOption === 'number' ? bitsOption : (bitsOption[ns] ?? DEFAULT_FEATURE_HASHING_OPTIONS.bits);
      bits[ns] = checkInteger(typeof bitsOption === 'number' ? 'bits' : `bits.${ns}`, b, 1, 30);
    }
    this.bits = Object.freeze(bits);
    this.masks = { user: 2 ** bits.user - 1, ad: 2 ** bits.ad - 1, context: 2 ** bits.context - 1 };
  }

  dimension(namespace: FeatureNamespace): number {
    return this.masks[namespace] + 1;
  }

  indexOf(namespace: FeatureNamespace, name: string): number {
    return murmur3String(name, this.seed) & this.masks[namespace];
  }

  toJSON(): FeatureHasherJson {
    return { kind: 'hashed', seed: this.seed, bits: this.bits };
  }

  static fromJSON(json: FeatureHasherJson): FeatureHasher {
    if (json === null || typeof json !== 'object' || json.kind !== 'hashed') {
      throw invalidArgument('featureHasher.kind', (json as { kind?: unknown } | null)?.kind, 'must be "hashed"');
    }
    return new FeatureHasher({ seed: json.seed, bits: json.bits });
  }
}

export interface IndexedFeatureSpaceJson {
  readonly kind: 'indexed';
  readonly dimensions: Readonly<Record<FeatureNamespace, number>>;
}

/**
 * Features that are already column indices (the generator's traffic files, svmlight): the name
 * of a feature is its decimal index. Names that are not an index in range map to -1.
 */
export class IndexedFeatureSpace implements FeatureSpace {
  readonly kind = 'indexed' as const;
  readonly dimensions: Readonly<Record<FeatureNamespace, number>>;

  constructor(dimensions: Readonly<Record<FeatureNamespace, number>>) {
    for (const ns of FEATURE_NAMESPACES) checkInteger(`dimensions.${ns}`, dimensions?.[ns], 0, 0x7fffffff);
    this.dimensions = Object.freeze({ user: dimensions.user, ad: dimensions.ad, context: dimensions.context });
  }

  dimension(namespace: FeatureNamespace): number {
    return this.dimensions[namespace];
  }

  indexOf(namespace: FeatureNamespace, name: string): number {
    if (!/^(0|[1-9]\d*)$/.test(name)) return -1;
    const ix = Number(name);
    return ix < this.dimensions[namespace] ? ix : -1;
  }

  toJSON(): IndexedFeatureSpaceJson {
    return { kind: 'indexed', dimensions: this.dimensions };
  }
}

export type FeatureSpaceJson = FeatureIndexMapJson | FeatureHasherJson | IndexedFeatureSpaceJson;

export function featureSpaceFromJSON(json: FeatureSpaceJson): FeatureSpace {
  if (json?.kind === 'explicit') return FeatureIndexMap.fromJSON(json);
  if (json?.kind === 'hashed') return FeatureHasher.fromJSON(json);
  if (json?.kind === 'indexed') return new IndexedFeatureSpace(json.dimensions);
  throw invalidArgument('featureSpace.kind', (json as { kind?: unknown } | null)?.kind, 'must be "explicit", "hashed" or "indexed"');
}

/** Named features: a record name → value, or the names alone for binary features (value 1). */
export type NamedFeatures = Readonly<Record<string, number>> | readonly string[];

export interface VectorizeResult {
  readonly vector: SparseVector;
  /** Names an explicit map did not know (dropped). */
  readonly unknown: number;
}

/** Turns named features of one namespace into a sparse vector in the given space. */
export function vectorize(space: FeatureSpace, namespace: FeatureNamespace, features: NamedFeatures): VectorizeResult {
  const names = Array.isArray(features) ? (features as readonly string[]) : Object.keys(features);
  const indices: number[] = [];
  const values: number[] = [];
  let unknown = 0;
  for (const name of names) {
    const ix = space.indexOf(namespace, name);
    if (ix < 0) {
      unknown++;
      continue;
    }
    const value = Array.isArray(features) ? 1 : (features as Record<string, number>)[name];
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      throw invalidArgument(`${namespace}.${name}`, value, 'must be a finite number');
    }
    indices.push(ix);
    values.push(value);
  }
  return { vector: sparseVector(space.dimension(namespace), indices, values), unknown };
}
