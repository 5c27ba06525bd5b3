import { invalidArgument, type FeatureNamespace } from '@laserkit/core';
import { CsrMatrix } from '../data/csr-matrix.js';
import type { TrainingSet } from '../data/training-set.js';

/**
 * LASER's warm-start part Θw (WSDM 2014, eq. 5-6): per entity j a bias δ_j and coefficients on a
 * small set of features (η_j on user features, ξ_j on context features), fit on that entity's
 * rows alone with the cold-start score as offset. GLMix (KDD 2016) allows any entity type.
 */
export type FeatureSelection = 'all' | { readonly top: number } | readonly number[];

export interface RandomEffectSpec {
  /** Block id, e.g. "perCampaign" (the model term is `re:<id>`). */
  readonly id: string;
  /** The entity column it is keyed by, e.g. "campaign". */
  readonly entityType: string;
  /** Fit a per-entity bias δ_j. @default true */
  readonly bias?: boolean;
  /** Features the per-entity coefficients act on; `{ top: n }` takes the n most frequent columns. */
  readonly features?: readonly { readonly namespace: FeatureNamespace; readonly select: FeatureSelection }[];
}

/**
 * LASER's warm-start block: per campaign, a bias δ_j, η_j on the 32 most frequent user features
 * and ξ_j on every context feature.
 */
export const LASER_PER_CAMPAIGN_EFFECT: RandomEffectSpec = Object.freeze({
  id: 'perCampaign',
  entityType: 'campaign',
  bias: true,
  features: Object.freeze([
    Object.freeze({ namespace: 'user' as const, select: Object.freeze({ top: 32 }) }),
    Object.freeze({ namespace: 'context' as const, select: 'all' as const }),
  ]),
});

/** Every entity's rows and local design, in one CSR grouped by entity. */
export interface RandomEffectDesign {
  readonly spec: RandomEffectSpec;
  readonly bias: boolean;
  readonly features: readonly { readonly namespace: FeatureNamespace; readonly indices: Int32Array }[];
  readonly width: number;
  /** Entity ids, parallel to the row groups. */
  readonly entityIds: readonly string[];
  /** Entity e owns grouped rows [groupPtr[e], groupPtr[e + 1]). */
  readonly groupPtr: Int32Array;
  /** Grouped row g is original row rowOf[g]. */
  readonly rowOf: Int32Array;
  /** Local design over grouped rows, width columns. */
  readonly x: CsrMatrix;
}

export interface PlannedRandomEffect {
  readonly spec: RandomEffectSpec;
  readonly bias: boolean;
  readonly features: readonly { readonly namespace: FeatureNamespace; readonly indices: Int32Array }[];
  readonly width: number;
}

/** Resolves the feature selection on training data. */
export function planRandomEffect(set: TrainingSet, spec: RandomEffectSpec): PlannedRandomEffect {
  if (typeof spec.id !== 'string' || spec.id.length === 0) throw invalidArgument('randomEffects[].id', spec.id, 'must be a non-empty string');
  if (!set.entities.has(spec.entityType)) {
    throw invalidArgument(`randomEffects.${spec.id}.entityType`, spec.entityType, `must be an entity column of the data (${[...set.entities.keys()].join(', ') || 'none'})`);
  }
  const bias = spec.bias ?? true;
  const features = (spec.features ?? []).map((f, i) => {
    const x = set.features[f.namespace];
    if (x === undefined) throw invalidArgument(`randomEffects.${spec.id}.features[${i}].namespace`, f.namespace, 'must be user, ad or context');
    let indices: Int32Array;
    if (f.select === 'all') indices = Int32Array.from({ length: x.cols }, (_, j) => j);
    else if (Array.isArray(f.select)) {
      indices = Int32Array.from(new Set(f.select as readonly number[])).sort();
      for (const j of indices) if (j < 0 || j >= x.cols) throw invalidArgument(`randomEffects.${spec.id}.features[${i}].select`, j, `must be column indices in [0, ${x.cols - 1}]`);
    } else {
      const top = (f.select as { top: number }).top;
      if (!Number.isInteger(top) || top < 0) throw invalidArgument(`randomEffects.${spec.id}.features[${i}].select.top`, top, 'must be a non-negative integer');
      const counts = new Float64Array(x.cols);
      for (let k = 0; k < x.nnz; k++) counts[x.colIdx[k] as number]! += 1;
      const order = Array.from({ length: x.cols }, (_, j) => j).filter((j) => counts[j]! > 0);
      order.sort((a, b) => counts[b]! - counts[a]! || a - b);
      indices = Int32Array.from(order.slice(0, top)).sort();
    }
    return { namespace: f.namespace, indices };
  });
  const width = (bias ? 1 : 0) + features.reduce((s, f) => s + f.indices.length, 0);
  if (width === 0) throw invalidArgument(`randomEffects.${spec.id}`, spec.id, 'must have a bias or at least one feature');
  return { spec, bias, features, width };
}

/** Groups the rows by entity and builds each entity's local design (bias column first). */
export function buildRandomEffectDesign(set: TrainingSet, plan: PlannedRandomEffect): RandomEffectDesign {
  const column = set.entities.get(plan.spec.entityType);
  if (column === undefined) throw invalidArgument('entityType', plan.spec.entityType, 'must be an entity column of the data');
  const entities = column.ids.length;
  // Counting sort of rows by entity code; rows without an entity are left out of every group.
  const counts = new Int32Array(entities + 1);
  for (let i = 0; i < set.rows; i++) {
    const c = column.codes[i] as number;
    if (c >= 0) counts[c + 1]! += 1;
  }
  for (let e = 0; e < entities; e++) counts[e + 1]! += counts[e]!;
  const groupPtr = counts.slice();
  const next = counts.slice(0, entities);
  const rowOf = new Int32Array(groupPtr[entities] as number);
  for (let i = 0; i < set.rows; i++) {
    const c = column.codes[i] as number;
    if (c >= 0) rowOf[next[c]!++] = i;
  }
  // Global column → local column, per namespace.
  const maps = plan.features.map((f) => {
    const map = new Int32Array(set.dimensions[f.namespace]).fill(-1);
    return map;
  });
  let offset = plan.bias ? 1 : 0;
  plan.features.forEach((f, k) => {
    f.indices.forEach((j, p) => (maps[k]![j] = offset + p));
    offset += f.indices.length;
  });
  const hasValues = plan.features.some((f) => set.features[f.namespace].values !== null);
  const rowPtr = new Int32Array(rowOf.length + 1);
  let cap = Math.max(16, rowOf.length * 4);
  let colIdx = new Int32Array(cap);
  let values = hasValues ? new Float32Array(cap) : null;
  let m = 0;
  const push = (col: number, v: number): void => {
    if (m === cap) {
      cap *= 2;
      const c2 = new Int32Array(cap);
      c2.set(colIdx);
      colIdx = c2;
      if (values !== null) {
        const v2 = new Float32Array(cap);
        v2.set(values);
        values = v2;
      }
    }
    colIdx[m] = col;
    if (values !== null) values[m] = v;
    m++;
  };
  for (let g = 0; g < rowOf.length; g++) {
    const i = rowOf[g] as number;
    if (plan.bias) push(0, 1);
    plan.features.forEach((f, k) => {
      const x = set.features[f.namespace];
      const map = maps[k] as Int32Array;
      for (let p = x.rowPtr[i] as number; p < (x.rowPtr[i + 1] as number); p++) {
        const local = map[x.colIdx[p] as number] as number;
        if (local >= 0) push(local, x.values === null ? 1 : (x.values[p] as number));
      }
    });
    rowPtr[g + 1] = m;
  }
  const x = new CsrMatrix(rowOf.length, plan.width, rowPtr, colIdx.slice(0, m), values === null ? null : values.slice(0, m));
  return { spec: plan.spec, bias: plan.bias, features: plan.features, width: plan.width, entityIds: column.ids, groupPtr, rowOf, x };
}

/** Entity e's rows as a standalone matrix (views into the grouped design; rowPtr rebased). */
export function entityMatrix(design: RandomEffectDesign, e: number): CsrMatrix {
  const start = design.groupPtr[e] as number;
  const end = design.groupPtr[e + 1] as number;
  const base = design.x.rowPtr[start] as number;
  const rowPtr = new Int32Array(end - start + 1);
  for (let g = start; g <= end; g++) rowPtr[g - start] = (design.x.rowPtr[g] as number) - base;
  const stop = design.x.rowPtr[end] as number;
  return new CsrMatrix(end - start, design.width, rowPtr, design.x.colIdx.subarray(base, stop), design.x.values === null ? null : design.x.values.subarray(base, stop));
}
