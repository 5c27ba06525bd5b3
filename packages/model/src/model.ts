import { FEATURE_NAMESPACES, invalidArgument, type FeatureSpaceJson, type FeatureNamespace } from '@laserkit/core';

/**
 * The model, in the form of LASER (Agarwal et al., WSDM 2014, eq. 1-6) generalized as in GLMix
 * (Zhang et al., KDD 2016):
 *
 *   s = ω + Σ_ns x_ns'w_ns                      main effects (user, ad, context)
 *         + Σ_crosses x_left' A x_right           second-order crosses (full over pairs, or A = U Vᵀ)
 *         + Σ_blocks b_e + x_sel'θ_e              random effects of entity e (per campaign, advertiser, user...)
 *
 * Every coefficient may carry a posterior variance (Laplace: 1/diag(H) at the mode); the
 * scorer's Thompson sampling draws the random-effect coefficients from N(mode, variance).
 */

export type ResponseLink = 'logistic' | 'identity' | 'log';

export interface MainEffect {
  readonly namespace: FeatureNamespace;
  /** Dense, one weight per column of the namespace. */
  readonly weights: Float64Array;
  /** Posterior variances, parallel to weights, or null when not computed. */
  readonly variances: Float64Array | null;
}

export type CrossId = 'userAd' | 'userContext' | 'contextAd';
export const CROSS_NAMESPACES: Readonly<Record<CrossId, readonly [FeatureNamespace, FeatureNamespace]>> = {
  userAd: ['user', 'ad'],
  userContext: ['user', 'context'],
  contextAd: ['context', 'ad'],
};

/** x_left' A x_right with A stored as its non-zero entries over selected feature pairs (LASER). */
export interface FullCross {
  readonly kind: 'full';
  readonly id: CrossId;
  /** Pairs sorted by (leftIndex, rightIndex), no duplicates. */
  readonly leftIndex: Int32Array;
  readonly rightIndex: Int32Array;
  readonly weights: Float64Array;
  readonly variances: Float64Array | null;
}

/** x_left' U Vᵀ x_right, rank k; factors row-major: leftFactors[f * rank + r]. */
export interface LowRankCross {
  readonly kind: 'lowRank';
  readonly id: CrossId;
  readonly rank: number;
  readonly leftFactors: Float64Array;
  readonly rightFactors: Float64Array;
}

export type CrossTerm = FullCross | LowRankCross;

/** The columns a random-effect block acts on, per namespace (sorted, unique). */
export interface SelectedFeatures {
  readonly namespace: FeatureNamespace;
  readonly indices: Int32Array;
}

/**
 * Per-entity coefficients (LASER's warm-start part Θw: δ_j, η_j, ξ_j). Each entity's local vector
 * is [bias?, then the selected columns of each namespace in order]; `width` is its length.
 */
export interface RandomEffectBlock {
  /** Term id suffix, e.g. "perCampaign". */
  readonly id: string;
  /** The key of `Example.entities` that names the entity, e.g. "campaign". */
  readonly entityType: string;
  readonly bias: boolean;
  readonly features: readonly SelectedFeatures[];
  readonly entityIds: readonly string[];
  /** Row-major, entityIds.length × width. */
  readonly coefficients: Float64Array;
  readonly variances: Float64Array | null;
}

export interface TermMean {
  readonly term: TermId;
  readonly mean: number;
}

export type TermId = 'intercept' | `main:${FeatureNamespace}` | `cross:${CrossId}` | `re:${string}`;

export interface GlmixModel {
  readonly modelId: string;
  readonly modelVersion: number;
  readonly createdAtMs: number;
  readonly link: ResponseLink;
  readonly featureSpace: FeatureSpaceJson;
  readonly dimensions: Readonly<Record<FeatureNamespace, number>>;
  readonly intercept: number;
  readonly interceptVariance: number | null;
  readonly main: readonly MainEffect[];
  readonly crosses: readonly CrossTerm[];
  readonly randomEffects: readonly RandomEffectBlock[];
  /** Each term's mean over an unbiased sample of impressions: the scorer's stand-in for a late term. */
  readonly termMeans: readonly TermMean[];
  readonly metadata: Readonly<Record<string, string>>;
  readonly metrics: Readonly<Record<string, number>>;
}

export function randomEffectWidth(block: Pick<RandomEffectBlock, 'bias' | 'features'>): number {
  return (block.bias ? 1 : 0) + block.features.reduce((s, f) => s + f.indices.length, 0);
}

/**
 * The parts of a random-effect term, split as in LASER's eq. 1 by what they act on: `re:<id>:bias`
 * (δ_j), `re:<id>:user` (x'η_j), `re:<id>:context` (z'ξ_j), `re:<id>:ad`. The model may carry a mean
 * per part, so a scorer whose user features are late replaces only the user part.
 */
export function randomEffectPartIds(block: Pick<RandomEffectBlock, 'id' | 'bias' | 'features'>): TermId[] {
  return [...(block.bias ? [`re:${block.id}:bias` as const] : []), ...block.features.map((f) => `re:${block.id}:${f.namespace}` as const)];
}

export function termIdsOf(model: GlmixModel): TermId[] {
  return [
    'intercept',
    ...model.main.map((m) => `main:${m.namespace}` as const),
    ...model.crosses.map((c) => `cross:${c.id}` as const),
    ...model.randomEffects.map((b) => `re:${b.id}` as const),
  ];
}

/**
 * Checks every structural invariant; throws INVALID_ARGUMENT naming the field, the value and the
 * constraint. Loading an artifact runs it, so no inconsistent model reaches a scorer.
 */
export function validateModel(m: GlmixModel): GlmixModel {
  if (typeof m.modelId !== 'string' || m.modelId.length === 0) throw invalidArgument('modelId', m.modelId, 'must be a non-empty string');
  if (!Number.isInteger(m.modelVersion) || m.modelVersion < 0) throw invalidArgument('modelVersion', m.modelVersion, 'must be a non-negative integer');
  if (!['logistic', 'identity', 'log'].includes(m.link)) throw invalidArgument('link', m.link, 'must be "logistic", "identity" or "log"');
  for (const ns of FEATURE_NAMESPACES) {
    const d = m.dimensions[ns];
    if (!Number.isInteger(d) || d < 0) throw invalidArgument(`dimensions.${ns}`, d, 'must be a non-negative integer');
  }
  checkFinite('intercept', [m.intercept]);
  if (m.interceptVariance !== null) checkVariances('interceptVariance', [m.interceptVariance]);
  const seenMain = new Set<string>();
  m.main.forEach((e, i) => {
    const f = `main[${i}]`;
    if (!FEATURE_NAMESPACES.includes(e.namespace)) throw invalidArgument(`${f}.namespace`, e.namespace, 'must be user, ad or context');
    if (seenMain.has(e.namespace)) throw invalidArgument(`${f}.namespace`, e.namespace, 'must not repeat an earlier main effect');
    seenMain.add(e.namespace);
    if (e.weights.length !== m.dimensions[e.namespace]) throw invalidArgument(`${f}.weights`, e.weights, `must have length dimensions.${e.namespace} (${m.dimensions[e.namespace]})`);
    checkFinite(`${f}.weights`, e.weights);
    if (e.variances !== null) {
      if (e.variances.length !== e.weights.length) throw invalidArgument(`${f}.variances`, e.variances, `must have the length of weights (${e.weights.length})`);
      checkVariances(`${f}.variances`, e.variances);
    }
  });
  const seenCross = new Set<string>();
  m.crosses.forEach((c, i) => {
    const f = `crosses[${i}]`;
    const pair = CROSS_NAMESPACES[c.id];
    if (pair === undefined) throw invalidArgument(`${f}.id`, c.id, 'must be userAd, userContext or contextAd');
    if (seenCross.has(c.id)) throw invalidArgument(`${f}.id`, c.id, 'must not repeat an earlier cross');
    seenCross.add(c.id);
    const [left, right] = pair;
    if (c.kind === 'full') {
      const n = c.weights.length;
      if (c.leftIndex.length !== n || c.rightIndex.length !== n) throw invalidArgument(`${f}.leftIndex`, c.leftIndex, `must have the length of weights (${n})`);
      for (let p = 0; p < n; p++) {
        const l = c.leftIndex[p] as number;
        const r = c.rightIndex[p] as number;
        if (l < 0 || l >= m.dimensions[left]) throw invalidArgument(`${f}.leftIndex[${p}]`, l, `must be in [0, ${m.dimensions[left] - 1}]`);
        if (r < 0 || r >= m.dimensions[right]) throw invalidArgument(`${f}.rightIndex[${p}]`, r, `must be in [0, ${m.dimensions[right] - 1}]`);
        if (p > 0) {
          const pl = c.leftIndex[p - 1] as number;
          const pr = c.rightIndex[p - 1] as number;
          if (l < pl || (l === pl && r <= pr)) throw invalidArgument(`${f}.pairs[${p}]`, `${l},${r}`, 'must be sorted by (left, right) without duplicates');
        }
      }
      checkFinite(`${f}.weights`, c.weights);
      if (c.variances !== null) {
        if (c.variances.length !== n) throw invalidArgument(`${f}.variances`, c.variances, `must have the length of weights (${n})`);
        checkVariances(`${f}.variances`, c.variances);
      }
    } else if (c.kind === 'lowRank') {
      if (!Number.isInteger(c.rank) || c.rank < 1) throw invalidArgument(`${f}.rank`, c.rank, 'must be a positive integer');
      if (c.leftFactors.length !== m.dimensions[left] * c.rank) throw invalidArgument(`${f}.leftFactors`, c.leftFactors, `must have length dimensions.${left} × rank (${m.dimensions[left] * c.rank})`);
      if (c.rightFactors.length !== m.dimensions[right] * c.rank) throw invalidArgument(`${f}.rightFactors`, c.rightFactors, `must have length dimensions.${right} × rank (${m.dimensions[right] * c.rank})`);
      checkFinite(`${f}.leftFactors`, c.leftFactors);
      checkFinite(`${f}.rightFactors`, c.rightFactors);
    } else {
      throw invalidArgument(`${f}.kind`, (c as { kind: unknown }).kind, 'must be "full" or "lowRank"');
    }
  });
  const seenBlock = new Set<string>();
  m.randomEffects.forEach((b, i) => {
    const f = `randomEffects[${i}]`;
    if (typeof b.id !== 'string' || b.id.length === 0) throw invalidArgument(`${f}.id`, b.id, 'must be a non-empty string');
    if (seenBlock.has(b.id)) throw invalidArgument(`${f}.id`, b.id, 'must not repeat an earlier block');
    seenBlock.add(b.id);
    if (typeof b.entityType !== 'string' || b.entityType.length === 0) throw invalidArgument(`${f}.entityType`, b.entityType, 'must be a non-empty string');
    b.features.forEach((s, k) => {
      const d = m.dimensions[s.namespace];
      if (d === undefined) throw invalidArgument(`${f}.features[${k}].namespace`, s.namespace, 'must be user, ad or context');
      for (let p = 0; p < s.indices.length; p++) {
        const ix = s.indices[p] as number;
        if (ix < 0 || ix >= d || (p > 0 && ix <= (s.indices[p - 1] as number))) {
          throw invalidArgument(`${f}.features[${k}].indices[${p}]`, ix, `must be increasing and in [0, ${d - 1}]`);
        }
      }
    });
    const width = randomEffectWidth(b);
    const ids = new Set(b.entityIds);
    if (ids.size !== b.entityIds.length) throw invalidArgument(`${f}.entityIds`, b.entityIds, 'must be unique');
    if (b.coefficients.length !== b.entityIds.length * width) {
      throw invalidArgument(`${f}.coefficients`, b.coefficients, `must have length entities × width (${b.entityIds.length} × ${width})`);
    }
    checkFinite(`${f}.coefficients`, b.coefficients);
    if (b.variances !== null) {
      if (b.variances.length !== b.coefficients.length) throw invalidArgument(`${f}.variances`, b.variances, `must have the length of coefficients (${b.coefficients.length})`);
      checkVariances(`${f}.variances`, b.variances);
    }
  });
  // Means may also be kept per random-effect part (re:<id>:bias|user|context|ad), see Prediction.parts.
  const terms = new Set<string>([...termIdsOf(m), ...m.randomEffects.flatMap(randomEffectPartIds)]);
  m.termMeans.forEach((t, i) => {
    if (!terms.has(t.term)) throw invalidArgument(`termMeans[${i}].term`, t.term, `must name a term of this model or a random-effect part (${[...terms].join(', ')})`);
    checkFinite(`termMeans[${i}].mean`, [t.mean]);
  });
  return m;
}

function checkFinite(field: string, values: ArrayLike<number>): void {
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i] as number)) throw invalidArgument(values.length === 1 ? field : `${field}[${i}]`, values[i], 'must be a finite number');
  }
}

function checkVariances(field: string, values: ArrayLike<number>): void {
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    if (!Number.isFinite(v) || v < 0) throw invalidArgument(values.length === 1 ? field : `${field}[${i}]`, v, 'must be a finite variance >= 0');
  }
}
