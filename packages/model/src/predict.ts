import { dotDense, emptySparseVector, invalidArgument, type FeatureNamespace, type SparseVector } from '@laserkit/core';
import { CROSS_NAMESPACES, randomEffectPartIds, randomEffectWidth, type CrossTerm, type GlmixModel, type RandomEffectBlock, type TermId } from './model.js';

/** One impression to score: a sparse vector per namespace and the ids of its entities. */
export interface Example {
  readonly user?: SparseVector;
  readonly ad?: SparseVector;
  readonly context?: SparseVector;
  /** Entity ids by entity type, e.g. { campaign: "47" }; an unknown id contributes 0 (the prior mean). */
  readonly entities?: Readonly<Record<string, string>>;
}

export interface Prediction {
  /** The linear predictor s. */
  readonly score: number;
  /** σ(s) for the logistic link, s for identity, exp(s) for log. */
  readonly response: number;
  /** Each term's contribution to s. */
  readonly terms: ReadonlyMap<TermId, number>;
  /**
   * With `{ parts: true }`: each random-effect term split into its parts (see randomEffectPartIds).
   */
  readonly parts?: ReadonlyMap<TermId, number>;
}


/**
 * Direct scoring from the model: the reference every faster path (the scorer's factorized cache)
 * must reproduce. O(active features × rank) per term; no caching.
 */
export class ModelPredictor {
  private readonly entityIndex: Map<string, Map<string, number>>;

  constructor(readonly model: GlmixModel) {
    this.entityIndex = new Map(model.randomEffects.map((b) => [b.id, new Map(b.entityIds.map((id, i) => [id, i]))]));
  }

  predict(example: Example, options: { readonly parts?: boolean } = {}): Prediction {
    const m = this.model;
    const vec = (ns: FeatureNamespace): SparseVector => {
      const v = example[ns] ?? emptySparseVector(m.dimensions[ns]);
      if (v.dimension !== m.dimensions[ns]) throw invalidArgument(`example.${ns}.dimension`, v.dimension, `must equal the model's dimensions.${ns} (${m.dimensions[ns]})`);
      return v;
    };
    const terms = new Map<TermId, number>();
    terms.set('intercept', m.intercept);
    for (const e of m.main) {
      terms.set(`main:${e.namespace}`, dotDense(vec(e.namespace), e.weights));
    }
    for (const c of m.crosses) {
      const [l, r] = CROSS_NAMESPACES[c.id];
      terms.set(`cross:${c.id}`, crossValue(c, vec(l), vec(r)));
    }
    const parts = options.parts === true ? new Map<TermId, number>() : undefined;
    for (const b of m.randomEffects) {
      const id = example.entities?.[b.entityType];
      const row = id === undefined ? undefined : this.entityIndex.get(b.id)?.get(id);
      if (parts !== undefined) for (const part of randomEffectPartIds(b)) parts.set(part, 0);
      terms.set(`re:${b.id}`, row === undefined ? 0 : randomEffectValue(b, row, vec, parts));
    }
    let score = 0;
    for (const v of terms.values()) score += v;
    return { score, response: applyLink(m.link, score), terms, ...(parts === undefined ? {} : { parts }) };
  }
}

export function applyLink(link: GlmixModel['link'], s: number): number {
  if (link === 'logistic') return s >= 0 ? 1 / (1 + Math.exp(-s)) : Math.exp(s) / (1 + Math.exp(s));
  if (link === 'log') return Math.exp(s);
  return s;
}

/** x_left' A x_right for one cross term (full over pairs, or low-rank). */
export function crossValue(c: CrossTerm, left: SparseVector, right: SparseVector): number {
  if (c.kind === 'lowRank') {
    // (x_l'U)(Vᵀx_r), summed over the rank.
    const a = projectFactors(c.leftFactors, c.rank, left);
    const b = projectFactors(c.rightFactors, c.rank, right);
    let s = 0;
    for (let k = 0; k < c.rank; k++) s += (a[k] as number) * (b[k] as number);
    return s;
  }
  // Full: for each active left feature, binary-search its run of pairs, then merge with the right vector.
  let s = 0;
  for (let p = 0; p < left.indices.length; p++) {
    const li = left.indices[p] as number;
    let q = lowerBound(c.leftIndex, li);
    let t = 0;
    while (q < c.leftIndex.length && c.leftIndex[q] === li && t < right.indices.length) {
      const ri = c.rightIndex[q] as number;
      const rv = right.indices[t] as number;
      if (ri === rv) {
        s += (left.values[p] as number) * (right.values[t] as number) * (c.weights[q] as number);
        q++;
        t++;
      } else if (ri < rv) q++;
      else t++;
    }
  }
  return s;
}

function randomEffectValue(b: RandomEffectBlock, row: number, vec: (ns: FeatureNamespace) => SparseVector, parts: Map<TermId, number> | undefined): number {
  const width = randomEffectWidth(b);
  const base = row * width;
  let s = b.bias ? (b.coefficients[base] as number) : 0;
  if (parts !== undefined && b.bias) parts.set(`re:${b.id}:bias`, s);
  let offset = b.bias ? 1 : 0;
  for (const sel of b.features) {
    const part = selectedDot(vec(sel.namespace), sel.indices, b.coefficients, base + offset);
    s += part;
    if (parts !== undefined) parts.set(`re:${b.id}:${sel.namespace}`, (parts.get(`re:${b.id}:${sel.namespace}`) ?? 0) + part);
    offset += sel.indices.length;
  }
  return s;
}

/** x'F for a factor matrix stored row-major (F[f * rank + r]): the k-vector a low-rank cross meets. */
export function projectFactors(factors: Float64Array, rank: number, v: SparseVector): Float64Array {
  const out = new Float64Array(rank);
  for (let p = 0; p < v.indices.length; p++) {
    const base = (v.indices[p] as number) * rank;
    const x = v.values[p] as number;
    for (let r = 0; r < rank; r++) out[r] = (out[r] as number) + x * (factors[base + r] as number);
  }
  return out;
}

/**
 * Σ_q v[selected[q]] · coefficients[at + q]: a random-effect block's coefficients on its selected
 * columns against a vector, merging the two sorted index lists.
 */
export function selectedDot(v: SparseVector, selected: Int32Array, coefficients: Float64Array, at: number): number {
  let s = 0;
  let p = 0;
  let q = 0;
  while (p < v.indices.length && q < selected.length) {
    const a = v.indices[p] as number;
    const c = selected[q] as number;
    if (a === c) {
      s += (v.values[p] as number) * (coefficients[at + q] as number);
      p++;
      q++;
    } else if (a < c) p++;
    else q++;
  }
  return s;
}

function lowerBound(xs: Int32Array, x: number): number {
  let lo = 0;
  let hi = xs.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((xs[mid] as number) < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
