import { invalidArgument } from './errors.js';

/**
 * A sparse vector on typed arrays: `indices` strictly increasing in [0, dimension), `values`
 * parallel to it. Built only through the functions here, which sort, merge duplicates and
 * validate, so every consumer may rely on those invariants in its hot loop.
 */
export interface SparseVector {
  readonly dimension: number;
  readonly indices: Int32Array;
  readonly values: Float64Array;
}

const EMPTY_INDICES = new Int32Array(0);
const EMPTY_VALUES = new Float64Array(0);

export function emptySparseVector(dimension: number): SparseVector {
  checkDimension(dimension);
  return { dimension, indices: EMPTY_INDICES, values: EMPTY_VALUES };
}

/**
 * Builds a vector from (index, value) lists in any order; duplicate indices are summed and exact
 * zeros dropped. Throws on an index outside [0, dimension) or a non-finite value.
 * `values` may be omitted for binary features (every value 1).
 */
export function sparseVector(dimension: number, indices: ArrayLike<number>, values?: ArrayLike<number>): SparseVector {
  checkDimension(dimension);
  const n = indices.length;
  if (values !== undefined && values.length !== n) {
    throw invalidArgument('values', values, `must have the same length as indices (length ${n})`);
  }
  for (let i = 0; i < n; i++) {
    const ix = indices[i] as number;
    if (!Number.isInteger(ix) || ix < 0 || ix >= dimension) {
      throw invalidArgument(`indices[${i}]`, ix, `must be an integer in [0, ${dimension - 1}]`);
    }
    if (values !== undefined && !Number.isFinite(values[i] as number)) {
      throw invalidArgument(`values[${i}]`, values[i], 'must be a finite number');
    }
  }
  let sorted = true;
  for (let i = 1; i < n; i++) {
    if ((indices[i] as number) <= (indices[i - 1] as number)) {
      sorted = false;
      break;
    }
  }
  if (sorted) {
    const outI = Int32Array.from(indices as ArrayLike<number>);
    const outV = values === undefined ? new Float64Array(n).fill(1) : Float64Array.from(values as ArrayLike<number>);
    return dropZeros(dimension, outI, outV);
  }
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((a, b) => (indices[a] as number) - (indices[b] as number));
  const outI = new Int32Array(n);
  const outV = new Float64Array(n);
  let m = -1;
  for (let k = 0; k < n; k++) {
    const src = order[k] as number;
    const ix = indices[src] as number;
    const v = values === undefined ? 1 : (values[src] as number);
    if (m >= 0 && outI[m] === ix) {
      outV[m] = (outV[m] as number) + v;
    } else {
      m++;
      outI[m] = ix;
      outV[m] = v;
    }
  }
  return dropZeros(dimension, outI.subarray(0, m + 1), outV.subarray(0, m + 1));
}

function dropZeros(dimension: number, indices: Int32Array, values: Float64Array): SparseVector {
  let zeros = 0;
  for (let i = 0; i < values.length; i++) if (values[i] === 0) zeros++;
  if (zeros === 0) return { dimension, indices, values };
  const outI = new Int32Array(values.length - zeros);
  const outV = new Float64Array(values.length - zeros);
  let m = 0;
  for (let i = 0; i < values.length; i++) {
    if (values[i] !== 0) {
      outI[m] = indices[i] as number;
      outV[m] = values[i] as number;
      m++;
    }
  }
  return { dimension, indices: outI, values: outV };
}

function checkDimension(dimension: number): void {
  if (!Number.isInteger(dimension) || dimension < 0 || dimension > 0x7fffffff) {
    throw invalidArgument('dimension', dimension, 'must be an integer in [0, 2147483647]');
  }
}

/** Number of stored (non-zero) entries. */
export function nnz(v: SparseVector): number {
  return v.indices.length;
}

/** v · w for a dense w of at least v.dimension entries. */
export function dotDense(v: SparseVector, w: ArrayLike<number>): number {
  const { indices, values } = v;
  let s = 0;
  for (let i = 0; i < indices.length; i++) s += (values[i] as number) * (w[indices[i] as number] as number);
  return s;
}

/** a · b by merging the two sorted index lists. */
export function dotSparse(a: SparseVector, b: SparseVector): number {
  if (a.dimension !== b.dimension) throw invalidArgument('b.dimension', b.dimension, `must equal a.dimension (${a.dimension})`);
  let i = 0;
  let j = 0;
  let s = 0;
  const ai = a.indices;
  const bi = b.indices;
  while (i < ai.length && j < bi.length) {
    const x = ai[i] as number;
    const y = bi[j] as number;
    if (x === y) {
      s += (a.values[i] as number) * (b.values[j] as number);
      i++;
      j++;
    } else if (x < y) i++;
    else j++;
  }
  return s;
}

/** y += alpha * v, in place on a dense y. */
export function axpyDense(alpha: number, v: SparseVector, y: Float64Array): void {
  const { indices, values } = v;
  for (let i = 0; i < indices.length; i++) {
    const ix = indices[i] as number;
    y[ix] = (y[ix] as number) + alpha * (values[i] as number);
  }
}

/** The dense form, for tests and small vectors. */
export function toDense(v: SparseVector): Float64Array {
  const out = new Float64Array(v.dimension);
  for (let i = 0; i < v.indices.length; i++) out[v.indices[i] as number] = v.values[i] as number;
  return out;
}

/** Squared Euclidean norm. */
export function squaredNorm(v: SparseVector): number {
  let s = 0;
  for (let i = 0; i < v.values.length; i++) s += (v.values[i] as number) ** 2;
  return s;
}
