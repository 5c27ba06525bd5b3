import { invalidArgument, type SparseVector } from '@laserkit/core';

/** Largest number of stored entries: row pointers are Int32. */
export const MAX_CSR_NNZ = 2 ** 31 - 1;

/**
 * A sparse design matrix in compressed sparse row form, on typed arrays. Row `i` holds the
 * entries `rowPtr[i] <= k < rowPtr[i + 1]`: column `colIdx[k]` with value `values[k]`, or 1 when
 * `values` is null (LASER features are binary, so most matrices store no values at all).
 * Within a row the column indices are strictly increasing. Every constructor path validates
 * that, so hot loops may rely on it.
 */
export class CsrMatrix {
  readonly rows: number;
  readonly cols: number;
  readonly rowPtr: Int32Array;
  readonly colIdx: Int32Array;
  /** Stored values, parallel to `colIdx`; null means every stored value is 1. */
  readonly values: Float32Array | null;

  constructor(rows: number, cols: number, rowPtr: Int32Array, colIdx: Int32Array, values: Float32Array | null) {
    if (!Number.isInteger(rows) || rows < 0 || rows > MAX_CSR_NNZ) throw invalidArgument('rows', rows, `must be an integer in [0, ${MAX_CSR_NNZ}]`);
    if (!Number.isInteger(cols) || cols < 0 || cols > MAX_CSR_NNZ) throw invalidArgument('cols', cols, `must be an integer in [0, ${MAX_CSR_NNZ}]`);
    if (!(rowPtr instanceof Int32Array) || rowPtr.length !== rows + 1) {
      throw invalidArgument('rowPtr', rowPtr, `must be an Int32Array of length rows + 1 (${rows + 1})`);
    }
    if (rowPtr[0] !== 0) throw invalidArgument('rowPtr[0]', rowPtr[0], 'must be 0');
    const nnz = rowPtr[rows] as number;
    if (!(colIdx instanceof Int32Array) || colIdx.length !== nnz) {
      throw invalidArgument('colIdx', colIdx, `must be an Int32Array of length rowPtr[rows] (${nnz})`);
    }
    if (values !== null && (!(values instanceof Float32Array) || values.length !== nnz)) {
      throw invalidArgument('values', values, `must be null or a Float32Array of length rowPtr[rows] (${nnz})`);
    }
    for (let i = 0; i < rows; i++) {
      const start = rowPtr[i] as number;
      const end = rowPtr[i + 1] as number;
      if (end < start) throw invalidArgument(`rowPtr[${i + 1}]`, end, `must be >= rowPtr[${i}] (${start})`);
      let previous = -1;
      for (let k = start; k < end; k++) {
        const j = colIdx[k] as number;
        if (j <= previous || j >= cols) {
          throw invalidArgument(`colIdx[${k}]`, j, `must be in [${previous + 1}, ${cols - 1}] (row ${i}: column indices strictly increasing and < cols)`);
        }
        previous = j;
      }
    }
    if (values !== null) {
      for (let k = 0; k < nnz; k++) {
        if (!Number.isFinite(values[k] as number)) throw invalidArgument(`values[${k}]`, values[k], 'must be a finite number');
      }
    }
    this.rows = rows;
    this.cols = cols;
    this.rowPtr = rowPtr;
    this.colIdx = colIdx;
    this.values = values;
  }

  /** Number of stored entries. */
  get nnz(): number {
    return this.rowPtr[this.rows] as number;
  }

  /** x_i · w (w dense, length `cols`). */
  rowDot(row: number, w: ArrayLike<number>): number {
    const start = this.rowPtr[row] as number;
    const end = this.rowPtr[row + 1] as number;
    const colIdx = this.colIdx;
    const values = this.values;
    let s = 0;
    if (values === null) for (let k = start; k < end; k++) s += w[colIdx[k] as number] as number;
    else for (let k = start; k < end; k++) s += (values[k] as number) * (w[colIdx[k] as number] as number);
    return s;
  }
}

export interface CsrMatrixBuilderOptions {
  /** Number of columns (the feature dimension). */
  readonly cols: number;
  /** Initial capacity in stored entries; the builder grows by doubling. @default 1024 */
  readonly initialCapacity?: number;
}

/**
 * Builds a CsrMatrix row by row. Values are stored only once some row has a value other than 1;
 * until then the matrix is binary and `values` stays null.
 */
export class CsrMatrixBuilder {
  readonly cols: number;
  private rowCount = 0;
  private nnzCount = 0;
  private rowPtr: Int32Array;
  private colIdx: Int32Array;
  private values: Float32Array | null = null;

  constructor(options: CsrMatrixBuilderOptions) {
    if (options === null || typeof options !== 'object') throw invalidArgument('options', options, 'must be an object');
    const { cols, initialCapacity = 1024 } = options;
    if (!Number.isInteger(cols) || cols < 0 || cols > MAX_CSR_NNZ) throw invalidArgument('cols', cols, `must be an integer in [0, ${MAX_CSR_NNZ}]`);
    if (!Number.isInteger(initialCapacity) || initialCapacity < 1 || initialCapacity > MAX_CSR_NNZ) {
      throw invalidArgument('initialCapacity', initialCapacity, `must be an integer in [1, ${MAX_CSR_NNZ}]`);
    }
    this.cols = cols;
    this.rowPtr = new Int32Array(64);
    this.colIdx = new Int32Array(initialCapacity);
  }

  get rows(): number {
    return this.rowCount;
  }

  get nnz(): number {
    return this.nnzCount;
  }

  /**
   * Appends one row. Indices may come in any order; duplicates are summed and exact zeros
   * dropped (as `sparseVector` in @laserkit/core does). `values` omitted means every value is 1.
   */
  addRow(indices: ArrayLike<number>, values?: ArrayLike<number>): this {
    const n = indices.length;
    if (values !== undefined && values.length !== n) {
      throw invalidArgument('values', values, `must have the same length as indices (length ${n})`);
    }
    for (let k = 0; k < n; k++) {
      const j = indices[k] as number;
      if (!Number.isInteger(j) || j < 0 || j >= this.cols) throw invalidArgument(`indices[${k}]`, j, `must be an integer in [0, ${this.cols - 1}]`);
      if (values !== undefined && !Number.isFinite(values[k] as number)) throw invalidArgument(`values[${k}]`, values[k], 'must be a finite number');
    }
    let sorted = true;
    for (let k = 1; k < n && sorted; k++) if ((indices[k] as number) <= (indices[k - 1] as number)) sorted = false;
    let order: ArrayLike<number> | null = null;
    if (!sorted) {
      const o = Array.from({ length: n }, (_, k) => k);
      o.sort((a, b) => (indices[a] as number) - (indices[b] as number));
      order = o;
    }
    this.ensureCapacity(this.nnzCount + n);
    let m = this.nnzCount;
    const rowStart = m;
    for (let k = 0; k < n; k++) {
      const src = order === null ? k : (order[k] as number);
      const j = indices[src] as number;
      const v = values === undefined ? 1 : (values[src] as number);
      if (v === 0) continue;
      if (m > rowStart && this.colIdx[m - 1] === j) {
        this.setValue(m - 1, this.valueAt(m - 1) + v);
      } else {
        this.colIdx[m] = j;
        this.setValue(m, v);
        m++;
      }
    }
    // Drop sums that cancelled to exactly zero, compacting in place.
    let w = rowStart;
    for (let k = rowStart; k < m; k++) {
      const v = this.valueAt(k);
      if (v === 0) continue;
      this.colIdx[w] = this.colIdx[k] as number;
      if (this.values !== null) this.values[w] = v;
      w++;
    }
    this.nnzCount = w;
    this.rowCount++;
    if (this.rowCount + 1 > this.rowPtr.length) {
      const grown = new Int32Array(Math.min(this.rowPtr.length * 2, MAX_CSR_NNZ));
      grown.set(this.rowPtr);
      this.rowPtr = grown;
    }
    this.rowPtr[this.rowCount] = w;
    return this;
  }

  /** Appends a core SparseVector as one row (its dimension must equal `cols`). */
  addSparseRow(row: SparseVector): this {
    if (row.dimension !== this.cols) throw invalidArgument('row.dimension', row.dimension, `must equal cols (${this.cols})`);
    return this.addRow(row.indices, row.values);
  }

  /** The matrix so far, with arrays trimmed to size. The builder may keep appending. */
  build(): CsrMatrix {
    const nnz = this.nnzCount;
    return new CsrMatrix(
      this.rowCount,
      this.cols,
      this.rowPtr.slice(0, this.rowCount + 1),
      this.colIdx.slice(0, nnz),
      this.values === null ? null : this.values.slice(0, nnz),
    );
  }

  private valueAt(k: number): number {
    return this.values === null ? 1 : (this.values[k] as number);
  }

  private setValue(k: number, v: number): void {
    if (this.values === null) {
      if (v === 1) return;
      // First non-binary value: materialise the ones stored so far.
      this.values = new Float32Array(this.colIdx.length).fill(1);
    }
    this.values[k] = v;
  }

  private ensureCapacity(needed: number): void {
    if (needed > MAX_CSR_NNZ) {
      throw invalidArgument('nnz', needed, `must be < 2^31 (row pointers are Int32)`, 'split the data into several matrices');
    }
    if (needed <= this.colIdx.length) return;
    let capacity = this.colIdx.length;
    while (capacity < needed) capacity = Math.min(capacity * 2, MAX_CSR_NNZ);
    const colIdx = new Int32Array(capacity);
    colIdx.set(this.colIdx);
    this.colIdx = colIdx;
    if (this.values !== null) {
      const values = new Float32Array(capacity);
      values.set(this.values);
      this.values = values;
    }
  }
}

/** A matrix with the given rows (each an index list, optionally with values). */
export function csrFromRows(cols: number, rows: readonly (readonly number[] | { readonly indices: ArrayLike<number>; readonly values?: ArrayLike<number> })[]): CsrMatrix {
  const builder = new CsrMatrixBuilder({ cols });
  for (const row of rows) {
    if (Array.isArray(row)) builder.addRow(row as readonly number[]);
    else {
      const r = row as { readonly indices: ArrayLike<number>; readonly values?: ArrayLike<number> };
      if (r.values === undefined) builder.addRow(r.indices);
      else builder.addRow(r.indices, r.values);
    }
  }
  return builder.build();
}

/**
 * The same matrix with one more column, last, equal to 1 in every row: the intercept column
 * for `GlmObjectiveOptions.interceptColumn` (which is then `x.cols`, the old column count).
 */
export function withInterceptColumn(x: CsrMatrix): CsrMatrix {
  const { rows, cols, rowPtr, colIdx, values } = x;
  if (x.nnz + rows > MAX_CSR_NNZ) throw invalidArgument('nnz', x.nnz + rows, 'must be < 2^31 (row pointers are Int32)');
  const newPtr = new Int32Array(rows + 1);
  const newIdx = new Int32Array(x.nnz + rows);
  const newValues = values === null ? null : new Float32Array(x.nnz + rows);
  let m = 0;
  for (let i = 0; i < rows; i++) {
    for (let k = rowPtr[i] as number; k < (rowPtr[i + 1] as number); k++) {
      newIdx[m] = colIdx[k] as number;
      if (newValues !== null) newValues[m] = (values as Float32Array)[k] as number;
      m++;
    }
    newIdx[m] = cols;
    if (newValues !== null) newValues[m] = 1;
    m++;
    newPtr[i + 1] = m;
  }
  return new CsrMatrix(rows, cols + 1, newPtr, newIdx, newValues);
}

/**
 * Training data for a GLM: design matrix, responses, optional per-row importance weights and
 * optional per-row offsets added to the margin (LASER's warm-start fits use the cold-start score
 * as a fixed offset).
 */
export interface Dataset {
  readonly x: CsrMatrix;
  readonly labels: Float64Array;
  /** Per-row importance weights, >= 0; null means all 1. */
  readonly weights: Float64Array | null;
  /** Per-row margin offsets; null means all 0. */
  readonly offsets: Float64Array | null;
}

export interface DatasetInit {
  readonly x: CsrMatrix;
  readonly labels: Float64Array;
  readonly weights?: Float64Array | null;
  readonly offsets?: Float64Array | null;
}

/** Validates and freezes a Dataset: lengths match rows, labels and offsets finite, weights finite and >= 0. */
export function createDataset(init: DatasetInit): Dataset {
  if (init === null || typeof init !== 'object') throw invalidArgument('dataset', init, 'must be an object');
  const { x, labels } = init;
  const weights = init.weights ?? null;
  const offsets = init.offsets ?? null;
  if (!(x instanceof CsrMatrix)) throw invalidArgument('x', x, 'must be a CsrMatrix');
  const n = x.rows;
  checkRowArray('labels', labels, n);
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(labels[i] as number)) throw invalidArgument(`labels[${i}]`, labels[i], 'must be a finite number');
  }
  if (weights !== null) {
    checkRowArray('weights', weights, n);
    for (let i = 0; i < n; i++) {
      const v = weights[i] as number;
      if (!Number.isFinite(v) || v < 0) throw invalidArgument(`weights[${i}]`, v, 'must be a finite number >= 0');
    }
  }
  if (offsets !== null) {
    checkRowArray('offsets', offsets, n);
    for (let i = 0; i < n; i++) {
      if (!Number.isFinite(offsets[i] as number)) throw invalidArgument(`offsets[${i}]`, offsets[i], 'must be a finite number');
    }
  }
  return Object.freeze({ x, labels, weights, offsets });
}

function checkRowArray(field: string, value: unknown, rows: number): void {
  if (!(value instanceof Float64Array) || value.length !== rows) {
    throw invalidArgument(field, value, `must be a Float64Array with one entry per row (${rows})`);
  }
}
