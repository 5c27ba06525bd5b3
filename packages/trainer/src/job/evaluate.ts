import { evaluateBinary, evaluateByBucket, type BinaryMetrics } from '@laserkit/core';
import { ModelPredictor, type GlmixModel } from '@laserkit/model';
import type { TrainingSet } from '../data/training-set.js';
import { exampleOf } from '../laser/to-model.js';

export type WarmnessBucket = 'cold' | 'cool' | 'warm' | 'hot';

/** Impression counts at which a campaign moves to the next warmness bucket (as in @laserkit/datasets). */
export const WARMNESS_EDGES: readonly [number, number, number] = [100, 1000, 10_000];

export function warmnessBucket(impressions: number, edges: readonly [number, number, number] = WARMNESS_EDGES): WarmnessBucket {
  if (impressions < edges[0]) return 'cold';
  if (impressions < edges[1]) return 'cool';
  if (impressions < edges[2]) return 'warm';
  return 'hot';
}

export interface EvaluationReport {
  readonly overall: BinaryMetrics;
  /** By warmness of the row's entity (impressions of that entity in `reference`), when the data has that entity column. */
  readonly byWarmness: Readonly<Partial<Record<WarmnessBucket, BinaryMetrics>>>;
  readonly warmnessEntity: string | null;
}

/** The model's predictions on every row of a set. */
export function predictSet(model: GlmixModel, set: TrainingSet): Float64Array {
  const predictor = new ModelPredictor(model);
  const out = new Float64Array(set.rows);
  for (let i = 0; i < set.rows; i++) out[i] = predictor.predict(exampleOf(set, i)).response;
  return out;
}

/**
 * AUC, log loss, normalized entropy and observed/expected, overall and by entity warmness (LASER
 * reports its gains by campaign warmness). Warmness counts the entity's impressions in `reference`
 * (the training set, when known), else in the evaluated set itself.
 */
export function evaluatePredictions(predictions: Float64Array, set: TrainingSet, options: { readonly entity?: string; readonly reference?: TrainingSet } = {}): EvaluationReport {
  const overall = evaluateBinary(predictions, set.labels, set.weights === null ? {} : { weights: set.weights });
  const entity = options.entity ?? (set.entities.has('campaign') ? 'campaign' : null);
  const column = entity === null ? undefined : set.entities.get(entity);
  if (entity === null || column === undefined) return { overall, byWarmness: {}, warmnessEntity: null };
  const reference = options.reference ?? set;
  const refColumn = reference.entities.get(entity);
  const counts = new Map<string, number>();
  if (refColumn !== undefined) {
    const perCode = new Float64Array(refColumn.ids.length);
    for (const c of refColumn.codes) if (c >= 0) perCode[c]! += 1;
    refColumn.ids.forEach((id, c) => counts.set(id, perCode[c] as number));
  }
  const buckets = Array.from(column.codes, (c) => (c < 0 ? 'cold' : warmnessBucket(counts.get(column.ids[c] as string) ?? 0)));
  const byBucket = evaluateByBucket(predictions, set.labels, buckets, set.weights === null ? {} : { weights: set.weights });
  return { overall, byWarmness: Object.fromEntries(byBucket.buckets), warmnessEntity: entity };
}

/** Per-campaign click-rate baseline: each entity's smoothed training CTR (LASER's first rung). */
export function entityCtrBaseline(train: TrainingSet, test: TrainingSet, entity: string, priorStrength = 100): Float64Array {
  const trainCol = train.entities.get(entity);
  const testCol = test.entities.get(entity);
  let clicks = 0;
  for (let i = 0; i < train.rows; i++) clicks += train.labels[i] as number;
  const globalCtr = train.rows > 0 ? clicks / train.rows : 0;
  const byId = new Map<string, [number, number]>();
  if (trainCol !== undefined) {
    for (let i = 0; i < train.rows; i++) {
      const c = trainCol.codes[i] as number;
      if (c < 0) continue;
      const id = trainCol.ids[c] as string;
      const acc = byId.get(id) ?? [0, 0];
      acc[0] += train.labels[i] as number;
      acc[1] += 1;
      byId.set(id, acc);
    }
  }
  // Beta-binomial smoothing towards the global rate, so a campaign with few impressions is not 0 or 1.
  return Float64Array.from({ length: test.rows }, (_, i) => {
    const c = testCol === undefined ? -1 : (testCol.codes[i] as number);
    const acc = c < 0 ? undefined : byId.get((testCol as { ids: readonly string[] }).ids[c] as string);
    return acc === undefined ? globalCtr : (acc[0] + priorStrength * globalCtr) / (acc[1] + priorStrength);
  });
}
