import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { SeededRng, sparseVector } from '@laserkit/core';
import { CsrMatrix, CsrMatrixBuilder, createDataset, csrFromRows, withInterceptColumn } from '../../src/data/csr-matrix.js';

describe('CsrMatrixBuilder', () => {
  it('stores binary rows without values, sorted, with duplicates merged', () => {
    const m = new CsrMatrixBuilder({ cols: 5 }).addRow([3, 1]).addRow([]).addRow([4, 0, 2]).build();
    expect(m.rows).toBe(3);
    expect(m.cols).toBe(5);
    expect(Array.from(m.rowPtr)).toEqual([0, 2, 2, 5]);
    expect(Array.from(m.colIdx)).toEqual([1, 3, 0, 2, 4]);
    expect(m.values).toBeNull();
    expect(m.nnz).toBe(5);
  });

  it('switches to stored values at the first value other than 1 and keeps earlier ones', () => {
    const m = new CsrMatrixBuilder({ cols: 4, initialCapacity: 1 })
      .addRow([0, 2])
      .addRow([1, 1, 3], [0.5, 0.25, 2])
      .addRow([2], [0])
      .build();
    expect(Array.from(m.rowPtr)).toEqual([0, 2, 4, 4]);
    expect(Array.from(m.colIdx)).toEqual([0, 2, 1, 3]);
    expect(Array.from(m.values!)).toEqual([1, 1, 0.75, 2]);
  });

  it('agrees with core sparseVector on random rows (order, duplicates, zeros), and rowDot with a dense product', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), (seed) => {
        const rng = new SeededRng(seed);
        const cols = 1 + rng.nextInt(30);
        const b = new CsrMatrixBuilder({ cols, initialCapacity: 2 });
        const rows = [];
        for (let i = 0; i < 20; i++) {
          const k = rng.nextInt(8);
          const idx = Array.from({ length: k }, () => rng.nextInt(cols));
          const vals = Array.from({ length: k }, () => (rng.nextFloat() < 0.2 ? 0 : rng.nextInt(5) - 2));
          b.addRow(idx, vals);
          rows.push(sparseVector(cols, idx, vals));
        }
        const m = b.build();
        const w = Float64Array.from({ length: cols }, () => rng.nextNormal());
        rows.forEach((r, i) => {
          const start = m.rowPtr[i]!;
          const end = m.rowPtr[i + 1]!;
          expect(Array.from(m.colIdx.subarray(start, end))).toEqual(Array.from(r.indices));
          const vals = m.values === null ? new Array(end - start).fill(1) : Array.from(m.values.subarray(start, end));
          expect(vals).toEqual(Array.from(r.values));
          let dot = 0;
          for (let k = 0; k < r.indices.length; k++) dot += r.values[k]! * w[r.indices[k]!]!;
          expect(m.rowDot(i, w)).toBeCloseTo(dot, 12);
        });
      }),
    );
  });

  it('rejects bad input naming field, value and constraint', () => {
    const b = new CsrMatrixBuilder({ cols: 3 });
    expect(() => b.addRow([0, 3])).toThrow('indices[1] (3) must be an integer in [0, 2]');
    expect(() => b.addRow([0], [Number.NaN])).toThrow('values[0] (NaN) must be a finite number');
    expect(() => b.addRow([0, 1], [1])).toThrow('must have the same length as indices (length 2)');
    expect(() => new CsrMatrixBuilder({ cols: -1 })).toThrow('cols (-1) must be an integer');
    expect(() => new CsrMatrixBuilder({ cols: 2, initialCapacity: 0 })).toThrow('initialCapacity (0)');
  });
});

describe('CsrMatrix', () => {
  it('validates its arrays', () => {
    const ok = new CsrMatrix(2, 3, Int32Array.of(0, 1, 3), Int32Array.of(2, 0, 1), null);
    expect(ok.nnz).toBe(3);
    expect(() => new CsrMatrix(2, 3, Int32Array.of(0, 1), Int32Array.of(0), null)).toThrow('rowPtr (Int32Array(length 2)) must be an Int32Array of length rows + 1 (3)');
    expect(() => new CsrMatrix(1, 3, Int32Array.of(1, 1), Int32Array.of(0), null)).toThrow('rowPtr[0] (1) must be 0');
    expect(() => new CsrMatrix(2, 3, Int32Array.of(0, 2, 1), Int32Array.of(0), null)).toThrow('rowPtr[2] (1) must be >= rowPtr[1] (2)');
    expect(() => new CsrMatrix(1, 3, Int32Array.of(0, 2), Int32Array.of(0), null)).toThrow('colIdx (Int32Array(length 1)) must be an Int32Array of length rowPtr[rows] (2)');
    expect(() => new CsrMatrix(1, 3, Int32Array.of(0, 2), Int32Array.of(1, 1), null)).toThrow('colIdx[1] (1) must be in [2, 2] (row 0: column indices strictly increasing and < cols)');
    expect(() => new CsrMatrix(1, 3, Int32Array.of(0, 1), Int32Array.of(3), null)).toThrow('colIdx[0] (3)');
    expect(() => new CsrMatrix(1, 3, Int32Array.of(0, 1), Int32Array.of(0), Float32Array.of(Number.POSITIVE_INFINITY))).toThrow('values[0] (Infinity) must be a finite number');
  });

  it('withInterceptColumn appends a column of ones', () => {
    const m = withInterceptColumn(csrFromRows(2, [[1], [], { indices: [0], values: [2] }]));
    expect(m.cols).toBe(3);
    expect(Array.from(m.rowPtr)).toEqual([0, 2, 3, 5]);
    expect(Array.from(m.colIdx)).toEqual([1, 2, 2, 0, 2]);
    expect(Array.from(m.values!)).toEqual([1, 1, 1, 2, 1]);
    expect(withInterceptColumn(csrFromRows(1, [[0], []])).values).toBeNull();
  });
});

describe('createDataset', () => {
  const x = csrFromRows(2, [[0], [1], [0, 1]]);
  it('accepts valid data and defaults weights and offsets to null', () => {
    const ds = createDataset({ x, labels: Float64Array.of(0, 1, 1) });
    expect(ds.weights).toBeNull();
    expect(ds.offsets).toBeNull();
    expect(Object.isFrozen(ds)).toBe(true);
  });
  it('names field[index], value and constraint', () => {
    expect(() => createDataset({ x, labels: Float64Array.of(0, Number.NaN, 1) })).toThrow('labels[1] (NaN) must be a finite number');
    expect(() => createDataset({ x, labels: Float64Array.of(0, 1) })).toThrow('labels (Float64Array(length 2)) must be a Float64Array with one entry per row (3)');
    expect(() => createDataset({ x, labels: Float64Array.of(0, 1, 1), weights: Float64Array.of(1, 1, -0.5) })).toThrow(
      'weights[2] (-0.5) must be a finite number >= 0',
    );
    expect(() => createDataset({ x, labels: Float64Array.of(0, 1, 1), weights: Float64Array.of(Infinity, 1, 1) })).toThrow('weights[0] (Infinity)');
    expect(() => createDataset({ x, labels: Float64Array.of(0, 1, 1), offsets: Float64Array.of(0, -Infinity, 0) })).toThrow(
      'offsets[1] (-Infinity) must be a finite number',
    );
  });
});
