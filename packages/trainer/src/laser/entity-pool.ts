import { access } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { LaserError } from '@laserkit/core';
import { balanceEntities, fitEntityList, type EntityProblems, type EntitySolverSettings, type EntityStatusCounts } from './entity-fit.js';
import type { EntityWorkerData, EntityWorkerReply, EntityWorkerRequest } from './entity-worker.js';

function shared<T extends Float64Array | Float32Array | Int32Array>(a: T): T {
  const Ctor = a.constructor as { new (buffer: SharedArrayBuffer): T; BYTES_PER_ELEMENT: number };
  const out = new Ctor(new SharedArrayBuffer(a.length * Ctor.BYTES_PER_ELEMENT));
  out.set(a as never);
  return out;
}

/**
 * Fits one random-effect block's entities on worker threads (LASER fits each campaign
 * independently, so they parallelize perfectly). Entities are split so each thread gets about
 * the same number of rows. With threads 0, or when the compiled worker is not available (running
 * from TypeScript sources without a build), it fits on the calling thread; `threads` says which.
 */
export class EntityFitPool {
  private closed = false;

  private constructor(
    readonly threads: number,
    private readonly problems: EntityProblems,
    private readonly coefficients: Float64Array,
    private readonly variances: Float64Array,
    private readonly covariances: Float64Array | null,
    private readonly settings: EntitySolverSettings,
    private readonly workers: readonly Worker[],
  ) {}

  static async create(problems: EntityProblems, coefficients: Float64Array, variances: Float64Array, settings: EntitySolverSettings, threads: number): Promise<EntityFitPool> {
    const entities = problems.groupPtr.length - 1;
    const covariances = settings.fullCovariance ? new Float64Array(entities * problems.width * problems.width) : null;
    const url = threads > 0 ? await findWorker() : null;
    if (url === null || threads === 0) return new EntityFitPool(0, problems, coefficients, variances, covariances, settings, []);
    const sharedProblems: EntityProblems = {
      width: problems.width,
      groupPtr: shared(problems.groupPtr),
      rowPtr: shared(problems.rowPtr),
      colIdx: shared(problems.colIdx),
      values: problems.values === null ? null : shared(problems.values),
      labels: shared(problems.labels),
      weights: problems.weights === null ? null : shared(problems.weights),
      offsets: shared(problems.offsets),
      precision: shared(problems.precision),
      entityPriorMean: problems.entityPriorMean === null ? null : shared(problems.entityPriorMean),
      entityPriorPrecision: problems.entityPriorPrecision === null ? null : shared(problems.entityPriorPrecision),
    };
    const sharedCoefficients = shared(coefficients);
    const sharedVariances = shared(variances);
    const sharedCovariances = covariances === null ? null : shared(covariances);
    const data: EntityWorkerData = { problems: sharedProblems, coefficients: sharedCoefficients, variances: sharedVariances, covariances: sharedCovariances, settings };
    const workers: Worker[] = [];
    try {
      for (let t = 0; t < threads; t++) {
        // execArgv: [] keeps a TypeScript loader or the "source" condition out of the worker.
        const worker = new Worker(url, { workerData: data, execArgv: [] });
        worker.unref();
        workers.push(worker);
        await new Promise<void>((resolve, reject) => {
          worker.once('message', (m) => (m === 'ready' ? resolve() : reject(new Error(`unexpected first message ${JSON.stringify(m)}`))));
          worker.once('error', reject);
        });
      }
    } catch (e) {
      await Promise.all(workers.map((w) => w.terminate()));
      throw new LaserError('INTERNAL', `could not start entity-fit workers: ${(e as Error).message}`, { cause: e });
    }
    return new EntityFitPool(threads, sharedProblems, sharedCoefficients, sharedVariances, sharedCovariances, settings, workers);
  }

  /** The offsets the next `fitAll` uses (grouped row order); write into it between passes. */
  get offsets(): Float64Array {
    return this.problems.offsets;
  }

  /** Fits every entity; returns the status counts and leaves results in `coefficients` / `variances`. */
  async fitAll(): Promise<{ counts: EntityStatusCounts; coefficients: Float64Array; variances: Float64Array; covariances: Float64Array | null }> {
    if (this.closed) throw new LaserError('CLOSED', 'EntityFitPool.fitAll() after close()');
    const all = Int32Array.from({ length: this.problems.groupPtr.length - 1 }, (_, e) => e);
    if (this.workers.length === 0) {
      const counts = fitEntityList(this.problems, all, this.settings, this.coefficients, this.variances, this.covariances);
      return { counts, coefficients: this.coefficients, variances: this.variances, covariances: this.covariances };
    }
    const lists = balanceEntities(this.problems.groupPtr, this.workers.length);
    const replies = await Promise.all(
      this.workers.map(
        (worker, t) =>
          new Promise<EntityWorkerReply>((resolve, reject) => {
            const onError = (e: Error): void => reject(e);
            worker.once('error', onError);
            worker.once('message', (reply: EntityWorkerReply) => {
              worker.off('error', onError);
              resolve(reply);
            });
            worker.postMessage({ op: 'fit', entities: lists[t] as Int32Array } satisfies EntityWorkerRequest);
          }),
      ),
    );
    const counts: EntityStatusCounts = [0, 0, 0];
    for (const r of replies) {
      if (!r.ok) throw new LaserError('INTERNAL', `an entity-fit worker failed: ${r.error}`);
      for (let k = 0; k < 3; k++) counts[k as 0 | 1 | 2] += r.counts[k as 0 | 1 | 2];
    }
    return { counts, coefficients: this.coefficients, variances: this.variances, covariances: this.covariances };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(this.workers.map((w) => w.terminate()));
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

async function findWorker(): Promise<URL | null> {
  const here = import.meta.url;
  const url = here.endsWith('.ts') ? new URL('../../dist/laser/entity-worker.js', here) : new URL('./entity-worker.js', here);
  try {
    await access(fileURLToPath(url));
    return url;
  } catch {
    return null;
  }
}
