import { invalidArgument, type FeatureNamespace } from '@laserkit/core';
import { CROSS_NAMESPACES, type CrossId } from '@laserkit/model';
import { CsrMatrix } from '../data/csr-matrix.js';
import type { TrainingSet } from '../data/training-set.js';
import { PairTable } from './pair-table.js';

/**
 * The cold-start (fixed-effect) part of LASER's model, Θc (WSDM 2014, eq. 2-4): intercept, main
 * effects per namespace, and second-order crosses over selected feature pairs. LASER chose pairs
 * by hand from ~20k features; here the most frequent co-occurring pairs of the training data are
 * selected, and every selected pair becomes one column x_l · x_r of the design matrix.
 */
export interface CrossSpec {
  readonly id: CrossId;
  /** Keep at most this many pairs (the most frequent). @default 50000 */
  readonly maxPairs?: number;
  /** Keep only pairs seen together in at least this many rows. @default 20 */
  readonly minCount?: number;
}

/** A cross fit as a rank-k factorization A = U Vᵀ over all features of its two namespaces. */
export interface LowRankCrossSpec {
  readonly id: CrossId;
  /** @default 4 */
  readonly rank?: number;
}

export interface FixedEffectSpec {
  /** Namespaces with main effects. @default ['user', 'ad', 'context'] */
  readonly main?: readonly FeatureNamespace[];
  /** Crosses over selected pairs: one column per pair in the design matrix. */
  readonly crosses?: readonly CrossSpec[];
  /** Crosses as low-rank factorizations, fit jointly with the linear part by L-BFGS. */
  readonly lowRankCrosses?: readonly LowRankCrossSpec[];
}

export interface SelectedCross {
  readonly id: CrossId;
  /** First column of this cross in the design matrix. */
  readonly offset: number;
  /** Selected pairs, sorted by (left, right); pair p is column offset + p. */
  readonly leftIndex: Int32Array;
  readonly rightIndex: Int32Array;
  readonly table: PairTable;
}

/** Where each term's coefficients sit in the design matrix; column 0 is the intercept. */
export interface FixedLayout {
  readonly cols: number;
  readonly dimensions: Readonly<Record<FeatureNamespace, number>>;
  readonly main: readonly { readonly namespace: FeatureNamespace; readonly offset: number }[];
  readonly crosses: readonly SelectedCross[];
}

export const INTERCEPT_COLUMN = 0;

/** Chooses the cross pairs on the training data and lays out the columns. */
export function planFixedEffect(set: TrainingSet, spec: FixedEffectSpec = {}): FixedLayout {
  const mainNs = spec.main ?? (['user', 'ad', 'context'] as const);
  let cols = 1;
  const main = mainNs.map((namespace) => {
    const entry = { namespace, offset: cols };
    cols += set.dimensions[namespace];
    return entry;
  });
  const crosses: SelectedCross[] = [];
  (spec.crosses ?? []).forEach((c, i) => {
    const pair = CROSS_NAMESPACES[c.id];
    if (pair === undefined) throw invalidArgument(`crosses[${i}].id`, c.id, 'must be userAd, userContext or contextAd');
    const maxPairs = c.maxPairs ?? 50_000;
    const minCount = c.minCount ?? 20;
    if (!Number.isInteger(maxPairs) || maxPairs < 0) throw invalidArgument(`crosses[${i}].maxPairs`, maxPairs, 'must be a non-negative integer');
    if (!Number.isInteger(minCount) || minCount < 1) throw invalidArgument(`crosses[${i}].minCount`, minCount, 'must be an integer >= 1');
    const [l, r] = pair;
    const counts = countPairs(set, l, r, minCount);
    const kept: [number, number, number][] = [];
    counts.forEach((a, b, n) => {
      if (n >= minCount) kept.push([a, b, n]);
    });
    // Most frequent first (ties by index, for determinism), then back into (left, right) order.
    kept.sort((p, q) => q[2] - p[2] || p[0] - q[0] || p[1] - q[1]);
    const chosen = kept.slice(0, maxPairs).sort((p, q) => p[0] - q[0] || p[1] - q[1]);
    const table = new PairTable(set.dimensions[r], chosen.length);
    chosen.forEach(([a, b], p) => table.set(a, b, p));
    crosses.push({ id: c.id, offset: cols, leftIndex: Int32Array.from(chosen, (p) => p[0]), rightIndex: Int32Array.from(chosen, (p) => p[1]), table });
    cols += chosen.length;
  });
  return { cols, dimensions: set.dimensions, main, crosses };
}

/** Pair co-occurrence counts, skipping features that are themselves rarer than minCount. */
function countPairs(set: TrainingSet, left: FeatureNamespace, right: FeatureNamespace, minCount: number): PairTable {
  const L = set.features[left];
  const R = set.features[right];
  const frequent = (x: CsrMatrix): Uint8Array => {
    const n = new Int32Array(x.cols);
    for (let k = 0; k < x.nnz; k++) n[x.colIdx[k] as number]! += 1;
    return Uint8Array.from(n, (c) => (c >= minCount ? 1 : 0));
  };
  const okL = frequent(L);
  const okR = frequent(R);
  const table = new PairTable(R.cols, 1 << 16);
  for (let i = 0; i < set.rows; i++) {
    for (let p = L.rowPtr[i] as number; p < (L.rowPtr[i + 1] as number); p++) {
      const a = L.colIdx[p] as number;
      if (okL[a] === 0) continue;
      for (let q = R.rowPtr[i] as number; q < (R.rowPtr[i + 1] as number); q++) {
        const b = R.colIdx[q] as number;
        if (okR[b] === 1) table.increment(a, b);
      }
    }
  }
  return table;
}

/** The design matrix of `set` under a layout planned on (possibly other) training data. */
export function buildFixedDesign(set: TrainingSet, layout: FixedLayout): CsrMatrix {
  for (const ns of ['user', 'ad', 'context'] as const) {
    if (set.dimensions[ns] !== layout.dimensions[ns]) throw invalidArgument(`dimensions.${ns}`, set.dimensions[ns], `must equal the layout's (${layout.dimensions[ns]})`);
  }
  const hasValues = (['user', 'ad', 'context'] as const).some((ns) => set.features[ns].values !== null);
  let capacity = set.rows;
  for (const m of layout.main) capacity += set.features[m.namespace].nnz;
  let colIdx = new Int32Array(Math.max(capacity, 16));
  let values = hasValues ? new Float32Array(colIdx.length) : null;
  const rowPtr = new Int32Array(set.rows + 1);
  let m = 0;
  const ensure = (extra: number): void => {
    if (m + extra <= colIdx.length) return;
    let cap = colIdx.length;
    while (cap < m + extra) cap *= 2;
    if (cap > 2 ** 31 - 1) throw invalidArgument('nnz', cap, 'must be < 2^31', 'select fewer cross pairs or use fewer rows');
    const c2 = new Int32Array(cap);
    c2.set(colIdx.subarray(0, m));
    colIdx = c2;
    if (values !== null) {
      const v2 = new Float32Array(cap);
      v2.set(values.subarray(0, m));
      values = v2;
    }
  };
  const valueAt = (x: CsrMatrix, k: number): number => (x.values === null ? 1 : (x.values[k] as number));
  for (let i = 0; i < set.rows; i++) {
    ensure(1);
    colIdx[m] = INTERCEPT_COLUMN;
    if (values !== null) values[m] = 1;
    m++;
    for (const main of layout.main) {
      const x = set.features[main.namespace];
      const a = x.rowPtr[i] as number;
      const b = x.rowPtr[i + 1] as number;
      ensure(b - a);
      for (let k = a; k < b; k++) {
        colIdx[m] = main.offset + (x.colIdx[k] as number);
        if (values !== null) values[m] = valueAt(x, k);
        m++;
      }
    }
    for (const cross of layout.crosses) {
      const [ln, rn] = CROSS_NAMESPACES[cross.id];
      const L = set.features[ln];
      const R = set.features[rn];
      const la = L.rowPtr[i] as number;
      const lb = L.rowPtr[i + 1] as number;
      const ra = R.rowPtr[i] as number;
      const rb = R.rowPtr[i + 1] as number;
      ensure((lb - la) * (rb - ra));
      // Pairs are numbered in (left, right) order and both index lists are sorted, so the
      // columns found come out increasing.
      for (let p = la; p < lb; p++) {
        const a = L.colIdx[p] as number;
        for (let q = ra; q < rb; q++) {
          const pair = cross.table.get(a, R.colIdx[q] as number);
          if (pair < 0) continue;
          colIdx[m] = cross.offset + pair;
          if (values !== null) values[m] = valueAt(L, p) * valueAt(R, q);
          m++;
        }
      }
    }
    rowPtr[i + 1] = m;
  }
  return new CsrMatrix(set.rows, layout.cols, rowPtr, colIdx.slice(0, m), values === null ? null : values.slice(0, m));
}
