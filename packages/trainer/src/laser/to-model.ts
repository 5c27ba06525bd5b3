import type { FeatureSpaceJson, FeatureNamespace } from '@laserkit/core';
import { ModelPredictor, type CrossId, type CrossTerm, type GlmixModel, type RandomEffectBlock, type TermMean, type TermId } from '@laserkit/model';
import type { TrainingSet } from '../data/training-set.js';
import type { FixedLayout } from './fixed-design.js';
import type { PlannedRandomEffect } from './random-effect-design.js';

export interface FittedRandomEffect {
  readonly plan: PlannedRandomEffect;
  readonly entityIds: readonly string[];
  /** entities × width, row-major. */
  readonly coefficients: Float64Array;
  readonly variances: Float64Array;
}

export interface FittedLowRankCross {
  readonly id: CrossId;
  readonly rank: number;
  readonly leftFactors: Float64Array;
  readonly rightFactors: Float64Array;
}

export interface ModelParts {
  readonly modelId: string;
  readonly modelVersion: number;
  readonly createdAtMs: number;
  readonly featureSpace: FeatureSpaceJson;
  readonly layout: FixedLayout;
  readonly fixedWeights: Float64Array;
  readonly fixedVariances: Float64Array;
  readonly randomEffects: readonly FittedRandomEffect[];
  readonly lowRankCrosses: readonly FittedLowRankCross[];
  readonly metadata: Readonly<Record<string, string>>;
  readonly metrics: Readonly<Record<string, number>>;
}

/** Slices the fitted coefficient vectors into the model artifact's terms. */
export function toGlmixModel(parts: ModelParts): GlmixModel {
  const { layout, fixedWeights: w, fixedVariances: v } = parts;
  const slice = (a: Float64Array, offset: number, n: number): Float64Array => a.slice(offset, offset + n);
  const blocks: RandomEffectBlock[] = parts.randomEffects.map((r) => ({
    id: r.plan.spec.id,
    entityType: r.plan.spec.entityType,
    bias: r.plan.bias,
    features: r.plan.features.map((f) => ({ namespace: f.namespace, indices: f.indices })),
    entityIds: r.entityIds,
    coefficients: r.coefficients,
    variances: r.variances,
  }));
  return {
    modelId: parts.modelId,
    modelVersion: parts.modelVersion,
    createdAtMs: parts.createdAtMs,
    link: 'logistic',
    featureSpace: parts.featureSpace,
    dimensions: layout.dimensions,
    intercept: w[0] as number,
    interceptVariance: v[0] as number,
    main: layout.main.map((m) => ({
      namespace: m.namespace,
      weights: slice(w, m.offset, layout.dimensions[m.namespace]),
      variances: slice(v, m.offset, layout.dimensions[m.namespace]),
    })),
    crosses: [
      ...layout.crosses.map(
        (c): CrossTerm => ({
          kind: 'full',
          id: c.id,
          leftIndex: c.leftIndex,
          rightIndex: c.rightIndex,
          weights: slice(w, c.offset, c.leftIndex.length),
          variances: slice(v, c.offset, c.leftIndex.length),
        }),
      ),
      ...parts.lowRankCrosses.map((c): CrossTerm => ({ kind: 'lowRank', ...c })),
    ],
    randomEffects: blocks,
    termMeans: [],
    metadata: parts.metadata,
    metrics: parts.metrics,
  };
}

/** Example i of a set, in the shape the model predicts on. */
export function exampleOf(set: TrainingSet, i: number): Parameters<ModelPredictor['predict']>[0] {
  const vec = (ns: FeatureNamespace) => {
    const x = set.features[ns];
    const a = x.rowPtr[i] as number;
    const b = x.rowPtr[i + 1] as number;
    return {
      dimension: x.cols,
      indices: x.colIdx.subarray(a, b),
      values: x.values === null ? new Float64Array(b - a).fill(1) : Float64Array.from(x.values.subarray(a, b)),
    };
  };
  const entities: Record<string, string> = {};
  for (const [type, col] of set.entities) {
    const c = col.codes[i] as number;
    if (c >= 0) entities[type] = col.ids[c] as string;
  }
  return { user: vec('user'), ad: vec('ad'), context: vec('context'), entities };
}

/**
 * Each term's mean over a sample of rows: the value the scorer substitutes for a term whose
 * inputs miss the deadline (LASER §4.2, "better wrong than late"). Unbiased when the rows are a
 * uniform sample of served impressions.
 */
export function computeTermMeans(model: GlmixModel, set: TrainingSet, rows: Int32Array): TermMean[] {
  const predictor = new ModelPredictor(model);
  const sums = new Map<TermId, number>();
  for (const i of rows) {
    const p = predictor.predict(exampleOf(set, i), { parts: true });
    for (const [term, value] of p.terms) sums.set(term, (sums.get(term) ?? 0) + value);
    for (const [part, value] of p.parts ?? []) sums.set(part, (sums.get(part) ?? 0) + value);
  }
  return [...sums].map(([term, s]) => ({ term, mean: rows.length > 0 ? s / rows.length : 0 }));
}
