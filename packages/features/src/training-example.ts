import { FEATURE_NAMESPACES, invalidArgument, type FeatureNamespace, type SparseVector } from '@laserkit/core';
import type { FeaturePipeline } from './pipeline.js';

/**
 * One logged impression before the pipeline: the same raw inputs the scorer receives at serving
 * time, plus the label and the entity ids of the random effects.
 */
export interface RawTrainingRecord {
  readonly label: number;
  /** Sample weight >= 0. @default 1 */
  readonly weight?: number;
  readonly user?: Readonly<Record<string, unknown>>;
  readonly ad?: Readonly<Record<string, unknown>>;
  readonly context?: Readonly<Record<string, unknown>>;
  /** Entity ids by type (campaign, advertiser...), for per-entity effects. */
  readonly entities?: Readonly<Record<string, string | number>>;
}

/** A training example: the assembled vectors of the three namespaces, label, weight and entities. */
export interface TrainingExample {
  readonly label: number;
  readonly weight?: number;
  readonly user: SparseVector;
  readonly ad: SparseVector;
  readonly context: SparseVector;
  readonly entities: Readonly<Record<string, string>>;
}

const RECORD_KEYS = ['label', 'weight', ...FEATURE_NAMESPACES, 'entities'];

/** Checks a raw record (any JSON value) field by field; errors name the field, value and constraint. */
export function checkRawTrainingRecord(record: unknown, at = 'record'): RawTrainingRecord {
  if (record === null || typeof record !== 'object' || Array.isArray(record)) throw invalidArgument(at, record, 'must be an object');
  const o = record as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    if (!RECORD_KEYS.includes(key)) throw invalidArgument(`${at}.${key}`, o[key], 'is not a known field', `known fields: ${RECORD_KEYS.join(', ')}`);
  }
  if (typeof o.label !== 'number' || !Number.isFinite(o.label)) throw invalidArgument(`${at}.label`, o.label, 'must be a finite number');
  if (o.weight !== undefined && (typeof o.weight !== 'number' || !Number.isFinite(o.weight) || o.weight < 0)) throw invalidArgument(`${at}.weight`, o.weight, 'must be a finite number >= 0');
  for (const ns of FEATURE_NAMESPACES) {
    const v = o[ns];
    if (v !== undefined && (v === null || typeof v !== 'object' || Array.isArray(v))) throw invalidArgument(`${at}.${ns}`, v, 'must be an object of raw fields');
  }
  if (o.entities !== undefined) {
    if (o.entities === null || typeof o.entities !== 'object' || Array.isArray(o.entities)) throw invalidArgument(`${at}.entities`, o.entities, 'must be an object of type: id');
    for (const [type, id] of Object.entries(o.entities as Record<string, unknown>)) {
      if (!((typeof id === 'string' && id.length > 0) || (typeof id === 'number' && Number.isFinite(id)))) {
        throw invalidArgument(`${at}.entities.${type}`, id, 'must be a non-empty string or a finite number');
      }
    }
  }
  return o as unknown as RawTrainingRecord;
}

/** Assembles a record through the serving path (pipeline.assemble(ns, raw).get()) for each namespace. */
export async function assembleTrainingExample(pipeline: FeaturePipeline, record: RawTrainingRecord): Promise<TrainingExample> {
  checkRawTrainingRecord(record);
  // Build every lazy first (validation throws before any I/O starts), then start them together so a
  // synchronous throw or a rejection in one never leaves another's promise unobserved.
  const lazies = FEATURE_NAMESPACES.map((ns: FeatureNamespace) => pipeline.assemble(ns, record[ns] ?? {}));
  const vectors = await Promise.all(lazies.map((l) => Promise.resolve().then(() => l.get())));
  const entities: Record<string, string> = {};
  for (const [type, id] of Object.entries(record.entities ?? {})) entities[type] = String(id);
  return {
    label: record.label,
    ...(record.weight === undefined ? {} : { weight: record.weight }),
    user: vectors[0] as SparseVector,
    ad: vectors[1] as SparseVector,
    context: vectors[2] as SparseVector,
    entities,
  };
}
