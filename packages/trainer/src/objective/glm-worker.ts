// Worker entry of ParallelGlmObjective: evaluates the GLM kernels over one fixed row range of
// data on SharedArrayBuffers. It never returns to its event loop: it sleeps in Atomics.wait on
// the control block's generation slot, runs each command on its rows, counts itself done and
// sleeps again, until OP_EXIT. Runs from dist/ only (see parallel-glm-objective.ts).
import { parentPort, workerData } from 'node:worker_threads';
import { createLossPoint, type TwiceDifferentiableLoss } from '../loss/pointwise-loss.js';
import { hessianDiagonalRange, hessianVectorRange, lossGradientRange, lossRange } from './glm-objective.js';
import {
  CONTROL_ERROR_BYTES,
  CONTROL_FAILURES,
  CONTROL_GENERATION,
  CONTROL_OP,
  CONTROL_PENDING,
  OP_EXIT,
  OP_HESSIAN_DIAGONAL,
  OP_HESSIAN_VECTOR,
  OP_LOSS,
  OP_LOSS_GRADIENT,
  WORKER_LOSSES,
  type GlmWorkerData,
} from './glm-worker-protocol.js';

const port = parentPort;
if (port === null) throw new Error('glm-worker.js is a worker_threads entry: start it with new Worker()');
const data = workerData as GlmWorkerData;
const { rows, curvature, input, partial, results, control, errorText, index, start, end } = data;
const loss: TwiceDifferentiableLoss = lossNamed(data.lossName);
const point = createLossPoint();

function lossNamed(name: string): TwiceDifferentiableLoss {
  const found = WORKER_LOSSES[name];
  if (found === undefined) throw new Error(`glm-worker: unknown loss ${JSON.stringify(name)}`);
  return found;
}

function execute(op: number): void {
  switch (op) {
    case OP_LOSS:
      results[index] = lossRange(rows, loss, input, start, end, point);
      return;
    case OP_LOSS_GRADIENT:
      partial.fill(0);
      results[index] = lossGradientRange(rows, loss, input, start, end, partial, curvature, point);
      return;
    case OP_HESSIAN_VECTOR:
      partial.fill(0);
      hessianVectorRange(rows, curvature, input, start, end, partial);
      return;
    case OP_HESSIAN_DIAGONAL:
      partial.fill(0);
      hessianDiagonalRange(rows, curvature, start, end, partial);
      return;
    default:
      throw new Error(`glm-worker: unknown operation ${op}`);
  }
}

function recordFailure(e: unknown): void {
  if (Atomics.add(control, CONTROL_FAILURES, 1) !== 0) return; // keep the first message only
  const text = `worker ${index} (rows ${start}..${end}): ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`;
  const { written } = new TextEncoder().encodeInto(text, errorText);
  Atomics.store(control, CONTROL_ERROR_BYTES, written);
}

let seen = Atomics.load(control, CONTROL_GENERATION);
port.postMessage('ready');
for (;;) {
  Atomics.wait(control, CONTROL_GENERATION, seen);
  const generation = Atomics.load(control, CONTROL_GENERATION);
  if (generation === seen) continue;
  seen = generation;
  const op = Atomics.load(control, CONTROL_OP);
  if (op === OP_EXIT) break;
  try {
    execute(op);
  } catch (e) {
    recordFailure(e);
  }
  // The last worker to finish wakes the caller.
  if (Atomics.sub(control, CONTROL_PENDING, 1) === 1) Atomics.notify(control, CONTROL_PENDING);
}
