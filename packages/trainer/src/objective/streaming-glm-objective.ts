import { closeSync } from 'node:fs';
import { LaserError, checkKnownKeys, invalidArgument } from '@laserkit/core';
import { CsrMatrix, createDataset } from '../data/csr-matrix.js';
import { SVMLIGHT_READ_BYTES, SvmlightParser, SvmlightRows, openSyncForReading, pumpSync, type SkipCount } from '../data/svmlight.js';
import { createLossPoint, isTwiceDifferentiable, type DifferentiableLoss, type LossPoint, type TwiceDifferentiableLoss } from '../loss/pointwise-loss.js';
import { lossGradientRange, lossRange, priorTerm, resolveGlmObjective, rowMargin, type GlmRowData } from './glm-objective.js';
import type { DifferentiableObjective, TwiceDifferentiableObjective } from './objective.js';

export interface StreamingGlmObjectiveOptions {
  /** Gaussian prior precision per coefficient, as in GlmObjectiveOptions (0 at the intercept). @default 0 */
  readonly priorPrecision?: number | Float64Array;
  /** Gaussian prior mean per coefficient, or null for 0. @default null */
  readonly priorMean?: Float64Array | null;
  /**
   * Add an intercept: one more coefficient, last (index `featureDimension`), whose column is 1 in
   * every row and which is never penalised.
   * @default false
   */
  readonly intercept?: boolean;
  /**
   * Feature columns: svmlight index j is column j − 1, and an index above this fails the row.
   * null: the largest index in the file (found by the first pass).
   * @default null
   */
  readonly featureDimension?: number | null;
  /** Rows held in memory at a time: each pass parses this many rows, evaluates them, and reuses the memory. @default 65536 */
  readonly chunkRows?: number;
  /** Bytes read from the file at a time. @default 4 MiB */
  readonly readBytes?: number;
  /** Skip bad rows (the same ones on every pass) instead of failing; `skipped` reports them. @default false */
  readonly skipInvalid?: boolean;
}

export const DEFAULT_STREAMING_GLM_OBJECTIVE_OPTIONS: Readonly<Required<StreamingGlmObjectiveOptions>> = Object.freeze({
  priorPrecision: 0,
  priorMean: null,
  intercept: false,
  featureDimension: null,
  chunkRows: 65_536,
  readBytes: SVMLIGHT_READ_BYTES,
  skipInvalid: false,
});

const KNOWN_OPTIONS = Object.keys(DEFAULT_STREAMING_GLM_OBJECTIVE_OPTIONS);

/** What the passes over the file have held in memory: for checking that memory stays bounded. */
export interface StreamingPassStats {
  /** Passes over the file so far, including the first (validating) one. */
  readonly passes: number;
  /** Chunks evaluated by the last pass. */
  readonly chunksLastPass: number;
  /** Most rows held at once by any pass (at most `chunkRows`). */
  readonly maxRowsResident: number;
  /** Most non-zeros held at once by any pass. */
  readonly maxNonZerosResident: number;
  /** Rows the chunk's label array can hold now (its allocated capacity: stays near `chunkRows`, whatever the file's size). */
  readonly rowCapacity: number;
}

interface StreamingState {
  readonly path: string;
  readonly loss: DifferentiableLoss;
  readonly featureDimension: number;
  readonly dimension: number;
  readonly interceptIndex: number | null;
  readonly priorPrecision: Float64Array;
  readonly priorMean: Float64Array | null;
  readonly rowCount: number;
  readonly skipped: SkipCount;
  readonly chunkRows: number;
  readonly readBytes: number;
  readonly skipInvalid: boolean;
  readonly bytes: number;
  readonly modifiedMs: number;
}

/**
 * The Bayesian GLM objective of GlmObjective (same loss, same prior, same values) over an
 * svmlight file that is not held in memory: every call passes over the file in chunks of
 * `chunkRows` rows, parsing each chunk into the same reusable typed arrays and running the same
 * row kernels on it. Memory is O(dimension + chunk), whatever the file's size: "data larger than
 * memory can be passed over". Each call costs a read and parse of the whole file, so an in-memory
 * objective is much faster whenever the data fits.
 *
 * The gradient is accumulated row by row in file order, as GlmObjective does, so it is the same
 * to the last bit; the loss is summed per chunk and then across chunks, so it differs from the
 * in-memory sum by rounding only. Labels -1 read as 0 (svmlight's ±1), as readTrainingSet does.
 * No weights or offsets (svmlight carries none).
 *
 * `open` makes a first pass that validates every row (labels valid for the loss, indices,
 * finite values; bad rows fail with file, line and field, or are skipped with `skipInvalid`) and
 * counts rows and columns. Each later pass checks that the file is unchanged (size, modification
 * time, row count), failing with INVALID_DATA otherwise. No file stays open between calls.
 */
export class StreamingGlmObjective<L extends DifferentiableLoss = DifferentiableLoss> implements DifferentiableObjective {
  readonly path: string;
  readonly loss: L;
  /** Number of coefficients: feature columns plus the intercept. */
  readonly dimension: number;
  /** Feature columns read from the file. */
  readonly featureDimension: number;
  readonly interceptIndex: number | null;
  readonly priorPrecision: Float64Array;
  readonly priorMean: Float64Array | null;
  /** Valid rows in the file. */
  readonly rowCount: number;
  /** Rows skipped as invalid (with `skipInvalid`), the first few with their reason. */
  readonly skipped: { readonly count: number; readonly examples: readonly string[] };
  readonly chunkRows: number;
  protected readonly point: LossPoint = createLossPoint();
  private readonly readBytes: number;
  private readonly skipInvalid: boolean;
  private readonly bytes: number;
  private readonly modifiedMs: number;
  private readonly chunk: SvmlightRows;
  private passCount = 1;
  private chunksLastPass = 0;
  private maxRowsResident = 0;
  private maxNonZerosResident = 0;

  protected constructor(state: StreamingState) {
    this.path = state.path;
    this.loss = state.loss as L;
    this.featureDimension = state.featureDimension;
    this.dimension = state.dimension;
    this.interceptIndex = state.interceptIndex;
    this.priorPrecision = state.priorPrecision;
    this.priorMean = state.priorMean;
    this.rowCount = state.rowCount;
    this.skipped = { count: state.skipped.count, examples: [...state.skipped.examples] };
    this.chunkRows = state.chunkRows;
    this.readBytes = state.readBytes;
    this.skipInvalid = state.skipInvalid;
    this.bytes = state.bytes;
    this.modifiedMs = state.modifiedMs;
    // A chunk holds chunkRows rows; a row's entries are bounded by the read buffer's line length.
    this.chunk = new SvmlightRows(state.chunkRows, Math.max(state.chunkRows * 64, 1 << 16));
  }

  get stats(): StreamingPassStats {
    return {
      passes: this.passCount,
      chunksLastPass: this.chunksLastPass,
      maxRowsResident: this.maxRowsResident,
      maxNonZerosResident: this.maxNonZerosResident,
      rowCapacity: this.chunk.labels.capacity,
    };
  }

  /**
   * Validates the file in a first pass and returns the objective. Throws INVALID_ARGUMENT for a
   * bad option, INVALID_DATA for a bad row (without `skipInvalid`) and NOT_FOUND for an unreadable file.
   */
  static open(path: string, loss: TwiceDifferentiableLoss, options?: StreamingGlmObjectiveOptions): TwiceDifferentiableStreamingGlmObjective;
  static open(path: string, loss: DifferentiableLoss, options?: StreamingGlmObjectiveOptions): StreamingGlmObjective;
  static open(path: string, loss: DifferentiableLoss, options: StreamingGlmObjectiveOptions = {}): StreamingGlmObjective {
    const state = firstPass(path, loss, options);
    return isTwiceDifferentiable(loss) ? new TwiceDifferentiableStreamingGlmObjective(state) : new StreamingGlmObjective(state);
  }

  value(w: Float64Array): number {
    this.checkVector('w', w);
    let f = 0;
    this.pass((rows, n) => {
      f += lossRange(rows, this.loss, w, 0, n, this.point);
    });
    return f + priorTerm(this.priorPrecision, this.priorMean, w, null);
  }

  valueAndGradient(w: Float64Array, gradientOut: Float64Array): number {
    this.checkVector('w', w);
    this.checkVector('gradientOut', gradientOut);
    gradientOut.fill(0);
    let f = 0;
    this.beforeGradient();
    this.pass((rows, n) => {
      f += lossGradientRange(rows, this.loss, w, 0, n, gradientOut, null, this.point);
    });
    this.afterGradient(w);
    return f + priorTerm(this.priorPrecision, this.priorMean, w, gradientOut);
  }

  /**
   * One pass: the mean over rows of the linear predictor x·w without the intercept, and the mean
   * label (for an artifact's term means and a calibration check).
   */
  means(w: Float64Array): { readonly linearPredictor: number; readonly label: number; readonly rows: number } {
    this.checkVector('w', w);
    let sum = 0;
    let labels = 0;
    let count = 0;
    // The intercept column is 1 in every row: its share of each margin is w[intercept].
    const intercept = this.interceptIndex === null ? 0 : (w[this.interceptIndex] as number);
    this.pass((rows, n) => {
      for (let i = 0; i < n; i++) {
        sum += rowMargin(rows, w, i) - (rows.offsets === null ? 0 : (rows.offsets[i] as number)) - intercept;
        labels += rows.labels[i] as number;
      }
      count += n;
    });
    return { linearPredictor: count > 0 ? sum / count : 0, label: count > 0 ? labels / count : 0, rows: count };
  }

  /** Hook for the twice-differentiable subclass: forget the curvature point before a pass that may fail. */
  protected beforeGradient(): void {}

  /** Hook for the twice-differentiable subclass: remember the point. */
  protected afterGradient(_w: Float64Array): void {}

  /** One pass over the file: `visit` gets each chunk's rows [0, n). */
  protected pass(visit: (rows: GlmRowData, n: number) => void): void {
    const { fd, bytes, modifiedMs } = openSyncForReading(this.path);
    const chunk = this.chunk;
    chunk.reset();
    let chunks = 0;
    let seen = 0;
    const parser = new SvmlightParser(chunk, {
      file: this.path,
      namespace: 'user',
      dimension: this.featureDimension,
      skipInvalid: this.skipInvalid,
      entities: false,
      labelRule: { isValid: (y) => this.loss.isValidLabel(y), constraint: this.loss.labelConstraint },
      appendColumn: this.interceptIndex,
      maxRows: Number.POSITIVE_INFINITY,
      chunkRows: this.chunkRows,
      onChunk: (r) => {
        const n = r.rows;
        if (n > this.maxRowsResident) this.maxRowsResident = n;
        if (r.nnz > this.maxNonZerosResident) this.maxNonZerosResident = r.nnz;
        visit(chunkRows(r), n);
        chunks++;
        seen += n;
      },
    });
    try {
      if (bytes !== this.bytes || modifiedMs !== this.modifiedMs) throw this.changed(`its size or modification time changed (${this.bytes} → ${bytes} bytes)`);
      pumpSync(fd, parser, this.readBytes);
    } finally {
      closeSync(fd);
    }
    this.passCount++;
    this.chunksLastPass = chunks;
    if (seen !== this.rowCount) throw this.changed(`it now has ${seen} valid rows instead of ${this.rowCount}`);
  }

  protected checkVector(field: string, v: unknown): void {
    if (!(v instanceof Float64Array) || v.length !== this.dimension) {
      throw invalidArgument(field, v, `must be a Float64Array of length dimension (${this.dimension})`);
    }
  }

  private changed(why: string): LaserError {
    return new LaserError('INVALID_DATA', `${this.path} changed since the objective was opened: ${why}; open it again`, { details: { file: this.path } });
  }
}

/**
 * A StreamingGlmObjective over a twice-differentiable loss, for TRON. D_i = weight_i ℓ''(z_i) is
 * not stored per row (that would be O(rows) memory): the point of the last `valueAndGradient` is
 * kept instead, and each Hessian-vector product recomputes z_i = x_i·w and D_i while it passes over
 * the file, so Hv costs about as much as a gradient. The result equals GlmObjective's H v.
 */
export class TwiceDifferentiableStreamingGlmObjective extends StreamingGlmObjective<TwiceDifferentiableLoss> implements TwiceDifferentiableObjective {
  private readonly at: Float64Array = new Float64Array(this.dimension);
  private hasPoint = false;

  hessianVector(v: Float64Array, out: Float64Array): void {
    this.checkVector('v', v);
    this.checkVector('out', out);
    this.requirePoint('hessianVector');
    out.fill(0);
    this.pass((rows, n) => hessianVectorAtRange(rows, this.loss, this.at, v, n, out, this.point));
    const p = this.priorPrecision;
    for (let j = 0; j < this.dimension; j++) out[j]! += (p[j] as number) * (v[j] as number);
  }

  hessianDiagonal(out: Float64Array): void {
    this.checkVector('out', out);
    this.requirePoint('hessianDiagonal');
    out.fill(0);
    this.pass((rows, n) => hessianDiagonalAtRange(rows, this.loss, this.at, n, out, this.point));
    const p = this.priorPrecision;
    for (let j = 0; j < this.dimension; j++) out[j]! += p[j] as number;
  }

  protected override beforeGradient(): void {
    this.hasPoint = false;
  }

  protected override afterGradient(w: Float64Array): void {
    this.at.set(w);
    this.hasPoint = true;
  }

  private requirePoint(method: string): void {
    if (!this.hasPoint) throw new LaserError('INVALID_ARGUMENT', `${method}() needs the curvature at a point: call valueAndGradient(w, gradientOut) first`);
  }
}

/**
 * Accumulates Σ_i D_i (x_i·v) x_i over rows [0, n) into `out`, with D_i = ℓ''(x_i·w, y_i) computed
 * here from the point w (hessianVectorRange with the curvature recomputed instead of cached).
 */
export function hessianVectorAtRange(rows: GlmRowData, loss: TwiceDifferentiableLoss, w: Float64Array, v: Float64Array, n: number, out: Float64Array, point: LossPoint): void {
  const { rowPtr, colIdx, values, labels, weights, offsets } = rows;
  for (let i = 0; i < n; i++) {
    const c = weights === null ? 1 : (weights[i] as number);
    if (c === 0) continue;
    const a = rowPtr[i] as number;
    const b = rowPtr[i + 1] as number;
    let z = offsets === null ? 0 : (offsets[i] as number);
    let t = 0;
    if (values === null) {
      for (let k = a; k < b; k++) {
        const j = colIdx[k] as number;
        z += w[j] as number;
        t += v[j] as number;
      }
    } else {
      for (let k = a; k < b; k++) {
        const j = colIdx[k] as number;
        const x = values[k] as number;
        z += x * (w[j] as number);
        t += x * (v[j] as number);
      }
    }
    loss.evaluate(z, labels[i] as number, point);
    const d = c * point.secondDerivative;
    if (d === 0) continue;
    t *= d;
    if (t === 0) continue;
    if (values === null) for (let k = a; k < b; k++) out[colIdx[k] as number]! += t;
    else for (let k = a; k < b; k++) out[colIdx[k] as number]! += t * (values[k] as number);
  }
}

/** Accumulates diag(Σ_i D_i x_i x_iᵀ) over rows [0, n) into `out`, D_i from the point w. */
export function hessianDiagonalAtRange(rows: GlmRowData, loss: TwiceDifferentiableLoss, w: Float64Array, n: number, out: Float64Array, point: LossPoint): void {
  const { rowPtr, colIdx, values, labels, weights } = rows;
  for (let i = 0; i < n; i++) {
    const c = weights === null ? 1 : (weights[i] as number);
    if (c === 0) continue;
    const a = rowPtr[i] as number;
    const b = rowPtr[i + 1] as number;
    loss.evaluate(rowMargin(rows, w, i), labels[i] as number, point);
    const d = c * point.secondDerivative;
    if (d === 0) continue;
    if (values === null) for (let k = a; k < b; k++) out[colIdx[k] as number]! += d;
    else {
      for (let k = a; k < b; k++) {
        const x = values[k] as number;
        out[colIdx[k] as number]! += d * x * x;
      }
    }
  }
}

/** A chunk's arrays as GlmRowData (the kernels read rows [0, n) only, so capacity beyond n is harmless). */
function chunkRows(r: SvmlightRows): GlmRowData {
  return { rowPtr: r.rowPtr.data, colIdx: r.colIdx.data, values: r.values === null ? null : r.values.data, labels: r.labels.data, weights: null, offsets: null };
}

function firstPass(path: string, loss: DifferentiableLoss, options: StreamingGlmObjectiveOptions): StreamingState {
  if (options === null || typeof options !== 'object') throw invalidArgument('options', options, 'must be an object');
  checkKnownKeys('options', options, KNOWN_OPTIONS);
  if (typeof path !== 'string' || path.length === 0) throw invalidArgument('path', path, 'must be a non-empty file path');
  if (loss === null || typeof loss !== 'object' || typeof loss.evaluate !== 'function') throw invalidArgument('loss', loss, 'must be a DifferentiableLoss');
  const d = DEFAULT_STREAMING_GLM_OBJECTIVE_OPTIONS;
  const intercept = options.intercept ?? d.intercept;
  const featureOption = options.featureDimension ?? d.featureDimension;
  const chunkRowsOption = options.chunkRows ?? d.chunkRows;
  const readBytes = options.readBytes ?? d.readBytes;
  const skipInvalid = options.skipInvalid ?? d.skipInvalid;
  if (typeof intercept !== 'boolean') throw invalidArgument('intercept', intercept, 'must be a boolean');
  if (typeof skipInvalid !== 'boolean') throw invalidArgument('skipInvalid', skipInvalid, 'must be a boolean');
  if (featureOption !== null && (!Number.isInteger(featureOption) || featureOption < 0 || featureOption > 0x7ffffffe)) {
    throw invalidArgument('featureDimension', featureOption, 'must be null or an integer in [0, 2^31 − 2]');
  }
  if (!Number.isInteger(chunkRowsOption) || chunkRowsOption < 1 || chunkRowsOption > 2 ** 26) throw invalidArgument('chunkRows', chunkRowsOption, 'must be an integer in [1, 2^26]');
  if (!Number.isInteger(readBytes) || readBytes < 64 || readBytes > 2 ** 30) throw invalidArgument('readBytes', readBytes, 'must be an integer in [64, 2^30]', 'the default is 4 MiB');

  // The first pass: validate, count rows, find the columns. Nothing is kept but counts.
  const { fd, bytes, modifiedMs } = openSyncForReading(path);
  const chunk = new SvmlightRows(chunkRowsOption, Math.max(chunkRowsOption * 64, 1 << 16));
  let rowCount = 0;
  let maxIndex = -1;
  const parser = new SvmlightParser(chunk, {
    file: path,
    namespace: 'user',
    dimension: featureOption,
    skipInvalid,
    entities: false,
    labelRule: { isValid: (y) => loss.isValidLabel(y), constraint: loss.labelConstraint },
    appendColumn: null,
    maxRows: Number.POSITIVE_INFINITY,
    chunkRows: chunkRowsOption,
    onChunk: (r) => {
      rowCount += r.rows;
      if (r.maxIndex > maxIndex) maxIndex = r.maxIndex;
    },
  });
  try {
    pumpSync(fd, parser, readBytes);
  } finally {
    closeSync(fd);
  }
  const featureDimension = featureOption ?? maxIndex + 1;
  const dimension = featureDimension + (intercept ? 1 : 0);
  const interceptIndex = intercept ? featureDimension : null;
  // The prior is resolved and validated exactly as for the in-memory objective (on an empty design
  // of the same width, whose intercept column trivially holds).
  const empty = createDataset({ x: new CsrMatrix(0, dimension, new Int32Array(1), new Int32Array(0), null), labels: new Float64Array(0) });
  const resolved = resolveGlmObjective(empty, loss, {
    ...(options.priorPrecision === undefined ? {} : { priorPrecision: options.priorPrecision }),
    ...(options.priorMean === undefined ? {} : { priorMean: options.priorMean }),
    interceptColumn: interceptIndex,
  });
  return {
    path,
    loss,
    featureDimension,
    dimension,
    interceptIndex,
    priorPrecision: resolved.priorPrecision,
    priorMean: resolved.priorMean,
    rowCount,
    skipped: parser.skipped,
    chunkRows: chunkRowsOption,
    readBytes,
    skipInvalid,
    bytes,
    modifiedMs,
  };
}
