import { LaserError } from '@laserkit/core';

/**
 * A cached partial result (LASER, WSDM 2014 §4.2): a term's scalar value for one feature vector,
 * or a small vector such as the user side x'U of a low-rank cross.
 */
export type PartialValue = number | Float64Array;

/**
 * What a partial is keyed by: the feature vector it was computed from (its key from the feature
 * pipeline), the term, and the model version, so that a new model never reads an old entry.
 */
export interface PartialKey {
  readonly vectorKey: string;
  /** A model term id ("main:user", "cross:userAd") or a scorer-defined partial ("vector:user"). */
  readonly term: string;
  /** Model id and version, e.g. "ctr@7". */
  readonly modelVersion: string;
}

export interface PartialEntry {
  readonly key: PartialKey;
  readonly value: PartialValue;
}

/** The flat string form used by both tiers: version first so a prefix scan finds one model's entries. */
export function partialKeyString(key: PartialKey): string {
  return `${key.modelVersion}|${key.term}|${key.vectorKey}`;
}

/** Bytes a value occupies (its payload; used for the in-process byte bound). */
export function partialSizeBytes(value: PartialValue): number {
  return typeof value === 'number' ? 8 : value.byteLength;
}

const SCALAR_TAG = 0;
const VECTOR_TAG = 1;

/** Binary form for Redis: one tag byte, then little-endian float64s. Exact: no decimal round trip. */
export function encodePartial(value: PartialValue): Buffer {
  if (typeof value === 'number') {
    const b = Buffer.allocUnsafe(9);
    b[0] = SCALAR_TAG;
    b.writeDoubleLE(value, 1);
    return b;
  }
  const b = Buffer.allocUnsafe(1 + value.length * 8);
  b[0] = VECTOR_TAG;
  for (let i = 0; i < value.length; i++) b.writeDoubleLE(value[i] as number, 1 + i * 8);
  return b;
}

export function decodePartial(bytes: Uint8Array, key: string): PartialValue {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const corrupt = (constraint: string) => new LaserError('INVALID_DATA', `cached partial ${JSON.stringify(key)} (${b.length} bytes) ${constraint}`, { details: { key, bytes: b.length } });
  if (b.length === 9 && b[0] === SCALAR_TAG) return b.readDoubleLE(1);
  if (b.length >= 1 && b[0] === VECTOR_TAG && (b.length - 1) % 8 === 0) {
    const out = new Float64Array((b.length - 1) / 8);
    for (let i = 0; i < out.length; i++) out[i] = b.readDoubleLE(1 + i * 8);
    return out;
  }
  throw corrupt('must be a tag byte (0 scalar, 1 vector) followed by little-endian float64s');
}
