import { FEATURE_NAMESPACES, invalidArgument, type FeatureNamespace } from '@laserkit/core';
import { CsrMatrix } from './csr-matrix.js';

/** The ids of one entity type (campaign, advertiser, user...) per row. */
export interface EntityColumn {
  /** Distinct ids in order of first appearance. */
  readonly ids: readonly string[];
  /** Row → index into `ids`, or -1 when the row has no entity of this type. */
  readonly codes: Int32Array;
}

/**
 * Labelled impressions held column-wise: one sparse matrix per feature namespace (LASER's x_i,
 * c_j, z_t), labels, optional weights, and entity id columns for the random effects.
 */
export interface TrainingSet {
  readonly rows: number;
  readonly dimensions: Readonly<Record<FeatureNamespace, number>>;
  readonly features: Readonly<Record<FeatureNamespace, CsrMatrix>>;
  readonly labels: Float64Array;
  /** Sample weights (>= 0), or null for all 1. */
  readonly weights: Float64Array | null;
  readonly entities: ReadonlyMap<string, EntityColumn>;
}

/** One parsed example before it joins a TrainingSet. Feature values default to 1 (binary). */
export interface RawExample {
  readonly label: number;
  readonly weight?: number;
  readonly features: Partial<Record<FeatureNamespace, { readonly indices: ArrayLike<number>; readonly values?: ArrayLike<number> | undefined }>>;
  readonly entities?: Readonly<Record<string, string>>;
}

/** An append-only typed array that doubles when full. */
class Growable<T extends Int32Array | Float64Array> {
  length = 0;
  constructor(private data: T) {}
  push(v: number): void {
    if (this.length === this.data.length) {
      const next = new (this.data.constructor as new (n: number) => T)(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length++] = v;
  }
  trimmed(): T {
    return this.data.slice(0, this.length) as T;
  }
}

const growableInt32 = (): Growable<Int32Array> => new Growable(new Int32Array(1024));
const growableFloat64 = (): Growable<Float64Array> => new Growable(new Float64Array(1024));

/** Accumulates one namespace's rows; values are stored only once a non-1 value appears. */
class NamespaceColumns {
  readonly rowPtr = growableInt32();
  readonly colIdx = growableInt32();
  values: Growable<Float64Array> | null = null;
  maxIndex = -1;
  constructor() {
    this.rowPtr.push(0);
  }
  add(indices: ArrayLike<number>, values: ArrayLike<number> | undefined, field: string): void {
    const n = indices.length;
    for (let k = 0; k < n; k++) {
      const j = indices[k] as number;
      if (!Number.isInteger(j) || j < 0 || j > 0x7ffffffe) throw invalidArgument(`${field}.indices[${k}]`, j, 'must be a non-negative integer');
      if (k > 0 && j <= (indices[k - 1] as number)) throw invalidArgument(`${field}.indices[${k}]`, j, `must be greater than the previous index (${indices[k - 1]})`);
      const v = values === undefined ? 1 : (values[k] as number);
      if (!Number.isFinite(v)) throw invalidArgument(`${field}.values[${k}]`, v, 'must be a finite number');
      if (v !== 1 && this.values === null) {
        this.values = growableFloat64();
        for (let p = 0; p < this.colIdx.length; p++) this.values.push(1);
      }
    }
    for (let k = 0; k < n; k++) {
      const j = indices[k] as number;
      const v = values === undefined ? 1 : (values[k] as number);
      if (v === 0) continue;
      this.colIdx.push(j);
      this.values?.push(v);
      if (j > this.maxIndex) this.maxIndex = j;
    }
    this.rowPtr.push(this.colIdx.length);
  }
  build(rows: number, cols: number, namespace: FeatureNamespace): CsrMatrix {
    if (this.maxIndex >= cols) throw invalidArgument(`dimensions.${namespace}`, cols, `must exceed the largest ${namespace} feature index seen (${this.maxIndex})`);
    return new CsrMatrix(rows, cols, this.rowPtr.trimmed(), this.colIdx.trimmed(), this.values === null ? null : Float32Array.from(this.values.trimmed()));
  }
}

export interface TrainingSetBuilderOptions {
  /** Feature dimension per namespace; omitted namespaces are sized by the largest index seen. */
  readonly dimensions?: Partial<Record<FeatureNamespace, number>>;
}

/** Checks dimensions given per namespace: known namespaces, non-negative integers. */
export function checkDimensions(dimensions: Partial<Record<FeatureNamespace, number>>): void {
  for (const [ns, d] of Object.entries(dimensions)) {
    if (!(FEATURE_NAMESPACES as readonly string[]).includes(ns)) throw invalidArgument(`dimensions.${ns}`, d, 'is not a feature namespace (user, ad, context)');
    if (!Number.isInteger(d) || (d as number) < 0) throw invalidArgument(`dimensions.${ns}`, d, 'must be a non-negative integer');
  }
}

/** Builds a TrainingSet from examples one at a time, validating each (NaN or Inf never gets in). */
export class TrainingSetBuilder {
  private readonly columns: Record<FeatureNamespace, NamespaceColumns> = { user: new NamespaceColumns(), ad: new NamespaceColumns(), context: new NamespaceColumns() };
  private readonly labels = growableFloat64();
  private readonly weights = growableFloat64();
  private hasWeights = false;
  private readonly entityIds = new Map<string, { ids: string[]; index: Map<string, number>; codes: Growable<Int32Array> }>();
  private count = 0;

  constructor(private readonly options: TrainingSetBuilderOptions = {}) {
    checkDimensions(options.dimensions ?? {});
  }

  get rows(): number {
    return this.count;
  }

  /** Adds one example; throws INVALID_ARGUMENT naming the field before changing anything. */
  add(example: RawExample): void {
    if (!Number.isFinite(example.label)) throw invalidArgument('label', example.label, 'must be a finite number');
    const w = example.weight ?? 1;
    if (!Number.isFinite(w) || w < 0) throw invalidArgument('weight', w, 'must be a finite number >= 0');
    for (const ns of Object.keys(example.features)) {
      if (!(FEATURE_NAMESPACES as readonly string[]).includes(ns)) throw invalidArgument(`features.${ns}`, ns, 'is not a feature namespace (user, ad, context)');
    }
    // Validate every namespace before appending any, so a bad example leaves no partial row.
    for (const ns of FEATURE_NAMESPACES) {
      const f = example.features[ns];
      if (f === undefined) continue;
      const dim = this.options.dimensions?.[ns];
      for (let k = 0; k < f.indices.length; k++) {
        const j = f.indices[k] as number;
        if (dim !== undefined && j >= dim) throw invalidArgument(`features.${ns}.indices[${k}]`, j, `must be < dimensions.${ns} (${dim})`);
        if (!Number.isInteger(j) || j < 0) throw invalidArgument(`features.${ns}.indices[${k}]`, j, 'must be a non-negative integer');
        if (k > 0 && j <= (f.indices[k - 1] as number)) throw invalidArgument(`features.${ns}.indices[${k}]`, j, `must be greater than the previous index (${f.indices[k - 1]})`);
        if (f.values !== undefined && !Number.isFinite(f.values[k] as number)) throw invalidArgument(`features.${ns}.values[${k}]`, f.values[k], 'must be a finite number');
      }
      if (f.values !== undefined && f.values.length !== f.indices.length) {
        throw invalidArgument(`features.${ns}.values`, f.values, `must have the length of indices (${f.indices.length})`);
      }
    }
    for (const [type, id] of Object.entries(example.entities ?? {})) {
      if (typeof id !== 'string' || id.length === 0) throw invalidArgument(`entities.${type}`, id, 'must be a non-empty string');
    }
    for (const ns of FEATURE_NAMESPACES) {
      const f = example.features[ns];
      this.columns[ns].add(f?.indices ?? [], f?.values, `features.${ns}`);
    }
    this.labels.push(example.label);
    this.weights.push(w);
    if (w !== 1) this.hasWeights = true;
    const seenTypes = new Set<string>();
    for (const [type, id] of Object.entries(example.entities ?? {})) {
      let col = this.entityIds.get(type);
      if (col === undefined) {
        col = { ids: [], index: new Map(), codes: growableInt32() };
        for (let r = 0; r < this.count; r++) col.codes.push(-1);
        this.entityIds.set(type, col);
      }
      let code = col.index.get(id);
      if (code === undefined) {
        code = col.ids.length;
        col.ids.push(id);
        col.index.set(id, code);
      }
      col.codes.push(code);
      seenTypes.add(type);
    }
    for (const [type, col] of this.entityIds) if (!seenTypes.has(type)) col.codes.push(-1);
    this.count++;
  }

  build(): TrainingSet {
    const dimensions = {} as Record<FeatureNamespace, number>;
    const features = {} as Record<FeatureNamespace, CsrMatrix>;
    for (const ns of FEATURE_NAMESPACES) {
      dimensions[ns] = this.options.dimensions?.[ns] ?? this.columns[ns].maxIndex + 1;
      features[ns] = this.columns[ns].build(this.count, dimensions[ns], ns);
    }
    const entities = new Map<string, EntityColumn>();
    for (const [type, col] of this.entityIds) entities.set(type, { ids: col.ids, codes: col.codes.trimmed() });
    return { rows: this.count, dimensions, features, labels: this.labels.trimmed(), weights: this.hasWeights ? this.weights.trimmed() : null, entities };
  }
}

/** The rows at `rowIndices`, in that order (e.g. a train or held-out split). */
export function selectRows(set: TrainingSet, rowIndices: Int32Array): TrainingSet {
  const features = {} as Record<FeatureNamespace, CsrMatrix>;
  for (const ns of FEATURE_NAMESPACES) features[ns] = selectCsrRows(set.features[ns], rowIndices);
  const entities = new Map<string, EntityColumn>();
  for (const [type, col] of set.entities) entities.set(type, { ids: col.ids, codes: Int32Array.from(rowIndices, (r) => col.codes[r] as number) });
  return {
    rows: rowIndices.length,
    dimensions: set.dimensions,
    features,
    labels: Float64Array.from(rowIndices, (r) => set.labels[r] as number),
    weights: set.weights === null ? null : Float64Array.from(rowIndices, (r) => (set.weights as Float64Array)[r] as number),
    entities,
  };
}

export function selectCsrRows(x: CsrMatrix, rowIndices: Int32Array): CsrMatrix {
  let nnz = 0;
  for (const r of rowIndices) nnz += (x.rowPtr[r + 1] as number) - (x.rowPtr[r] as number);
  const rowPtr = new Int32Array(rowIndices.length + 1);
  const colIdx = new Int32Array(nnz);
  const values = x.values === null ? null : new Float32Array(nnz);
  let m = 0;
  rowIndices.forEach((r, i) => {
    const a = x.rowPtr[r] as number;
    const b = x.rowPtr[r + 1] as number;
    colIdx.set(x.colIdx.subarray(a, b), m);
    if (values !== null) values.set((x.values as Float32Array).subarray(a, b), m);
    m += b - a;
    rowPtr[i + 1] = m;
  });
  return new CsrMatrix(rowIndices.length, x.cols, rowPtr, colIdx, values);
}
