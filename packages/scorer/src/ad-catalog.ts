import { dotDense, invalidArgument, type FeatureNamespace, type SparseVector } from '@laserkit/core';
import { randomEffectWidth, type CrossTerm, type GlmixModel, type RandomEffectBlock } from '@laserkit/model';

/** An ad the scorer can rank: its features (ad namespace) and the entities it belongs to. */
export interface AdInput {
  readonly id: string;
  readonly features: SparseVector;
  /** Entity ids by entity type, e.g. { campaign: "c17", advertiser: "a3" }. */
  readonly entities?: Readonly<Record<string, string>>;
}

/**
 * Rows stored feature-major: for each feature f of one side (user or context) that any ad's
 * partial touches, one contiguous row across all ads. A request then adds one row per active
 * feature (DESIGN.md, "Memory layout decides the speed"), instead of each ad gathering its own.
 */
export class FeatureRows {
  /** Row of each feature, or -1 when no ad has a non-zero entry for it. */
  readonly rowOf: Int32Array;
  data: Float64Array;
  rows = 0;

  constructor(
    dimension: number,
    private readonly ads: number,
  ) {
    this.rowOf = new Int32Array(dimension).fill(-1);
    this.data = new Float64Array(0);
  }

  /** The row of feature f, created (zeroed) on first use. */
  row(f: number): number {
    let r = this.rowOf[f] as number;
    if (r >= 0) return r;
    r = this.rows++;
    this.rowOf[f] = r;
    if (this.rows * this.ads > this.data.length) {
      const grown = new Float64Array(Math.max(this.rows * this.ads, this.data.length * 2));
      grown.set(this.data);
      this.data = grown;
    }
    return r;
  }

  /** Trims the backing array to the rows in use. */
  seal(): void {
    if (this.data.length !== this.rows * this.ads) this.data = this.data.slice(0, this.rows * this.ads);
  }
}

/** A cross whose right side is the ad (user×ad, context×ad), pre-materialized per ad. */
export interface AdCrossPartials {
  readonly term: `cross:${string}`;
  readonly left: FeatureNamespace;
  /** Full crosses: Ã_j = A c_j stored feature-major over the left namespace. */
  readonly rows: FeatureRows | null;
  /** Low-rank crosses: Vᵀc_j stored rank-major (factors[k * ads + j]); the request supplies x'U. */
  readonly rank: number;
  readonly adFactors: Float64Array | null;
  readonly cross: CrossTerm;
}

/** A random-effect block whose entity is carried by the ads (LASER's per-campaign δ_j, η_j, ξ_j). */
export interface AdRandomEffectPartials {
  readonly term: `re:${string}`;
  readonly block: RandomEffectBlock;
  /** δ_j plus the block's ad-namespace part c_j'θ_j (both per-ad constants). */
  readonly constant: Float64Array;
  /** 1 where the ad's entity has coefficients; an unseen entity's term is exactly 0 (the prior mean). */
  readonly known: Uint8Array;
  /** η_j over user features and ξ_j over context features, feature-major. */
  readonly rows: Partial<Record<'user' | 'context', FeatureRows>>;
  /** Posterior variances of the same coefficients (Thompson sampling draws these), or null. */
  readonly varianceConstant: Float64Array | null;
  readonly varianceRows: Partial<Record<'user' | 'context', FeatureRows>>;
  /** Namespaces of request inputs the term depends on. */
  readonly dependsOn: readonly FeatureNamespace[];
}

/**
 * The per-ad partial results of one model over one set of ads, computed whenever the model or an
 * ad changes (LASER, WSDM 2014 §4.2, "partial pre-materialization"): c_j'β, Ã_j = A c_j (or Vᵀc_j),
 * B c_j, and the per-ad warm-start coefficients laid out feature-major.
 */
export class AdCatalog {
  readonly count: number;
  readonly ids: readonly string[];
  private readonly slotById: Map<string, number>;
  /** c_j'β (term main:ad), or null when the model has no ad main effect. */
  readonly adMain: Float64Array | null;
  readonly crosses: readonly AdCrossPartials[];
  readonly randomEffects: readonly AdRandomEffectPartials[];
  /** Blocks whose entity is not carried by ads (e.g. per-user effects): scored per request. */
  readonly requestBlocks: readonly RandomEffectBlock[];
  /** The ads themselves, for request-side random effects that act on ad features. */
  readonly ads: readonly AdInput[];

  constructor(
    readonly model: GlmixModel,
    ads: readonly AdInput[],
  ) {
    const n = ads.length;
    this.count = n;
    this.ads = ads;
    this.ids = ads.map((a) => a.id);
    this.slotById = new Map();
    ads.forEach((a, j) => {
      if (typeof a.id !== 'string' || a.id.length === 0) throw invalidArgument(`ads[${j}].id`, a.id, 'must be a non-empty string');
      if (this.slotById.has(a.id)) throw invalidArgument(`ads[${j}].id`, a.id, `duplicates ads[${this.slotById.get(a.id)}].id`);
      if (a.features.dimension !== model.dimensions.ad) throw invalidArgument(`ads[${j}].features.dimension`, a.features.dimension, `must equal the model's dimensions.ad (${model.dimensions.ad})`);
      checkSparseContent(`ads[${j}].features`, a.features);
      this.slotById.set(a.id, j);
    });

    const main = model.main.find((m) => m.namespace === 'ad');
    this.adMain = main === undefined ? null : Float64Array.from(ads, (a) => dotDense(a.features, main.weights));

    this.crosses = model.crosses.filter((c) => c.id === 'userAd' || c.id === 'contextAd').map((c) => materializeCross(c, model, ads));

    const adEntityTypes = new Set(ads.flatMap((a) => Object.keys(a.entities ?? {})));
    this.randomEffects = model.randomEffects.filter((b) => adEntityTypes.has(b.entityType)).map((b) => materializeBlock(b, model, ads));
    this.requestBlocks = model.randomEffects.filter((b) => !adEntityTypes.has(b.entityType));
  }

  /** 0, 1, …, count − 1: the slots of the whole catalog in order. */
  get identity(): Int32Array {
    this.identitySlots ??= Int32Array.from({ length: this.count }, (_, j) => j);
    return this.identitySlots;
  }

  private identitySlots: Int32Array | undefined;

  slotOf(id: string): number {
    return this.slotById.get(id) ?? -1;
  }
}


function materializeCross(c: CrossTerm, model: GlmixModel, ads: readonly AdInput[]): AdCrossPartials {
  const n = ads.length;
  const left: FeatureNamespace = c.id === 'userAd' ? 'user' : 'context';
  const term = `cross:${c.id}` as const;
  if (c.kind === 'lowRank') {
    // Vᵀc_j for every ad, rank-major so a request sums `rank` contiguous rows.
    const k = c.rank;
    const f = new Float64Array(k * n);
    ads.forEach((a, j) => {
      for (let p = 0; p < a.features.indices.length; p++) {
        const col = a.features.indices[p] as number;
        const v = a.features.values[p] as number;
        for (let r = 0; r < k; r++) f[r * n + j] = (f[r * n + j] as number) + v * (c.rightFactors[col * k + r] as number);
      }
    });
    return { term, left, rows: null, rank: k, adFactors: f, cross: c };
  }
  // Full: Ã_j[l] = Σ_r A[l, r] c_j[r]. Index A by its right (ad) column first.
  const byRight = new Map<number, number[]>();
  for (let q = 0; q < c.rightIndex.length; q++) {
    const r = c.rightIndex[q] as number;
    let list = byRight.get(r);
    if (list === undefined) byRight.set(r, (list = []));
    list.push(q);
  }
  const rows = new FeatureRows(model.dimensions[left], n);
  ads.forEach((a, j) => {
    for (let p = 0; p < a.features.indices.length; p++) {
      const pairs = byRight.get(a.features.indices[p] as number);
      if (pairs === undefined) continue;
      const v = a.features.values[p] as number;
      for (const q of pairs) {
        const base = rows.row(c.leftIndex[q] as number) * n;
        rows.data[base + j] = (rows.data[base + j] as number) + v * (c.weights[q] as number);
      }
    }
  });
  rows.seal();
  return { term, left, rows, rank: 0, adFactors: null, cross: c };
}

function materializeBlock(b: RandomEffectBlock, model: GlmixModel, ads: readonly AdInput[]): AdRandomEffectPartials {
  const n = ads.length;
  const width = randomEffectWidth(b);
  const entityRow = new Map(b.entityIds.map((id, i) => [id, i]));
  const constant = new Float64Array(n);
  const known = new Uint8Array(n);
  const varianceConstant = b.variances === null ? null : new Float64Array(n);
  const rows: Partial<Record<'user' | 'context', FeatureRows>> = {};
  const varianceRows: Partial<Record<'user' | 'context', FeatureRows>> = {};
  const dependsOn = new Set<FeatureNamespace>();
  for (const sel of b.features) {
    if (sel.namespace === 'ad') continue;
    dependsOn.add(sel.namespace);
    rows[sel.namespace] ??= new FeatureRows(model.dimensions[sel.namespace], n);
    if (b.variances !== null) varianceRows[sel.namespace] ??= new FeatureRows(model.dimensions[sel.namespace], n);
  }
  ads.forEach((a, j) => {
    const id = a.entities?.[b.entityType];
    const e = id === undefined ? undefined : entityRow.get(id);
    if (e === undefined) return; // an unseen entity contributes its prior mean, 0
    known[j] = 1;
    const base = e * width;
    let offset = 0;
    if (b.bias) {
      constant[j] = b.coefficients[base] as number;
      if (varianceConstant !== null) varianceConstant[j] = (b.variances as Float64Array)[base] as number;
      offset = 1;
    }
    for (const sel of b.features) {
      for (let q = 0; q < sel.indices.length; q++) {
        const coef = b.coefficients[base + offset + q] as number;
        const variance = b.variances === null ? 0 : (b.variances[base + offset + q] as number);
        const f = sel.indices[q] as number;
        if (sel.namespace === 'ad') {
          // c_j'θ_j: a per-ad constant. Its variance enters Thompson sampling as c_f² v_f.
          const x = valueAt(a.features, f);
          constant[j] = (constant[j] as number) + x * coef;
          if (varianceConstant !== null) varianceConstant[j] = (varianceConstant[j] as number) + x * x * variance;
          continue;
        }
        // row() may grow `data`: take the row before reading the array.
        const r = rows[sel.namespace] as FeatureRows;
        const at = r.row(f) * n + j;
        r.data[at] = coef;
        const vr = varianceRows[sel.namespace];
        if (vr !== undefined) {
          const vat = vr.row(f) * n + j;
          vr.data[vat] = variance;
        }
      }
      offset += sel.indices.length;
    }
  });
  for (const r of [...Object.values(rows), ...Object.values(varianceRows)]) r.seal();
  return { term: `re:${b.id}`, block: b, constant, known, rows, varianceConstant, varianceRows, dependsOn: [...dependsOn] };
}

function valueAt(v: SparseVector, f: number): number {
  let lo = 0;
  let hi = v.indices.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((v.indices[mid] as number) < f) lo = mid + 1;
    else hi = mid;
  }
  return lo < v.indices.length && v.indices[lo] === f ? (v.values[lo] as number) : 0;
}

/** Indices integers, strictly increasing, in range; values finite and parallel: what every hot loop assumes. */
export function checkSparseContent(field: string, v: SparseVector): void {
  if (v.values.length !== v.indices.length) throw invalidArgument(`${field}.values`, v.values, `must have one value per index (${v.indices.length})`);
  let last = -1;
  for (let p = 0; p < v.indices.length; p++) {
    const ix = v.indices[p] as number;
    if (ix <= last || ix >= v.dimension) throw invalidArgument(`${field}.indices[${p}]`, ix, `must be strictly increasing and in [0, ${v.dimension - 1}] (build vectors with sparseVector())`);
    last = ix;
    if (!Number.isFinite(v.values[p] as number)) throw invalidArgument(`${field}.values[${p}]`, v.values[p], 'must be a finite number');
  }
}
