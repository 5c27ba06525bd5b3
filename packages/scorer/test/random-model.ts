import { SeededRng, sparseVector, type SparseVector } from '@laserkit/core';
import type { CrossId, CrossTerm, GlmixModel, RandomEffectBlock } from '@laserkit/model';
import type { AdInput } from '../src/index.js';

/** A random model with a random choice of term kinds: full or low-rank crosses, ad-side and request-side random effects. */
export function randomModel(seed: number, dims = { user: 30, ad: 12, context: 8 }): GlmixModel {
  const rng = new SeededRng(seed);
  const vec = (n: number, sd = 0.5): Float64Array => Float64Array.from({ length: n }, () => sd * rng.nextNormal());
  const pos = (n: number): Float64Array => Float64Array.from({ length: n }, () => 0.01 + rng.nextFloat());
  const subset = (n: number, p: number): Int32Array => Int32Array.from({ length: n }, (_, i) => i).filter(() => rng.nextFloat() < p);
  const crossNs: Record<CrossId, [keyof typeof dims, keyof typeof dims]> = { userAd: ['user', 'ad'], userContext: ['user', 'context'], contextAd: ['context', 'ad'] };
  const crosses: CrossTerm[] = [];
  for (const id of ['userAd', 'userContext', 'contextAd'] as const) {
    const kind = rng.nextInt(3);
    const [l, r] = crossNs[id];
    if (kind === 0) continue;
    if (kind === 1) {
      const pairs: [number, number][] = [];
      for (let a = 0; a < dims[l]; a++) for (let b = 0; b < dims[r]; b++) if (rng.nextFloat() < 0.2) pairs.push([a, b]);
      crosses.push({ kind: 'full', id, leftIndex: Int32Array.from(pairs, (p) => p[0]), rightIndex: Int32Array.from(pairs, (p) => p[1]), weights: vec(pairs.length, 0.3), variances: null });
    } else {
      const rank = 1 + rng.nextInt(4);
      crosses.push({ kind: 'lowRank', id, rank, leftFactors: vec(dims[l] * rank, 0.3), rightFactors: vec(dims[r] * rank, 0.3) });
    }
  }
  const block = (id: string, entityType: string, entities: string[], namespaces: ('user' | 'ad' | 'context')[]): RandomEffectBlock => {
    const features = namespaces.map((ns) => ({ namespace: ns, indices: subset(dims[ns], 0.4) }));
    const bias = rng.nextFloat() < 0.8;
    const width = (bias ? 1 : 0) + features.reduce((s, f) => s + f.indices.length, 0);
    return { id, entityType, bias, features, entityIds: entities, coefficients: vec(entities.length * width, 0.4), variances: pos(entities.length * width) };
  };
  const mains = (['user', 'ad', 'context'] as const).filter(() => rng.nextFloat() < 0.85);
  const terms = new Set<string>([...mains.map((ns) => `main:${ns}`), ...crosses.map((c) => `cross:${c.id}`), 're:perCampaign']);
  const termMeans = (
    [
      ['main:user', 0.11],
      ['cross:userAd', -0.07],
      ['cross:userContext', 0.02],
      ['re:perCampaign', 0.05],
      ['main:context', -0.3],
    ] as const
  )
    .filter(([t]) => terms.has(t))
    .map(([term, mean]) => ({ term, mean }));
  return {
    modelId: `random-${seed}`,
    modelVersion: 1 + rng.nextInt(9),
    createdAtMs: 1_700_000_000_000,
    link: 'logistic',
    featureSpace: { kind: 'hashed', seed: 0, bits: { user: 5, ad: 4, context: 3 } },
    dimensions: dims,
    intercept: -3 + rng.nextNormal(),
    interceptVariance: null,
    main: mains.map((ns) => ({ namespace: ns, weights: vec(dims[ns]), variances: null })),
    crosses,
    randomEffects: [
      block('perCampaign', 'campaign', ['c0', 'c1', 'c2', 'c3'], ['user', 'context', 'ad']),
      block('perAdvertiser', 'advertiser', ['a0', 'a1'], ['context']),
      // A request-side entity (per member) over ad and user features, as GLMix allows.
      block('perMember', 'member', ['m0', 'm1', 'm2'], ['ad', 'user']),
    ],
    termMeans,
    metadata: {},
    metrics: {},
  };
}

export function randomVector(rng: SeededRng, dimension: number, p = 0.3): SparseVector {
  const idx: number[] = [];
  const val: number[] = [];
  for (let i = 0; i < dimension; i++) {
    if (rng.nextFloat() < p) {
      idx.push(i);
      val.push(rng.nextFloat() < 0.5 ? 1 : rng.nextNormal());
    }
  }
  return sparseVector(dimension, idx, val);
}

export function randomAds(rng: SeededRng, count: number, adDimension: number): AdInput[] {
  return Array.from({ length: count }, (_, j) => {
    const entities: Record<string, string> = {};
    // Some ads belong to campaigns the model has never seen ("c9"): their random effect is the prior mean, 0.
    entities.campaign = `c${rng.nextInt(5) === 4 ? 9 : rng.nextInt(4)}`;
    if (rng.nextFloat() < 0.7) entities.advertiser = `a${rng.nextInt(3)}`;
    return { id: `ad${j}`, features: randomVector(rng, adDimension, 0.35), entities };
  });
}
