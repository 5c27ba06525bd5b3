import { logisticLoss } from '../loss/logistic.js';
import { poissonLoss } from '../loss/poisson.js';
import type { TwiceDifferentiableLoss } from '../loss/pointwise-loss.js';
import { squaredLoss } from '../loss/squared.js';
import type { GlmRowData } from './glm-objective.js';

// The contract between ParallelGlmObjective (calling thread) and glm-worker.ts (each worker):
// the layout of the shared control block, the operation codes and what a worker receives.

/** Losses a worker can evaluate: functions cannot cross threads, so workers look them up by name. */
export const WORKER_LOSSES: Readonly<Record<string, TwiceDifferentiableLoss>> = Object.freeze({
  logistic: logisticLoss,
  squared: squaredLoss,
  poisson: poissonLoss,
});

/** Slots of the shared Int32Array control block. */
export const CONTROL_GENERATION = 0; // bumped once per command; workers Atomics.wait on it
export const CONTROL_OP = 1; // the command's operation (OP_*)
export const CONTROL_PENDING = 2; // workers still busy with the command; the caller waits for 0
export const CONTROL_FAILURES = 3; // workers whose command threw
export const CONTROL_ERROR_BYTES = 4; // length of the first failure's message in `errorText`
export const CONTROL_SLOTS = 5;

/** Σ loss over the worker's rows into results[index]. */
export const OP_LOSS = 1;
/** Σ loss into results[index], its gradient into `partial`, curvature D_i for its rows. */
export const OP_LOSS_GRADIENT = 2;
/** Xᵀ D X v over its rows into `partial` (v in `input`). */
export const OP_HESSIAN_VECTOR = 3;
/** diag(Xᵀ D X) over its rows into `partial`. */
export const OP_HESSIAN_DIAGONAL = 4;
/** Leave the wait loop; the worker then exits. */
export const OP_EXIT = 5;

/** Bytes kept of a worker's error message. */
export const ERROR_TEXT_BYTES = 4096;

/** `workerData` of one worker; every typed array lives on a SharedArrayBuffer. */
export interface GlmWorkerData {
  readonly rows: GlmRowData;
  readonly lossName: string;
  /** D_i per row, shared by all threads (each writes only its own rows). */
  readonly curvature: Float64Array;
  /** w or v of the current command, written by the caller. */
  readonly input: Float64Array;
  /** This worker's own gradient / Hv / diagonal, summed by the caller. */
  readonly partial: Float64Array;
  /** Loss sums, one slot per worker. */
  readonly results: Float64Array;
  readonly control: Int32Array;
  readonly errorText: Uint8Array;
  /** Slot of this worker in `results`. */
  readonly index: number;
  /** Its rows: [start, end). */
  readonly start: number;
  readonly end: number;
}
