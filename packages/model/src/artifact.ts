import { createHash } from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import avro from 'avsc';
import { LaserError, featureSpaceFromJSON, type FeatureSpaceJson, type FeatureNamespace } from '@laserkit/core';
import { validateModel, type CrossTerm, type GlmixModel, type TermId } from './model.js';

/**
 * The model artifact is a standard Avro object container file (Avro 1.11 spec, "Object Container
 * Files"): any Avro tool can read it. One record per file, codec null. Large coefficient vectors
 * are `bytes` holding little-endian float64 (int32 for indices), which keeps a 100k-weight model
 * fast to encode and exact to the bit. The header metadata carries:
 *   laserkit.schemaVersion  major version of the schema below; a reader refuses a newer major
 *   laserkit.sha256         SHA-256 of the writer schema followed by the record's bytes, so
 *                           corruption and truncation are caught before a coefficient is trusted
 *   laserkit.modelId, laserkit.modelVersion   for tools that list artifacts; checked against the record
 */
export const MODEL_SCHEMA_VERSION = 1;

const NAMESPACE_ENUM = { type: 'enum', name: 'Namespace', symbols: ['user', 'ad', 'context'] } as const;
const CROSS_ID_ENUM = { type: 'enum', name: 'CrossId', symbols: ['userAd', 'userContext', 'contextAd'] } as const;

export const MODEL_AVRO_SCHEMA = {
  type: 'record',
  name: 'GlmixModel',
  namespace: 'io.laserkit.model.v1',
  doc: 'A laserkit GLMix model: intercept, main effects, second-order crosses and per-entity random effects. float64/int32 arrays are little-endian bytes.',
  fields: [
    { name: 'modelId', type: 'string' },
    { name: 'modelVersion', type: 'long' },
    { name: 'createdAtMs', type: 'long' },
    { name: 'link', type: { type: 'enum', name: 'Link', symbols: ['logistic', 'identity', 'log'] } },
    { name: 'featureSpaceJson', type: 'string', doc: 'The feature index maps or hashing spec, as JSON.' },
    {
      name: 'dimensions',
      type: { type: 'record', name: 'Dimensions', fields: [{ name: 'user', type: 'int' }, { name: 'ad', type: 'int' }, { name: 'context', type: 'int' }] },
    },
    { name: 'intercept', type: 'double' },
    { name: 'interceptVariance', type: ['null', 'double'], default: null },
    {
      name: 'main',
      type: {
        type: 'array',
        items: {
          type: 'record',
          name: 'MainEffect',
          fields: [
            { name: 'namespace', type: NAMESPACE_ENUM },
            { name: 'weights', type: 'bytes' },
            { name: 'variances', type: ['null', 'bytes'], default: null },
          ],
        },
      },
    },
    {
      name: 'crosses',
      type: {
        type: 'array',
        items: [
          {
            type: 'record',
            name: 'FullCross',
            fields: [
              { name: 'id', type: CROSS_ID_ENUM },
              { name: 'leftIndex', type: 'bytes' },
              { name: 'rightIndex', type: 'bytes' },
              { name: 'weights', type: 'bytes' },
              { name: 'variances', type: ['null', 'bytes'], default: null },
            ],
          },
          {
            type: 'record',
            name: 'LowRankCross',
            fields: [
              { name: 'id', type: 'CrossId' },
              { name: 'rank', type: 'int' },
              { name: 'leftFactors', type: 'bytes' },
              { name: 'rightFactors', type: 'bytes' },
            ],
          },
        ],
      },
    },
    {
      name: 'randomEffects',
      type: {
        type: 'array',
        items: {
          type: 'record',
          name: 'RandomEffectBlock',
          fields: [
            { name: 'id', type: 'string' },
            { name: 'entityType', type: 'string' },
            { name: 'bias', type: 'boolean' },
            {
              name: 'features',
              type: { type: 'array', items: { type: 'record', name: 'SelectedFeatures', fields: [{ name: 'namespace', type: 'Namespace' }, { name: 'indices', type: 'bytes' }] } },
            },
            { name: 'entityIds', type: { type: 'array', items: 'string' } },
            { name: 'coefficients', type: 'bytes' },
            { name: 'variances', type: ['null', 'bytes'], default: null },
          ],
        },
      },
    },
    { name: 'termMeans', type: { type: 'array', items: { type: 'record', name: 'TermMean', fields: [{ name: 'term', type: 'string' }, { name: 'mean', type: 'double' }] } } },
    { name: 'metadata', type: { type: 'map', values: 'string' } },
    { name: 'metrics', type: { type: 'map', values: 'double' } },
  ],
} as const;

const modelType = avro.Type.forSchema(MODEL_AVRO_SCHEMA as unknown as avro.Schema, { wrapUnions: 'auto' });
const longType = avro.Type.forSchema('long');
// The container header, as the Avro specification defines it.
const headerType = avro.Type.forSchema({
  type: 'record',
  name: 'org.apache.avro.file.Header',
  fields: [
    { name: 'magic', type: { type: 'fixed', name: 'Magic', size: 4 } },
    { name: 'meta', type: { type: 'map', values: 'bytes' } },
    { name: 'sync', type: { type: 'fixed', name: 'Sync', size: 16 } },
  ],
} as avro.Schema);
const MAGIC = Buffer.from([0x4f, 0x62, 0x6a, 0x01]); // "Obj" 1

const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
if (!littleEndian) throw new LaserError('INTERNAL', 'laserkit model artifacts need a little-endian platform');

function f64(a: Float64Array): Buffer {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}
function i32(a: Int32Array): Buffer {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}
function toF64(field: string, b: Buffer): Float64Array {
  if (b.length % 8 !== 0) throw corrupt(`${field} has ${b.length} bytes, not a whole number of float64`);
  const out = new Float64Array(b.length / 8);
  new Uint8Array(out.buffer).set(b);
  return out;
}
function toI32(field: string, b: Buffer): Int32Array {
  if (b.length % 4 !== 0) throw corrupt(`${field} has ${b.length} bytes, not a whole number of int32`);
  const out = new Int32Array(b.length / 4);
  new Uint8Array(out.buffer).set(b);
  return out;
}

function corrupt(message: string, cause?: unknown): LaserError {
  return new LaserError('CORRUPT_ARTIFACT', `model artifact is corrupt: ${message}`, cause === undefined ? {} : { cause });
}

interface AvroModelRecord {
  modelId: string;
  modelVersion: number;
  createdAtMs: number;
  link: GlmixModel['link'];
  featureSpaceJson: string;
  dimensions: Record<FeatureNamespace, number>;
  intercept: number;
  interceptVariance: number | null;
  main: { namespace: FeatureNamespace; weights: Buffer; variances: Buffer | null }[];
  // Unions of records are wrapped in Avro's JSON-like form: { "<full name>": value }.
  crosses: (
    | { [FULL_CROSS]: { id: CrossTerm['id']; leftIndex: Buffer; rightIndex: Buffer; weights: Buffer; variances: Buffer | null } }
    | { [LOW_RANK_CROSS]: { id: CrossTerm['id']; rank: number; leftFactors: Buffer; rightFactors: Buffer } }
  )[];
  randomEffects: {
    id: string;
    entityType: string;
    bias: boolean;
    features: { namespace: FeatureNamespace; indices: Buffer }[];
    entityIds: string[];
    coefficients: Buffer;
    variances: Buffer | null;
  }[];
  termMeans: { term: string; mean: number }[];
  metadata: Record<string, string>;
  metrics: Record<string, number>;
}

const FULL_CROSS = 'io.laserkit.model.v1.FullCross';
const LOW_RANK_CROSS = 'io.laserkit.model.v1.LowRankCross';

function toRecord(m: GlmixModel): AvroModelRecord {
  return {
    modelId: m.modelId,
    modelVersion: m.modelVersion,
    createdAtMs: m.createdAtMs,
    link: m.link,
    featureSpaceJson: JSON.stringify(m.featureSpace),
    dimensions: { ...m.dimensions },
    intercept: m.intercept,
    interceptVariance: m.interceptVariance,
    main: m.main.map((e) => ({ namespace: e.namespace, weights: f64(e.weights), variances: e.variances === null ? null : f64(e.variances) })),
    crosses: m.crosses.map((c) =>
      c.kind === 'full'
        ? { [FULL_CROSS]: { id: c.id, leftIndex: i32(c.leftIndex), rightIndex: i32(c.rightIndex), weights: f64(c.weights), variances: c.variances === null ? null : f64(c.variances) } }
        : { [LOW_RANK_CROSS]: { id: c.id, rank: c.rank, leftFactors: f64(c.leftFactors), rightFactors: f64(c.rightFactors) } },
    ),
    randomEffects: m.randomEffects.map((b) => ({
      id: b.id,
      entityType: b.entityType,
      bias: b.bias,
      features: b.features.map((s) => ({ namespace: s.namespace, indices: i32(s.indices) })),
      entityIds: [...b.entityIds],
      coefficients: f64(b.coefficients),
      variances: b.variances === null ? null : f64(b.variances),
    })),
    termMeans: m.termMeans.map((t) => ({ term: t.term, mean: t.mean })),
    metadata: { ...m.metadata },
    metrics: { ...m.metrics },
  };
}

function fromRecord(r: AvroModelRecord): GlmixModel {
  let featureSpace: FeatureSpaceJson;
  try {
    featureSpace = JSON.parse(r.featureSpaceJson) as FeatureSpaceJson;
    featureSpaceFromJSON(featureSpace);
  } catch (e) {
    throw corrupt('featureSpaceJson is not a valid feature space', e);
  }
  return {
    modelId: r.modelId,
    modelVersion: r.modelVersion,
    createdAtMs: r.createdAtMs,
    link: r.link,
    featureSpace,
    dimensions: r.dimensions,
    intercept: r.intercept,
    interceptVariance: r.interceptVariance,
    main: r.main.map((e, i) => ({
      namespace: e.namespace,
      weights: toF64(`main[${i}].weights`, e.weights),
      variances: e.variances === null ? null : toF64(`main[${i}].variances`, e.variances),
    })),
    crosses: r.crosses.map((wrapped, i): CrossTerm => {
      if (LOW_RANK_CROSS in wrapped) {
        const c = wrapped[LOW_RANK_CROSS];
        return { kind: 'lowRank', id: c.id, rank: c.rank, leftFactors: toF64(`crosses[${i}].leftFactors`, c.leftFactors), rightFactors: toF64(`crosses[${i}].rightFactors`, c.rightFactors) };
      }
      const c = wrapped[FULL_CROSS];
      return {
        kind: 'full',
        id: c.id,
        leftIndex: toI32(`crosses[${i}].leftIndex`, c.leftIndex),
        rightIndex: toI32(`crosses[${i}].rightIndex`, c.rightIndex),
        weights: toF64(`crosses[${i}].weights`, c.weights),
        variances: c.variances === null ? null : toF64(`crosses[${i}].variances`, c.variances),
      };
    }),
    randomEffects: r.randomEffects.map((b, i) => ({
      id: b.id,
      entityType: b.entityType,
      bias: b.bias,
      features: b.features.map((s, k) => ({ namespace: s.namespace, indices: toI32(`randomEffects[${i}].features[${k}].indices`, s.indices) })),
      entityIds: b.entityIds,
      coefficients: toF64(`randomEffects[${i}].coefficients`, b.coefficients),
      variances: b.variances === null ? null : toF64(`randomEffects[${i}].variances`, b.variances),
    })),
    termMeans: r.termMeans.map((t) => ({ term: t.term as TermId, mean: t.mean })),
    metadata: r.metadata,
    metrics: r.metrics,
  };
}

/** Encodes a model as an Avro object container file. The same model always gives the same bytes. */
export function encodeModel(model: GlmixModel): Buffer {
  validateModel(model);
  const payload = modelType.toBuffer(toRecord(model));
  const schemaBytes = Buffer.from(JSON.stringify(MODEL_AVRO_SCHEMA));
  const digest = createHash('sha256').update(schemaBytes).update(payload).digest();
  const sync = digest.subarray(0, 16);
  const header = headerType.toBuffer({
    magic: MAGIC,
    meta: {
      'avro.schema': schemaBytes,
      'avro.codec': Buffer.from('null'),
      'laserkit.schemaVersion': Buffer.from(String(MODEL_SCHEMA_VERSION)),
      'laserkit.sha256': Buffer.from(digest.toString('hex')),
      'laserkit.modelId': Buffer.from(model.modelId),
      'laserkit.modelVersion': Buffer.from(String(model.modelVersion)),
    },
    sync,
  });
  return Buffer.concat([header, longType.toBuffer(1), longType.toBuffer(payload.length), payload, sync]);
}

/**
 * Decodes and validates an artifact. Throws LaserError 'CORRUPT_ARTIFACT' for damaged or
 * truncated bytes and 'INCOMPATIBLE_ARTIFACT' for a file that is not a laserkit model or has a
 * newer schema major version.
 */
export function decodeModel(bytes: Uint8Array): GlmixModel {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < 4 || !buf.subarray(0, 4).equals(MAGIC)) {
    throw new LaserError('INCOMPATIBLE_ARTIFACT', 'not a model artifact: the file does not start with the Avro container magic "Obj\\x01"');
  }
  let header: { value: { meta: Record<string, Buffer>; sync: Buffer } | undefined; offset: number };
  try {
    header = headerType.decode(buf, 0) as typeof header;
  } catch (e) {
    throw corrupt('the container header cannot be decoded', e);
  }
  if (header.offset < 0 || header.value === undefined) throw corrupt('the container header is truncated');
  const meta = header.value.meta;
  const version = meta['laserkit.schemaVersion']?.toString();
  if (version === undefined) throw new LaserError('INCOMPATIBLE_ARTIFACT', 'not a laserkit model: the Avro header has no laserkit.schemaVersion');
  if (!/^\d+$/.test(version) || Number(version) > MODEL_SCHEMA_VERSION || Number(version) < 1) {
    throw new LaserError('INCOMPATIBLE_ARTIFACT', `model schema version ${version} is not supported by this reader (supports 1..${MODEL_SCHEMA_VERSION}); upgrade laserkit`, {
      details: { schemaVersion: version },
    });
  }
  const codec = meta['avro.codec']?.toString() ?? 'null';
  if (codec !== 'null') throw new LaserError('INCOMPATIBLE_ARTIFACT', `model artifact codec "${codec}" is not supported (only "null")`);
  let pos = header.offset;
  const count = longType.decode(buf, pos) as { value: number; offset: number };
  if (count.offset < 0) throw corrupt('truncated before the first block');
  const size = longType.decode(buf, count.offset) as { value: number; offset: number };
  if (size.offset < 0) throw corrupt('truncated in the block header');
  if (count.value !== 1) throw corrupt(`expected one record, the block says ${count.value}`);
  pos = size.offset;
  if (buf.length < pos + size.value + 16) throw corrupt(`truncated: the record needs ${size.value + 16} bytes after the header, the file has ${buf.length - pos}`);
  const payload = buf.subarray(pos, pos + size.value);
  if (!buf.subarray(pos + size.value, pos + size.value + 16).equals(header.value.sync)) throw corrupt('the block sync marker does not match the header');
  const expected = meta['laserkit.sha256']?.toString();
  const actual = createHash('sha256')
    .update(meta['avro.schema'] ?? Buffer.alloc(0))
    .update(payload)
    .digest('hex');
  if (expected !== actual) throw corrupt(`checksum mismatch (header says ${expected ?? 'none'}, content is ${actual})`);
  let writerType: avro.Type;
  try {
    writerType = avro.Type.forSchema(JSON.parse(meta['avro.schema']?.toString() ?? 'null') as avro.Schema, { wrapUnions: 'auto' });
  } catch (e) {
    throw corrupt('the writer schema in the header is not valid Avro', e);
  }
  let record: AvroModelRecord;
  try {
    // Schema resolution lets a newer minor writer (added fields with defaults) be read by this reader.
    const resolver = modelType.createResolver(writerType);
    record = modelType.fromBuffer(payload, resolver) as AvroModelRecord;
  } catch (e) {
    throw new LaserError('INCOMPATIBLE_ARTIFACT', `model record cannot be read with this reader's schema: ${(e as Error).message}`, { cause: e });
  }
  const model = fromRecord(record);
  if (meta['laserkit.modelId']?.toString() !== model.modelId || meta['laserkit.modelVersion']?.toString() !== String(model.modelVersion)) {
    throw corrupt('the header names another model id or version than the record holds');
  }
  try {
    return validateModel(model);
  } catch (e) {
    throw corrupt(`the decoded model is inconsistent: ${(e as Error).message}`, e);
  }
}

/** Writes atomically (temp file, then rename), so a reader never sees half a model. */
export function saveModel(model: GlmixModel, path: string): number {
  const bytes = encodeModel(model);
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, bytes);
  renameSync(tmp, path);
  return bytes.length;
}

export function loadModel(path: string): GlmixModel {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new LaserError('NOT_FOUND', `cannot read model artifact ${path}: ${(e as Error).message}`, { cause: e, details: { path } });
  }
  try {
    return decodeModel(bytes);
  } catch (e) {
    if (e instanceof LaserError) throw new LaserError(e.code, `${path}: ${e.message}`, { cause: e, details: { ...e.details, path } });
    throw e;
  }
}

/** A readable JSON form for people (typed arrays become plain arrays). */
export function modelToJSON(model: GlmixModel): unknown {
  return JSON.parse(
    JSON.stringify(model, (_key, value: unknown) => (ArrayBuffer.isView(value) ? Array.from(value as unknown as ArrayLike<number>) : value)),
  );
}
