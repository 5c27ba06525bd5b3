// Worker entry for per-entity warm-start fits: receives a block's problems on SharedArrayBuffers
// once, then fits the entity lists it is sent, writing coefficients and variances into shared
// arrays. Runs from dist/ only (see entity-pool.ts).
import { parentPort, workerData } from 'node:worker_threads';
import { fitEntityList, type EntityProblems, type EntitySolverSettings } from './entity-fit.js';

export interface EntityWorkerData {
  readonly problems: EntityProblems;
  readonly coefficients: Float64Array;
  readonly variances: Float64Array;
  readonly covariances: Float64Array | null;
  readonly settings: EntitySolverSettings;
}

export type EntityWorkerRequest = { readonly op: 'fit'; readonly entities: Int32Array } | { readonly op: 'exit' };
export type EntityWorkerReply = { readonly ok: true; readonly counts: [number, number, number] } | { readonly ok: false; readonly error: string };

const port = parentPort;
if (port === null) throw new Error('entity-worker.js is a worker_threads entry: start it with new Worker()');
const data = workerData as EntityWorkerData;
port.on('message', (request: EntityWorkerRequest) => {
  if (request.op === 'exit') {
    port.close();
    return;
  }
  try {
    const counts = fitEntityList(data.problems, request.entities, data.settings, data.coefficients, data.variances, data.covariances);
    port.postMessage({ ok: true, counts } satisfies EntityWorkerReply);
  } catch (e) {
    port.postMessage({ ok: false, error: e instanceof Error ? `${e.message}\n${e.stack ?? ''}` : String(e) } satisfies EntityWorkerReply);
  }
});
port.postMessage('ready');
