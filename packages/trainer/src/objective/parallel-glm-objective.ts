import { access } from 'node:fs/promises';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { LaserError, checkKnownKeys, invalidArgument } from '@laserkit/core';
import type { Dataset } from '../data/csr-matrix.js';
import { createLossPoint, isTwiceDifferentiable, type LossPoint, type TwiceDifferentiableLoss } from '../loss/pointwise-loss.js';
import {
  DEFAULT_GLM_OBJECTIVE_OPTIONS,
  hessianDiagonalRange,
  hessianVectorRange,
  lossGradientRange,
  lossRange,
  priorTerm,
  resolveGlmObjective,
  type GlmObjectiveOptions,
  type GlmRowData,
} from './glm-objective.js';
import {
  CONTROL_ERROR_BYTES,
  CONTROL_FAILURES,
  CONTROL_GENERATION,
  CONTROL_OP,
  CONTROL_PENDING,
  CONTROL_SLOTS,
  ERROR_TEXT_BYTES,
  OP_EXIT,
  OP_HESSIAN_DIAGONAL,
  OP_HESSIAN_VECTOR,
  OP_LOSS,
  OP_LOSS_GRADIENT,
  WORKER_LOSSES,
  type GlmWorkerData,
} from './glm-worker-protocol.js';
import type { TwiceDifferentiableObjective } from './objective.js';

export interface ParallelGlmObjectiveOptions extends GlmObjectiveOptions {
  /**
   * Worker threads that evaluate rows. 0 evaluates everything in the calling thread (then the
   * objective is TwiceDifferentiableGlmObjective with an async lifecycle). null means
   * `os.availableParallelism()` minus one when `callerShare` is on (the calling thread is the
   * remaining core), else `os.availableParallelism()`.
   * @default null
   */
  readonly threads?: number | null;
  /**
   * Whether the calling thread evaluates a share of the rows while the workers evaluate theirs,
   * instead of sleeping until they are done. Measured on a quiet 2-core machine with 8M non-zeros
   * (benchmarks/train.mjs): one worker plus the caller took 22 ms per Hessian-vector product and
   * 26 ms per value and gradient, two workers with the caller asleep 22-23 ms and 27 ms, one
   * thread 34-39 ms and 39-43 ms. The caller's share also saves a thread and a wake-up per call.
   * @default true
   */
  readonly callerShare?: boolean;
  /**
   * The compiled worker entry (`glm-worker.js`); null finds it: next to this module when it runs
   * compiled, and in the package's dist/ when it runs from TypeScript sources (tests). When there
   * is none, rows are evaluated in the calling thread and `threads` is 0 (see `fallbackReason`).
   * @default null
   */
  readonly workerUrl?: URL | null;
}

export const DEFAULT_PARALLEL_GLM_OBJECTIVE_OPTIONS: Readonly<Required<ParallelGlmObjectiveOptions>> = Object.freeze({
  ...DEFAULT_GLM_OBJECTIVE_OPTIONS,
  threads: null,
  callerShare: true,
  workerUrl: null,
});

const KNOWN_OPTIONS = Object.keys(DEFAULT_PARALLEL_GLM_OBJECTIVE_OPTIONS);

/**
 * Per-row work next to per-non-zero work (one loss evaluation with exp and log1p costs about
 * as much as a few gathered entries): row ranges are balanced on non-zeros + ROW_COST·rows.
 */
const ROW_COST = 8;

interface SharedRows extends GlmRowData {
  readonly rowCount: number;
}

interface WorkerHandle {
  readonly worker: Worker;
  readonly exited: Promise<void>;
  readonly partial: Float64Array;
  /** Set when the worker died outside a command (seen between calls, on the event loop). */
  failure: Error | null;
}

interface ParallelState {
  readonly loss: TwiceDifferentiableLoss;
  readonly rows: SharedRows;
  readonly dimension: number;
  readonly interceptIndex: number | null;
  readonly priorPrecision: Float64Array;
  readonly priorMean: Float64Array | null;
  readonly curvature: Float64Array;
  readonly input: Float64Array;
  readonly results: Float64Array;
  readonly control: Int32Array;
  readonly errorText: Uint8Array;
  readonly workers: readonly WorkerHandle[];
  readonly callerShare: boolean;
  readonly callerRange: readonly [number, number];
  readonly ranges: readonly (readonly [number, number])[];
  readonly fallbackReason: string | null;
}

/**
 * The Bayesian GLM objective of TwiceDifferentiableGlmObjective (same options, same loss, same
 * values up to rounding), with its row loops split across worker_threads: data parallelism over
 * rows, the way liblinear's multi-core variant and Photon ML's executors split Σ_i.
 *
 * - The rows (rowPtr, colIdx, values, labels, weights, offsets) and the curvature D live on
 *   SharedArrayBuffers; arrays already on one are used as they are (readTrainingSet's svmlight
 *   arrays are, so the workers read the data as read, with no copy), others are copied once in
 *   `create` (the objective keeps no reference to `dataset`, so its own arrays can be collected).
 * - Each call writes w (or v) into a shared vector, wakes the workers through Atomics.notify on a
 *   shared control block, evaluates the caller's own share of rows (`callerShare`), and sleeps in
 *   Atomics.wait until the last worker is done. Each worker writes its own partial gradient / Hv /
 *   diagonal and loss sum; the calling thread adds them in worker order, so results are
 *   deterministic for a given thread count, and differ from the single-threaded sums by rounding.
 *   The calls stay synchronous, so every solver runs on it unchanged.
 * - Workers run only the built-in losses (logistic, squared, Poisson): functions cannot cross
 *   threads, so a worker finds its loss by name.
 *
 * Lifecycle: `await ParallelGlmObjective.create(...)` spawns the workers and waits until they are
 * ready; `close()` (idempotent, also `await using`) stops them. Workers are unref'd: an objective
 * that is never closed does not keep the process alive.
 *
 * Where the worker code comes from: the compiled `glm-worker.js` next to this module. When this
 * module runs from its TypeScript source (vitest, through the "source" export condition), it
 * uses the package's `dist/objective/glm-worker.js` if `tsc -b` has built it (CI builds before
 * testing); it then runs the compiled kernels, so rebuild after changing them. With no compiled
 * worker the objective evaluates every row in the calling thread: `threads` is 0 and
 * `fallbackReason` says why.
 */
export class ParallelGlmObjective implements TwiceDifferentiableObjective {
  readonly loss: TwiceDifferentiableLoss;
  readonly dimension: number;
  readonly interceptIndex: number | null;
  /** Precision per coefficient (0 at the intercept). */
  readonly priorPrecision: Float64Array;
  /** Prior mean per coefficient, or null for 0. */
  readonly priorMean: Float64Array | null;
  /** Number of rows. */
  readonly rowCount: number;
  /** Worker threads evaluating rows; 0 when every row is evaluated in the calling thread. */
  readonly threads: number;
  /** Whether the calling thread evaluates a share of the rows. */
  readonly callerShare: boolean;
  /** Row ranges [start, end) of the workers, in order, then the caller's (when it has one). */
  readonly ranges: readonly (readonly [number, number])[];
  /** Why there are no workers although some were asked for (no compiled worker found), or null. */
  readonly fallbackReason: string | null;

  private readonly rows: SharedRows;
  private readonly curvature: Float64Array;
  private readonly input: Float64Array;
  private readonly results: Float64Array;
  private readonly control: Int32Array;
  private readonly errorText: Uint8Array;
  private readonly workers: readonly WorkerHandle[];
  private readonly callerRange: readonly [number, number];
  private readonly point: LossPoint = createLossPoint();
  private hasCurvature = false;
  private closing: Promise<void> | null = null;

  private constructor(state: ParallelState) {
    this.loss = state.loss;
    this.rows = state.rows;
    this.rowCount = state.rows.rowCount;
    this.dimension = state.dimension;
    this.interceptIndex = state.interceptIndex;
    this.priorPrecision = state.priorPrecision;
    this.priorMean = state.priorMean;
    this.curvature = state.curvature;
    this.input = state.input;
    this.results = state.results;
    this.control = state.control;
    this.errorText = state.errorText;
    this.workers = state.workers;
    this.callerRange = state.callerRange;
    this.ranges = state.ranges;
    this.threads = state.workers.length;
    this.callerShare = state.callerShare;
    this.fallbackReason = state.fallbackReason;
  }

  /**
   * Validates the problem as TwiceDifferentiableGlmObjective does, moves the rows to shared
   * memory, and starts the workers. Rejects with INVALID_ARGUMENT for a bad problem or option,
   * and with INTERNAL when a worker fails to start.
   */
  static async create(dataset: Dataset, loss: TwiceDifferentiableLoss, options: ParallelGlmObjectiveOptions = {}): Promise<ParallelGlmObjective> {
    if (options === null || typeof options !== 'object') throw invalidArgument('options', options, 'must be an object');
    checkKnownKeys('options', options, KNOWN_OPTIONS);
    const { threads: threadsOption = null, callerShare = true, workerUrl = null, ...glmOptions } = options;
    if (typeof callerShare !== 'boolean') throw invalidArgument('callerShare', callerShare, 'must be a boolean');
    if (threadsOption !== null && (typeof threadsOption !== 'number' || !Number.isInteger(threadsOption) || threadsOption < 0 || threadsOption > 256)) {
      throw invalidArgument('threads', threadsOption, 'must be null or an integer in [0, 256]', 'use 0 to evaluate in the calling thread');
    }
    if (workerUrl !== null && !(workerUrl instanceof URL)) throw invalidArgument('workerUrl', workerUrl, 'must be null or a file URL');
    if (!isTwiceDifferentiable(loss)) throw invalidArgument('loss', (loss as { name?: unknown } | null)?.name, 'must be a twice-differentiable loss');
    const resolved = resolveGlmObjective(dataset, loss, glmOptions);
    const cores = os.availableParallelism();
    let threads = threadsOption ?? Math.max(callerShare ? cores - 1 : cores, callerShare ? 0 : 1);
    const rowCount = dataset.x.rows;
    threads = Math.min(threads, Math.max(rowCount - (callerShare ? 1 : 0), 0));
    let fallbackReason: string | null = null;
    let url: URL | null = null;
    if (threads > 0) {
      const lossName = Object.keys(WORKER_LOSSES).find((name) => WORKER_LOSSES[name] === loss);
      if (lossName === undefined) {
        throw invalidArgument('loss', loss.name, `must be one of the built-in losses (${Object.keys(WORKER_LOSSES).join(', ')}) to run in worker threads`, 'use threads: 0 or TwiceDifferentiableGlmObjective');
      }
      const found = await findWorker(workerUrl);
      if (found.url === null) {
        fallbackReason = found.reason;
        threads = 0;
      } else url = found.url;
    }

    const x = dataset.x;
    const shared = threads > 0;
    const rows: SharedRows = {
      rowCount,
      rowPtr: shared ? shareInt32(x.rowPtr) : x.rowPtr,
      colIdx: shared ? shareInt32(x.colIdx) : x.colIdx,
      values: x.values === null ? null : shared ? shareFloat32(x.values) : x.values,
      labels: shared ? shareFloat64(dataset.labels) : dataset.labels,
      weights: dataset.weights === null ? null : shared ? shareFloat64(dataset.weights) : dataset.weights,
      offsets: dataset.offsets === null ? null : shared ? shareFloat64(dataset.offsets) : dataset.offsets,
    };
    const n = resolved.dimension;
    const curvature = shared ? new Float64Array(new SharedArrayBuffer(rowCount * 8)) : new Float64Array(rowCount);
    const input = new Float64Array(shared ? new SharedArrayBuffer(n * 8) : new ArrayBuffer(0));
    const results = new Float64Array(new SharedArrayBuffer(Math.max(threads, 1) * 8));
    const control = new Int32Array(new SharedArrayBuffer(CONTROL_SLOTS * 4));
    const errorText = new Uint8Array(new SharedArrayBuffer(ERROR_TEXT_BYTES));
    const callerWorks = callerShare || threads === 0;
    const ranges = splitRows(rows.rowPtr, rowCount, threads + (callerWorks ? 1 : 0));
    const callerRange: readonly [number, number] = callerWorks ? (ranges[threads] as readonly [number, number]) : [0, 0];

    const workers: WorkerHandle[] = [];
    try {
      for (let t = 0; t < threads; t++) {
        const [start, end] = ranges[t] as readonly [number, number];
        const partial = new Float64Array(new SharedArrayBuffer(n * 8));
        const data: GlmWorkerData = { rows: withoutCount(rows), lossName: loss.name, curvature, input, partial, results, control, errorText, index: t, start, end };
        workers.push(await startWorker(url as URL, data, partial));
      }
    } catch (e) {
      await stopWorkers(control, workers);
      throw new LaserError('INTERNAL', `a GLM worker thread failed to start from ${String(url)}: ${(e as Error).message}`, { cause: e, details: { workerUrl: String(url) } });
    }
    return new ParallelGlmObjective({
      loss,
      rows,
      dimension: n,
      interceptIndex: resolved.interceptIndex,
      priorPrecision: resolved.priorPrecision,
      priorMean: resolved.priorMean,
      curvature,
      input,
      results,
      control,
      errorText,
      workers,
      callerShare: callerWorks,
      callerRange,
      ranges,
      fallbackReason,
    });
  }

  value(w: Float64Array): number {
    this.checkOpen();
    this.checkVector('w', w);
    this.dispatch(OP_LOSS, w);
    const [a, b] = this.callerRange;
    let f = a < b ? lossRange(this.rows, this.loss, w, a, b, this.point) : 0;
    this.join();
    for (let t = 0; t < this.workers.length; t++) f += this.results[t] as number;
    return f + priorTerm(this.priorPrecision, this.priorMean, w, null);
  }

  valueAndGradient(w: Float64Array, gradientOut: Float64Array): number {
    this.checkOpen();
    this.checkVector('w', w);
    this.checkVector('gradientOut', gradientOut);
    // A failed call leaves D half-written: no Hv until a valueAndGradient succeeds.
    this.hasCurvature = false;
    this.dispatch(OP_LOSS_GRADIENT, w);
    gradientOut.fill(0);
    const [a, b] = this.callerRange;
    let f = a < b ? lossGradientRange(this.rows, this.loss, w, a, b, gradientOut, this.curvature, this.point) : 0;
    this.join();
    for (let t = 0; t < this.workers.length; t++) {
      f += this.results[t] as number;
      addInto(gradientOut, (this.workers[t] as WorkerHandle).partial);
    }
    this.hasCurvature = true;
    return f + priorTerm(this.priorPrecision, this.priorMean, w, gradientOut);
  }

  hessianVector(v: Float64Array, out: Float64Array): void {
    this.checkOpen();
    this.checkVector('v', v);
    this.checkVector('out', out);
    this.requireCurvature('hessianVector');
    this.dispatch(OP_HESSIAN_VECTOR, v);
    out.fill(0);
    const [a, b] = this.callerRange;
    if (a < b) hessianVectorRange(this.rows, this.curvature, v, a, b, out);
    this.join();
    for (const worker of this.workers) addInto(out, worker.partial);
    const p = this.priorPrecision;
    for (let j = 0; j < this.dimension; j++) out[j]! += (p[j] as number) * (v[j] as number);
  }

  hessianDiagonal(out: Float64Array): void {
    this.checkOpen();
    this.checkVector('out', out);
    this.requireCurvature('hessianDiagonal');
    this.dispatch(OP_HESSIAN_DIAGONAL, null);
    out.fill(0);
    const [a, b] = this.callerRange;
    if (a < b) hessianDiagonalRange(this.rows, this.curvature, a, b, out);
    this.join();
    for (const worker of this.workers) addInto(out, worker.partial);
    const p = this.priorPrecision;
    for (let j = 0; j < this.dimension; j++) out[j]! += p[j] as number;
  }

  /**
   * Stops the workers and resolves once they have exited. Idempotent: every call returns the
   * same promise. Evaluating afterwards throws CLOSED.
   */
  close(): Promise<void> {
    this.closing ??= stopWorkers(this.control, this.workers);
    return this.closing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** Publishes the command and its vector, and wakes the workers (no-op without workers). */
  private dispatch(op: number, vector: Float64Array | null): void {
    if (this.workers.length === 0) return;
    for (const [t, w] of this.workers.entries()) {
      if (w.failure !== null) throw new LaserError('INTERNAL', `GLM worker thread ${t} has died (${w.failure.message}): close this objective and create a new one`, { cause: w.failure });
    }
    if (vector !== null) this.input.set(vector);
    const c = this.control;
    Atomics.store(c, CONTROL_PENDING, this.workers.length);
    Atomics.store(c, CONTROL_OP, op);
    Atomics.add(c, CONTROL_GENERATION, 1);
    Atomics.notify(c, CONTROL_GENERATION);
  }

  /** Sleeps until every worker has finished the current command; rethrows a worker's failure. */
  private join(): void {
    if (this.workers.length === 0) return;
    const c = this.control;
    for (;;) {
      const pending = Atomics.load(c, CONTROL_PENDING);
      if (pending === 0) break;
      Atomics.wait(c, CONTROL_PENDING, pending);
    }
    if (Atomics.load(c, CONTROL_FAILURES) !== 0) {
      const bytes = Atomics.load(c, CONTROL_ERROR_BYTES);
      const message = new TextDecoder().decode(this.errorText.slice(0, bytes));
      Atomics.store(c, CONTROL_FAILURES, 0);
      throw new LaserError('INTERNAL', `a GLM worker thread failed: ${message}`);
    }
  }

  private checkOpen(): void {
    if (this.closing !== null) throw new LaserError('CLOSED', 'this ParallelGlmObjective is closed: create a new one with ParallelGlmObjective.create()');
  }

  private requireCurvature(method: string): void {
    if (!this.hasCurvature) {
      throw new LaserError('INVALID_ARGUMENT', `${method}() needs the curvature at a point: call valueAndGradient(w, gradientOut) first`);
    }
  }

  private checkVector(field: string, v: unknown): void {
    if (!(v instanceof Float64Array) || v.length !== this.dimension) {
      throw invalidArgument(field, v, `must be a Float64Array of length dimension (${this.dimension})`);
    }
  }
}

/** out += a, elementwise. */
function addInto(out: Float64Array, a: Float64Array): void {
  const n = out.length;
  for (let j = 0; j < n; j++) out[j]! += a[j] as number;
}

/**
 * `parts` contiguous row ranges of about equal work (non-zeros + ROW_COST per row), found by
 * binary search on rowPtr. Every range is non-empty when rows >= parts.
 */
export function splitRows(rowPtr: Int32Array, rows: number, parts: number): (readonly [number, number])[] {
  const work = (i: number): number => (rowPtr[i] as number) + ROW_COST * i;
  const total = work(rows);
  const ranges: (readonly [number, number])[] = [];
  let start = 0;
  for (let p = 1; p <= parts; p++) {
    let end = rows;
    if (p < parts) {
      const target = (total * p) / parts;
      let lo = start;
      let hi = rows;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (work(mid) < target) lo = mid + 1;
        else hi = mid;
      }
      // Leave at least one row for each range still to come, and take at least one.
      end = Math.min(Math.max(lo, start + 1), rows - (parts - p));
      end = Math.max(end, start);
    }
    ranges.push([start, end]);
    start = end;
  }
  return ranges;
}

async function findWorker(explicit: URL | null): Promise<{ url: URL; reason: null } | { url: null; reason: string }> {
  const here = import.meta.url;
  const candidate = explicit ?? (here.endsWith('.ts') ? new URL('../../dist/objective/glm-worker.js', here) : new URL('./glm-worker.js', here));
  try {
    await access(fileURLToPath(candidate));
    return { url: candidate, reason: null };
  } catch {
    const why = here.endsWith('.ts') && explicit === null ? ' (running from TypeScript sources: build the package with `npx tsc -b` to use worker threads)' : '';
    return { url: null, reason: `no compiled worker at ${fileURLToPath(candidate)}${why}` };
  }
}

async function startWorker(url: URL, data: GlmWorkerData, partial: Float64Array): Promise<WorkerHandle> {
  // execArgv: [] keeps the caller's loader flags (e.g. a TypeScript loader, the "source"
  // condition) out of the worker, which runs compiled JavaScript.
  const worker = new Worker(url, { workerData: data, execArgv: [] });
  let resolveExit: () => void = () => undefined;
  const exited = new Promise<void>((resolve) => (resolveExit = resolve));
  const handle: WorkerHandle = { worker, exited, partial, failure: null };
  let stopping = false;
  worker.on('exit', (code) => {
    if (!stopping && Atomics.load(data.control, CONTROL_OP) !== OP_EXIT) handle.failure ??= new Error(`it exited with code ${code}`);
    resolveExit();
  });
  await new Promise<void>((resolve, reject) => {
    const onMessage = (m: unknown): void => {
      cleanup();
      if (m === 'ready') resolve();
      else reject(new Error(`unexpected first message ${JSON.stringify(m)}`));
    };
    const onError = (e: Error): void => {
      cleanup();
      reject(e);
    };
    const onExit = (code: number): void => {
      cleanup();
      reject(new Error(`the worker exited with code ${code} before it was ready`));
    };
    const cleanup = (): void => {
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
    };
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.on('exit', onExit);
  }).catch(async (e: unknown) => {
    stopping = true;
    await worker.terminate();
    throw e;
  });
  // Failures of a command come back through the control block. An 'error' event can only mean
  // the wait loop itself died (out of memory, say): record it for the next call, never crash the
  // process with it. A call already waiting on such a worker cannot see it (it blocks the event
  // loop), which is why the wait loop catches everything it can.
  worker.on('error', (e: Error) => {
    handle.failure ??= e;
  });
  worker.unref();
  return handle;
}

/** Tells every worker to leave its wait loop and resolves once all have exited. */
async function stopWorkers(control: Int32Array, workers: readonly WorkerHandle[]): Promise<void> {
  if (workers.length === 0) return;
  Atomics.store(control, CONTROL_OP, OP_EXIT);
  Atomics.add(control, CONTROL_GENERATION, 1);
  Atomics.notify(control, CONTROL_GENERATION);
  // Hold the event loop open until they are gone, so that `await close()` always settles.
  for (const { worker } of workers) worker.ref();
  await Promise.all(workers.map((w) => w.exited));
}

function withoutCount(rows: SharedRows): GlmRowData {
  const { rowPtr, colIdx, values, labels, weights, offsets } = rows;
  return { rowPtr, colIdx, values, labels, weights, offsets };
}

function isShared(a: ArrayBufferView): boolean {
  return a.buffer instanceof SharedArrayBuffer;
}

function shareInt32(a: Int32Array): Int32Array {
  if (isShared(a)) return a;
  const out = new Int32Array(new SharedArrayBuffer(a.byteLength));
  out.set(a);
  return out;
}

function shareFloat32(a: Float32Array): Float32Array {
  if (isShared(a)) return a;
  const out = new Float32Array(new SharedArrayBuffer(a.byteLength));
  out.set(a);
  return out;
}

function shareFloat64(a: Float64Array): Float64Array {
  if (isShared(a)) return a;
  const out = new Float64Array(new SharedArrayBuffer(a.byteLength));
  out.set(a);
  return out;
}
