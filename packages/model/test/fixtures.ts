import { SeededRng } from '@laserkit/core';
import type { GlmixModel } from '../src/model.js';

/** A small random model with every kind of term, for tests. */
export function randomModel(seed: number, dims = { user: 12, ad: 7, context: 5 }): GlmixModel {
  const rng = new SeededRng(seed);
  const vec = (n: number, sd = 0.5): Float64Array => Float64Array.from({ length: n }, () => sd * rng.nextNormal());
  const pos = (n: number): Float64Array => Float64Array.from({ length: n }, () => 0.01 + rng.nextFloat());
  const pairs: [number, number][] = [];
  for (let l = 0; l < dims.user; l++) for (let r = 0; r < dims.ad; r++) if (rng.nextFloat() < 0.3) pairs.push([l, r]);
  const selected = Int32Array.from([0, 2, 3, 7].filter((i) => i < dims.user));
  const contextAll = Int32Array.from({ length: dims.context }, (_, i) => i);
  const width = 1 + selected.length + contextAll.length;
  const entities = ['c0', 'c1', 'c2'];
  return {
    modelId: `test-${seed}`,
    modelVersion: 3,
    createdAtMs: 1_700_000_000_000,
    link: 'logistic',
    featureSpace: { kind: 'hashed', seed: 0, bits: { user: 4, ad: 3, context: 3 } },
    dimensions: dims,
    intercept: -3.2,
    interceptVariance: 0.01,
    main: [
      { namespace: 'user', weights: vec(dims.user), variances: pos(dims.user) },
      { namespace: 'ad', weights: vec(dims.ad), variances: null },
      { namespace: 'context', weights: vec(dims.context), variances: pos(dims.context) },
    ],
    crosses: [
      {
        kind: 'full',
        id: 'userAd',
        leftIndex: Int32Array.from(pairs, (p) => p[0]),
        rightIndex: Int32Array.from(pairs, (p) => p[1]),
        weights: vec(pairs.length, 0.2),
        variances: pos(pairs.length),
      },
      { kind: 'lowRank', id: 'userContext', rank: 2, leftFactors: vec(dims.user * 2, 0.3), rightFactors: vec(dims.context * 2, 0.3) },
      { kind: 'lowRank', id: 'contextAd', rank: 3, leftFactors: vec(dims.context * 3, 0.3), rightFactors: vec(dims.ad * 3, 0.3) },
    ],
    randomEffects: [
      {
        id: 'perCampaign',
        entityType: 'campaign',
        bias: true,
        features: [
          { namespace: 'user', indices: selected },
          { namespace: 'context', indices: contextAll },
        ],
        entityIds: entities,
        coefficients: vec(entities.length * width, 0.4),
        variances: pos(entities.length * width),
      },
    ],
    termMeans: [
      { term: 'intercept', mean: -3.2 },
      { term: 'main:user', mean: 0.1 },
      { term: 're:perCampaign', mean: 0.05 },
    ],
    metadata: { trainer: 'test' },
    metrics: { auc: 0.75 },
  };
}
