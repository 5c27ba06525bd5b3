import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { axpyDense, dotDense, dotSparse, emptySparseVector, sparseVector, squaredNorm, toDense } from '../src/sparse.js';

const DIM = 40;
const entries = fc.array(fc.tuple(fc.integer({ min: 0, max: DIM - 1 }), fc.integer({ min: -5, max: 5 })), { maxLength: 30 });

function denseOf(pairs: readonly (readonly [number, number])[]): Float64Array {
  const d = new Float64Array(DIM);
  for (const [i, v] of pairs) d[i]! += v;
  return d;
}

describe('sparse vectors', () => {
  it('sums duplicates, drops zeros, sorts indices', () => {
    fc.assert(
      fc.property(entries, (pairs) => {
        const v = sparseVector(DIM, pairs.map((p) => p[0]), pairs.map((p) => p[1]));
        expect(Array.from(toDense(v))).toEqual(Array.from(denseOf(pairs)));
        for (let i = 1; i < v.indices.length; i++) expect(v.indices[i]!).toBeGreaterThan(v.indices[i - 1]!);
        expect(v.values.every((x) => x !== 0)).toBe(true);
      }),
    );
  });

  it('dot products and axpy agree with dense arithmetic', () => {
    fc.assert(
      fc.property(entries, entries, fc.integer({ min: -3, max: 3 }), (pa, pb, alpha) => {
        const a = sparseVector(DIM, pa.map((p) => p[0]), pa.map((p) => p[1]));
        const b = sparseVector(DIM, pb.map((p) => p[0]), pb.map((p) => p[1]));
        const da = denseOf(pa);
        const db = denseOf(pb);
        const dense = da.reduce((s, x, i) => s + x * db[i]!, 0);
        expect(dotSparse(a, b)).toBe(dense);
        expect(dotDense(a, db)).toBe(dense);
        expect(squaredNorm(a)).toBe(da.reduce((s, x) => s + x * x, 0));
        const y = Float64Array.from(db);
        axpyDense(alpha, a, y);
        expect(Array.from(y)).toEqual(Array.from(db, (x, i) => x + alpha * da[i]!));
      }),
    );
  });

  it('binary features default to value 1', () => {
    const v = sparseVector(10, [3, 1, 3]);
    expect(Array.from(v.indices)).toEqual([1, 3]);
    expect(Array.from(v.values)).toEqual([1, 2]);
    expect(emptySparseVector(5).indices.length).toBe(0);
  });

  it('names the bad field, value and constraint', () => {
    expect(() => sparseVector(10, [1, 10])).toThrow('indices[1] (10) must be an integer in [0, 9]');
    expect(() => sparseVector(10, [1], [Number.NaN])).toThrow('values[0] (NaN) must be a finite number');
    expect(() => sparseVector(10, [1, 2], [1])).toThrow('values (array(length 1)) must have the same length as indices (length 2)');
    expect(() => sparseVector(-1, [])).toThrow('dimension (-1)');
    expect(() => dotSparse(sparseVector(3, []), sparseVector(4, []))).toThrow('b.dimension (4) must equal a.dimension (3)');
  });
});
