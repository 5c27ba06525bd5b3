import { invalidArgument } from '@laserkit/core';
import type { DifferentiableObjective } from '../objective/objective.js';
import { norm2 } from './vector.js';

/**
 * Why a solver stopped: a closed set of values (Photon ML's ConvergenceReason), returned, never
 * thrown.
 * - `converged`: the gradient norm (OWL-QN: pseudo-gradient norm) met the tolerance.
 * - `max-iterations`: the iteration budget ran out first.
 * - `not-improving`: no further decrease could be found (line search failed, trust region
 *   collapsed, or decreases fell below rounding). If that happened at the very first step, the
 *   weights are the starting point: a solver never returns its start under any other status.
 */
export type SolverStatus = 'converged' | 'max-iterations' | 'not-improving';

export const SOLVER_STATUSES: readonly SolverStatus[] = Object.freeze(['converged', 'max-iterations', 'not-improving']);

/** Cumulative work done, in calls to the objective. */
export interface EvaluationCounts {
  /** Calls to value() or valueAndGradient(). */
  readonly functionEvaluations: number;
  /** Calls to valueAndGradient(). */
  readonly gradientEvaluations: number;
  /** Calls to hessianVector() (TRON only). */
  readonly hessianVectorProducts: number;
}

/** One line of a solver's per-iteration log. */
export interface IterationRecord extends EvaluationCounts {
  /** 1-based. */
  readonly iteration: number;
  /** Objective at the iterate after this iteration (unchanged when the step was rejected). */
  readonly objective: number;
  /** Gradient norm there (OWL-QN: pseudo-gradient norm). */
  readonly gradientNorm: number;
  /** ‖w_new − w_old‖₂ of the step taken; 0 when the step was rejected. */
  readonly stepNorm: number;
  /** Whether the iterate moved. */
  readonly accepted: boolean;
}

export interface TronIterationRecord extends IterationRecord {
  /** Trust-region radius Δ after this iteration's update (in the preconditioner's norm). */
  readonly trustRadius: number;
  /** f(w) − f(w + s). */
  readonly actualReduction: number;
  /** Decrease predicted by the quadratic model, −(gᵀs + ½ sᵀHs). */
  readonly predictedReduction: number;
  /** Conjugate-gradient iterations (Hessian-vector products) spent on this step. */
  readonly cgIterations: number;
  /** Whether CG stopped on the trust-region boundary. */
  readonly reachedBoundary: boolean;
}

export interface LineSearchIterationRecord extends IterationRecord {
  /** Step size α along the search direction. */
  readonly stepSize: number;
  /** Function evaluations spent in this iteration's line search. */
  readonly lineSearchEvaluations: number;
}

export interface OwlqnIterationRecord extends LineSearchIterationRecord {
  /** Number of non-zero coefficients after this iteration. */
  readonly nonZeros: number;
}

export interface SolverResult<R extends IterationRecord = IterationRecord> extends EvaluationCounts {
  /** The final iterate (a fresh array; the solver keeps no reference to it). */
  readonly weights: Float64Array;
  readonly status: SolverStatus;
  /** Human-readable detail of the status, for logs. */
  readonly message: string;
  /** Iterations performed (TRON counts rejected steps too). */
  readonly iterations: number;
  /** Objective at `weights` (OWL-QN: including the L1 term). */
  readonly objective: number;
  /** Gradient norm at `weights` (OWL-QN: pseudo-gradient norm). */
  readonly gradientNorm: number;
  readonly initialObjective: number;
  readonly initialGradientNorm: number;
  /** The gradient-norm threshold that was used: gradientTolerance × reference norm. */
  readonly gradientThreshold: number;
  readonly history: readonly R[];
}

/**
 * Changes in f below this fraction of |f| are rounding, not progress (liblinear's 1e-12). Below
 * it the solvers judge a step by its gradient norm, which stays accurate, instead of by f.
 */
export const ROUNDING_RELATIVE = 1e-12;

/** Options every solver shares. */
export interface CommonSolverOptions<R extends IterationRecord> {
  /**
   * Stop when ‖∇f(w)‖₂ <= gradientTolerance × reference, the reference being
   * `referenceGradientNorm` or, by default, ‖∇f‖₂ at the starting point.
   * @default 1e-6
   */
  readonly gradientTolerance?: number;
  /**
   * The norm that `gradientTolerance` is relative to; null means the gradient norm at the
   * starting point. liblinear uses ‖∇f(0)‖₂ even when warm-started; pass that here (e.g. from
   * `gradientNormAt(objective, new Float64Array(n))`) to stop on the same rule when training
   * incrementally from a previous model.
   * @default null
   */
  readonly referenceGradientNorm?: number | null;
  /** Iteration budget; on reaching it the status is 'max-iterations'. @default 1000 */
  readonly maxIterations?: number;
  /** Called after every iteration with its record; null for none. @default null */
  readonly onIteration?: ((record: R) => void) | null;
}

export function checkCommonOptions<R extends IterationRecord>(o: Required<CommonSolverOptions<R>>): void {
  const tol = o.gradientTolerance;
  if (typeof tol !== 'number' || !Number.isFinite(tol) || tol < 0 || tol >= 1) {
    throw invalidArgument('gradientTolerance', tol, 'must be a number in [0, 1) (relative to the reference gradient norm)');
  }
  const ref = o.referenceGradientNorm;
  if (ref !== null && (typeof ref !== 'number' || !Number.isFinite(ref) || ref <= 0)) {
    throw invalidArgument('referenceGradientNorm', ref, 'must be null or a finite number > 0');
  }
  const maxIt = o.maxIterations;
  if (typeof maxIt !== 'number' || !Number.isInteger(maxIt) || maxIt < 1) {
    throw invalidArgument('maxIterations', maxIt, 'must be an integer >= 1');
  }
  if (o.onIteration !== null && typeof o.onIteration !== 'function') {
    throw invalidArgument('onIteration', o.onIteration, 'must be null or a function');
  }
}

/** Validates a starting point (or makes the zero vector) and returns a private copy. */
export function startingPoint(objective: DifferentiableObjective, initialWeights: Float64Array | undefined): Float64Array {
  const n = objective.dimension;
  if (initialWeights === undefined) return new Float64Array(n);
  if (!(initialWeights instanceof Float64Array) || initialWeights.length !== n) {
    throw invalidArgument('initialWeights', initialWeights, `must be a Float64Array of length dimension (${n})`);
  }
  for (let j = 0; j < n; j++) {
    if (!Number.isFinite(initialWeights[j] as number)) throw invalidArgument(`initialWeights[${j}]`, initialWeights[j], 'must be a finite number');
  }
  return Float64Array.from(initialWeights);
}

/** Throws when the objective is not finite at the starting point: no solver can start there. */
export function checkStartValue(f: number, gradientNorm: number): void {
  if (!Number.isFinite(f)) {
    throw invalidArgument('objective(initialWeights)', f, 'must be finite at the starting point', 'start where the objective is finite, e.g. at all zeros');
  }
  if (!Number.isFinite(gradientNorm)) {
    throw invalidArgument('gradientNorm(initialWeights)', gradientNorm, 'must be finite at the starting point', 'start where the gradient is finite, e.g. at all zeros');
  }
}

/** ‖∇f(w)‖₂: e.g. the reference norm liblinear uses, ‖∇f(0)‖₂. */
export function gradientNormAt(objective: DifferentiableObjective, w: Float64Array): number {
  const g = new Float64Array(objective.dimension);
  objective.valueAndGradient(w, g);
  return norm2(g);
}

/** Mutable evaluation counters a solver keeps while it runs. */
export class EvaluationCounter {
  functionEvaluations = 0;
  gradientEvaluations = 0;
  hessianVectorProducts = 0;

  snapshot(): EvaluationCounts {
    return {
      functionEvaluations: this.functionEvaluations,
      gradientEvaluations: this.gradientEvaluations,
      hessianVectorProducts: this.hessianVectorProducts,
    };
  }
}

/**
 * The bookkeeping every solver run shares: evaluation counts, the iteration history, the starting
 * figures and the stopping threshold, and the result record built from them.
 */
export class SolverRun<R extends IterationRecord> {
  readonly counter = new EvaluationCounter();
  readonly history: R[] = [];
  private initialObjective = Number.NaN;
  private initialGradientNorm = Number.NaN;
  private threshold = Number.NaN;

  /** The starting point (validated copy, or zeros), with f and ∇f there, counted as one evaluation of each. */
  evaluateStart(objective: DifferentiableObjective, initialWeights: Float64Array | undefined): { w: Float64Array; g: Float64Array; f: number } {
    const w = startingPoint(objective, initialWeights);
    const g = new Float64Array(objective.dimension);
    const f = objective.valueAndGradient(w, g);
    this.counter.functionEvaluations++;
    this.counter.gradientEvaluations++;
    return { w, g, f };
  }

  /** Checks the start (see checkStartValue) and returns the gradient-norm threshold to stop at. */
  start(f: number, gradientNorm: number, options: Pick<Required<CommonSolverOptions<R>>, 'gradientTolerance' | 'referenceGradientNorm'>): number {
    checkStartValue(f, gradientNorm);
    this.initialObjective = f;
    this.initialGradientNorm = gradientNorm;
    this.threshold = options.gradientTolerance * (options.referenceGradientNorm ?? gradientNorm);
    return this.threshold;
  }

  finish(status: SolverStatus, message: string, iterations: number, weights: Float64Array, objective: number, gradientNorm: number): SolverResult<R> {
    return {
      weights,
      status,
      message,
      iterations,
      objective,
      gradientNorm,
      initialObjective: this.initialObjective,
      initialGradientNorm: this.initialGradientNorm,
      gradientThreshold: this.threshold,
      history: this.history,
      ...this.counter.snapshot(),
    };
  }
}

export function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
