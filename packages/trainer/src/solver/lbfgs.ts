import { checkKnownKeys, invalidArgument } from '@laserkit/core';
import type { DifferentiableObjective } from '../objective/objective.js';
import { LbfgsMemory } from './lbfgs-memory.js';
import { strongWolfeLineSearch } from './line-search.js';
import {
  SolverRun,
  ROUNDING_RELATIVE,
  checkCommonOptions,
  stripUndefined,
  type CommonSolverOptions,
  type LineSearchIterationRecord,
  type SolverResult,
  type SolverStatus,
} from './solver-result.js';
import { distance, dot, norm2 } from './vector.js';

/**
 * Limited-memory BFGS (Nocedal & Wright, Numerical Optimization, 2nd ed., Alg. 7.4 two-loop
 * recursion and Alg. 7.5) with a strong-Wolfe line search (Alg. 3.5/3.6). Needs only a
 * differentiable objective.
 */
export interface LbfgsOptions extends CommonSolverOptions<LineSearchIterationRecord> {
  /** Number of curvature pairs (s, y) kept. @default 10 */
  readonly memory?: number;
  /** Function evaluations allowed per line search. @default 20 */
  readonly maxLineSearchEvaluations?: number;
  /** Sufficient-decrease constant c₁ of the Wolfe conditions. @default 1e-4 */
  readonly sufficientDecrease?: number;
  /**
   * Curvature constant c₂ of the strong Wolfe conditions (0.9 is usual for quasi-Newton); must be
   * below 1 − 2c₁ so that the approximate Wolfe conditions used below rounding are consistent.
   * @default 0.9
   */
  readonly curvature?: number;
}

export type ResolvedLbfgsOptions = Readonly<Required<LbfgsOptions>>;

export const DEFAULT_LBFGS_OPTIONS: ResolvedLbfgsOptions = Object.freeze({
  gradientTolerance: 1e-6,
  referenceGradientNorm: null,
  maxIterations: 1000,
  onIteration: null,
  memory: 10,
  maxLineSearchEvaluations: 20,
  sufficientDecrease: 1e-4,
  curvature: 0.9,
});

const KNOWN = Object.keys(DEFAULT_LBFGS_OPTIONS);
/** Iterations in the rounding band of f without a new lowest gradient norm before giving up. */
export const STALL_LIMIT = 10;

export function resolveLbfgsOptions(options: LbfgsOptions = {}): ResolvedLbfgsOptions {
  if (options === null || typeof options !== 'object') throw invalidArgument('options', options, 'must be an object');
  checkKnownKeys('options', options, KNOWN);
  const o = { ...DEFAULT_LBFGS_OPTIONS, ...stripUndefined(options) } as Required<LbfgsOptions>;
  checkCommonOptions(o);
  checkMemory(o.memory);
  checkLineSearchBudget(o.maxLineSearchEvaluations);
  if (typeof o.sufficientDecrease !== 'number' || !(o.sufficientDecrease > 0 && o.sufficientDecrease < 0.5)) {
    throw invalidArgument('sufficientDecrease', o.sufficientDecrease, 'must be a number in (0, 0.5)');
  }
  const maxCurvature = 1 - 2 * o.sufficientDecrease;
  if (typeof o.curvature !== 'number' || !(o.curvature > o.sufficientDecrease && o.curvature < maxCurvature)) {
    throw invalidArgument('curvature', o.curvature, `must be a number in (sufficientDecrease, 1 − 2·sufficientDecrease) = (${o.sufficientDecrease}, ${maxCurvature})`);
  }
  return Object.freeze(o);
}

export function checkMemory(memory: unknown): void {
  if (typeof memory !== 'number' || !Number.isInteger(memory) || memory < 1 || memory > 1000) {
    throw invalidArgument('memory', memory, 'must be an integer in [1, 1000]');
  }
}

export function checkLineSearchBudget(budget: unknown): void {
  if (typeof budget !== 'number' || !Number.isInteger(budget) || budget < 1 || budget > 1000) {
    throw invalidArgument('maxLineSearchEvaluations', budget, 'must be an integer in [1, 1000]');
  }
}

/** L-BFGS, configured once; `minimize` may run many problems. */
export class LbfgsSolver {
  readonly options: ResolvedLbfgsOptions;

  constructor(options: LbfgsOptions = {}) {
    this.options = resolveLbfgsOptions(options);
  }

  minimize(objective: DifferentiableObjective, initialWeights?: Float64Array): SolverResult<LineSearchIterationRecord> {
    const o = this.options;
    const n = objective.dimension;
    const run = new SolverRun<LineSearchIterationRecord>();
    const counter = run.counter;
    const start = run.evaluateStart(objective, initialWeights);
    let w = start.w;
    let g = start.g;
    let f = start.f;
    let gnorm = norm2(g);
    const threshold = run.start(f, gnorm, o);
    const history = run.history;
    const finish = (status: SolverStatus, message: string, iterations: number): SolverResult<LineSearchIterationRecord> => run.finish(status, message, iterations, w, f, gnorm);
    if (gnorm <= threshold) return finish('converged', 'the starting point already meets the gradient tolerance', 0);

    const memory = new LbfgsMemory(n, o.memory);
    const p = new Float64Array(n);
    let wNew: Float64Array = new Float64Array(n);
    let gNew: Float64Array = new Float64Array(n);
    const wTrial = new Float64Array(n);
    const gTrial = new Float64Array(n);
    let acceptedSteps = 0;
    let lowestGradientNorm = gnorm;
    let stalled = 0;

    for (let iteration = 1; ; iteration++) {
      if (iteration > o.maxIterations) {
        return finish('max-iterations', `stopped after ${o.maxIterations} iterations; gradient norm ${gnorm} > ${threshold}`, o.maxIterations);
      }
      memory.direction(g, p);
      let slope = dot(g, p);
      if (!(slope < 0)) {
        // Not a descent direction (rounding in the two-loop recursion): restart from steepest descent.
        memory.clear();
        memory.direction(g, p);
        slope = dot(g, p);
      }
      // Without curvature pairs, scale the first trial to unit length (Nocedal & Wright §7.2 uses H⁰ = I).
      const initialStep = memory.size === 0 ? Math.min(1, 1 / norm2(p)) : 1;
      const params = {
        c1: o.sufficientDecrease,
        c2: o.curvature,
        maxEvaluations: o.maxLineSearchEvaluations,
        noise: ROUNDING_RELATIVE * Math.abs(f),
      };
      const search = strongWolfeLineSearch(objective, counter, w, f, slope, p, initialStep, params, wNew, gNew, wTrial, gTrial);

      let stepNorm = 0;
      const previousObjective = f;
      const accepted = search.kind !== 'failed';
      if (accepted) {
        memory.push(wNew, w, gNew, g);
        stepNorm = distance(wNew, w);
        [w, wNew] = [wNew, w];
        [g, gNew] = [gNew, g];
        f = search.value;
        gnorm = norm2(g);
        acceptedSteps++;
      }
      const record: LineSearchIterationRecord = {
        iteration,
        objective: f,
        gradientNorm: gnorm,
        stepNorm,
        accepted,
        stepSize: search.stepSize,
        lineSearchEvaluations: search.evaluations,
        ...counter.snapshot(),
      };
      history.push(record);
      if (o.onIteration !== null) o.onIteration(record);

      if (gnorm <= threshold) return finish('converged', `gradient norm ${gnorm} <= ${threshold}`, iteration);
      // Below rounding of f, progress is measured by the gradient norm alone, which need not fall
      // every iteration: give up after STALL_LIMIT iterations without a new lowest norm.
      if (accepted && Math.abs(previousObjective - f) <= ROUNDING_RELATIVE * Math.abs(f) && !(gnorm < lowestGradientNorm)) stalled++;
      else stalled = 0;
      lowestGradientNorm = Math.min(lowestGradientNorm, gnorm);
      if (stalled >= STALL_LIMIT) {
        return finish('not-improving', `f changes below rounding (${f}) and the gradient norm has not reached a new low (${lowestGradientNorm}) in ${STALL_LIMIT} iterations`, iteration);
      }
      if (!accepted) {
        if (memory.size > 0) {
          // The quasi-Newton model may be stale: forget it and try steepest descent once more.
          memory.clear();
          continue;
        }
        const start = acceptedSteps === 0 ? ' (no step was accepted: the weights are the starting point)' : '';
        return finish('not-improving', `the line search found no decrease along steepest descent${start}`, iteration);
      }
    }
  }
}
