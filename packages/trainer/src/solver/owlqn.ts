import { checkKnownKeys, invalidArgument } from '@laserkit/core';
import type { DifferentiableObjective } from '../objective/objective.js';
import { STALL_LIMIT, checkLineSearchBudget, checkMemory } from './lbfgs.js';
import { LbfgsMemory } from './lbfgs-memory.js';
import {
  SolverRun,
  ROUNDING_RELATIVE,
  checkCommonOptions,
  stripUndefined,
  type CommonSolverOptions,
  type OwlqnIterationRecord,
  type SolverResult,
  type SolverStatus,
} from './solver-result.js';
import { dot, norm2 } from './vector.js';

/**
 * Orthant-wise limited-memory quasi-Newton (G. Andrew, J. Gao, "Scalable training of
 * L1-regularized log-linear models", ICML 2007) for F(w) = f(w) + Σ_j λ_j |w_j| with f smooth:
 * L-BFGS on the pseudo-gradient, directions constrained to its orthant, and a backtracking line
 * search along the path projected onto the current orthant, which sets coefficients to exact zeros.
 */
export interface OwlqnOptions extends CommonSolverOptions<OwlqnIterationRecord> {
  /**
   * λ_j >= 0: one number for every coefficient except the objective's intercept (always 0), or
   * one per coefficient (0 at the intercept). Required: it is the problem, not a tuning knob.
   */
  readonly l1Penalty: number | Float64Array;
  /** Number of curvature pairs (s, y) kept. @default 10 */
  readonly memory?: number;
  /** Function evaluations allowed per backtracking line search. @default 20 */
  readonly maxLineSearchEvaluations?: number;
  /** Sufficient-decrease constant γ of the projected Armijo condition. @default 1e-4 */
  readonly sufficientDecrease?: number;
}

export type ResolvedOwlqnOptions = Readonly<Required<OwlqnOptions>>;

export const DEFAULT_OWLQN_OPTIONS: Readonly<Required<Omit<OwlqnOptions, 'l1Penalty'>>> = Object.freeze({
  gradientTolerance: 1e-6,
  referenceGradientNorm: null,
  maxIterations: 1000,
  onIteration: null,
  memory: 10,
  maxLineSearchEvaluations: 20,
  sufficientDecrease: 1e-4,
});

const KNOWN = [...Object.keys(DEFAULT_OWLQN_OPTIONS), 'l1Penalty'];
const BACKTRACK = 0.5;

export function resolveOwlqnOptions(options: OwlqnOptions): ResolvedOwlqnOptions {
  if (options === null || typeof options !== 'object') throw invalidArgument('options', options, 'must be an object with at least l1Penalty');
  checkKnownKeys('options', options, KNOWN);
  const o = { ...DEFAULT_OWLQN_OPTIONS, ...stripUndefined(options) } as Required<OwlqnOptions>;
  checkCommonOptions(o);
  checkMemory(o.memory);
  checkLineSearchBudget(o.maxLineSearchEvaluations);
  if (typeof o.sufficientDecrease !== 'number' || !(o.sufficientDecrease > 0 && o.sufficientDecrease < 0.5)) {
    throw invalidArgument('sufficientDecrease', o.sufficientDecrease, 'must be a number in (0, 0.5)');
  }
  const lambda = o.l1Penalty;
  if (typeof lambda === 'number') {
    if (!Number.isFinite(lambda) || lambda < 0) throw invalidArgument('l1Penalty', lambda, 'must be a finite number >= 0');
  } else if (lambda instanceof Float64Array) {
    for (let j = 0; j < lambda.length; j++) {
      const v = lambda[j] as number;
      if (!Number.isFinite(v) || v < 0) throw invalidArgument(`l1Penalty[${j}]`, v, 'must be a finite number >= 0');
    }
  } else {
    throw invalidArgument('l1Penalty', lambda, 'must be a number or a Float64Array (one λ per coefficient)');
  }
  return Object.freeze({ ...o, l1Penalty: typeof lambda === 'number' ? lambda : Float64Array.from(lambda) });
}

/**
 * The pseudo-gradient ◇F of F = f + Σ λ_j|w_j| (Andrew & Gao 2007, eq. 4): the gradient where
 * w_j ≠ 0; at w_j = 0 the one-sided derivative that points downhill, or 0 when neither does.
 */
export function pseudoGradient(w: Float64Array, g: Float64Array, lambda: Float64Array, out: Float64Array): void {
  const n = w.length;
  for (let j = 0; j < n; j++) {
    const wj = w[j] as number;
    const gj = g[j] as number;
    const lj = lambda[j] as number;
    if (wj > 0) out[j] = gj + lj;
    else if (wj < 0) out[j] = gj - lj;
    else if (gj + lj < 0) out[j] = gj + lj;
    else if (gj - lj > 0) out[j] = gj - lj;
    else out[j] = 0;
  }
}

function l1Norm(w: Float64Array, lambda: Float64Array): number {
  let s = 0;
  for (let j = 0; j < w.length; j++) s += (lambda[j] as number) * Math.abs(w[j] as number);
  return s;
}

/** OWL-QN, configured once; `minimize` may run many problems of the same kind. */
export class OwlqnSolver {
  readonly options: ResolvedOwlqnOptions;

  constructor(options: OwlqnOptions) {
    this.options = resolveOwlqnOptions(options);
  }

  /** λ per coefficient for this objective (intercept unpenalised). */
  penaltyFor(objective: DifferentiableObjective): Float64Array {
    const n = objective.dimension;
    const lambda = this.options.l1Penalty;
    const icpt = objective.interceptIndex;
    if (typeof lambda === 'number') {
      const out = new Float64Array(n).fill(lambda);
      if (icpt !== null) out[icpt] = 0;
      return out;
    }
    if (lambda.length !== n) throw invalidArgument('l1Penalty', lambda, `must have one entry per coefficient (dimension ${n})`);
    if (icpt !== null && lambda[icpt] !== 0) {
      throw invalidArgument(`l1Penalty[${icpt}]`, lambda[icpt], 'must be 0 at the intercept (the intercept is never penalised)');
    }
    return lambda;
  }

  minimize(objective: DifferentiableObjective, initialWeights?: Float64Array): SolverResult<OwlqnIterationRecord> {
    const o = this.options;
    const n = objective.dimension;
    const lambda = this.penaltyFor(objective);
    const run = new SolverRun<OwlqnIterationRecord>();
    const counter = run.counter;
    const start = run.evaluateStart(objective, initialWeights);
    let w = start.w;
    let g = start.g;
    let F = start.f + l1Norm(w, lambda);
    let pg: Float64Array = new Float64Array(n);
    pseudoGradient(w, g, lambda, pg);
    let pgnorm = norm2(pg);
    const threshold = run.start(F, pgnorm, o);
    const history = run.history;
    const finish = (status: SolverStatus, message: string, iterations: number): SolverResult<OwlqnIterationRecord> => run.finish(status, message, iterations, w, F, pgnorm);
    if (pgnorm <= threshold) return finish('converged', 'the starting point already meets the pseudo-gradient tolerance', 0);

    const memory = new LbfgsMemory(n, o.memory);
    const d = new Float64Array(n);
    const orthant = new Float64Array(n);
    let wNew: Float64Array = new Float64Array(n);
    let gNew: Float64Array = new Float64Array(n);
    let pgNew: Float64Array = new Float64Array(n);
    let acceptedSteps = 0;
    let lowestGradientNorm = pgnorm;
    let stalled = 0;

    for (let iteration = 1; ; iteration++) {
      if (iteration > o.maxIterations) {
        return finish('max-iterations', `stopped after ${o.maxIterations} iterations; pseudo-gradient norm ${pgnorm} > ${threshold}`, o.maxIterations);
      }
      memory.direction(pg, d);
      // Keep only the components that agree in sign with steepest descent −◇F (Andrew & Gao §3.2).
      for (let j = 0; j < n; j++) if ((d[j] as number) * (pg[j] as number) >= 0) d[j] = 0;
      if (!(dot(d, pg) < 0)) {
        memory.clear();
        memory.direction(pg, d); // = −◇F: always a descent direction when ◇F ≠ 0
      }
      // The orthant to search in: the sign of w_j, or of −◇F_j where w_j = 0.
      for (let j = 0; j < n; j++) {
        const wj = w[j] as number;
        orthant[j] = wj !== 0 ? Math.sign(wj) : -Math.sign(pg[j] as number);
      }
      let alpha = memory.size === 0 ? Math.min(1, 1 / norm2(d)) : 1;
      let evaluations = 0;
      let accepted = false;
      let FNew = F;
      const noise = ROUNDING_RELATIVE * Math.abs(F);
      while (evaluations < o.maxLineSearchEvaluations) {
        // w(α) = π(w + α d; orthant): coordinates that would leave the orthant are set to 0.
        let decrease = 0; // ◇F(w)ᵀ(w(α) − w) < 0
        for (let j = 0; j < n; j++) {
          let v = (w[j] as number) + alpha * (d[j] as number);
          if (Math.sign(v) !== orthant[j]) v = 0;
          wNew[j] = v;
          decrease += (pg[j] as number) * (v - (w[j] as number));
        }
        let value = objective.valueAndGradient(wNew, gNew) + l1Norm(wNew, lambda);
        counter.functionEvaluations++;
        counter.gradientEvaluations++;
        evaluations++;
        if (!Number.isFinite(value)) value = Number.POSITIVE_INFINITY;
        // Sufficient decrease; within rounding of F, where values cannot rank points, its slope form.
        let ok: boolean;
        if (Math.abs(value - F) <= noise) {
          // F is linear-plus-smooth on the orthant, so its slope at w(α) along the step is
          // (∇f(w(α)) + λ∘orthant)ᵀ(w(α) − w); require the derivative form of sufficient decrease
          // (Hager & Zhang 2005, approximate Wolfe): slope <= (2γ − 1)·◇F(w)ᵀ(w(α) − w).
          let slope = 0;
          for (let j = 0; j < n; j++) {
            slope += ((gNew[j] as number) + (lambda[j] as number) * (orthant[j] as number)) * ((wNew[j] as number) - (w[j] as number));
          }
          ok = slope <= (2 * o.sufficientDecrease - 1) * decrease;
        } else {
          ok = value <= F + o.sufficientDecrease * decrease;
        }
        if (ok) {
          FNew = value;
          accepted = true;
          break;
        }
        alpha *= BACKTRACK;
      }

      let stepNorm = 0;
      const previousObjective = F;
      if (accepted) {
        memory.push(wNew, w, gNew, g); // curvature of the smooth part only
        for (let j = 0; j < n; j++) {
          const s = (wNew[j] as number) - (w[j] as number);
          stepNorm += s * s;
        }
        stepNorm = Math.sqrt(stepNorm);
        [w, wNew] = [wNew, w];
        [g, gNew] = [gNew, g];
        pseudoGradient(w, g, lambda, pgNew);
        [pg, pgNew] = [pgNew, pg];
        F = FNew;
        pgnorm = norm2(pg);
        acceptedSteps++;
      }
      let nonZeros = 0;
      for (let j = 0; j < n; j++) if (w[j] !== 0) nonZeros++;
      const record: OwlqnIterationRecord = {
        iteration,
        objective: F,
        gradientNorm: pgnorm,
        stepNorm,
        accepted,
        stepSize: accepted ? alpha : 0,
        lineSearchEvaluations: evaluations,
        nonZeros,
        ...counter.snapshot(),
      };
      history.push(record);
      if (o.onIteration !== null) o.onIteration(record);

      if (pgnorm <= threshold) return finish('converged', `pseudo-gradient norm ${pgnorm} <= ${threshold}`, iteration);
      if (accepted && Math.abs(previousObjective - F) <= ROUNDING_RELATIVE * Math.abs(F) && !(pgnorm < lowestGradientNorm)) stalled++;
      else stalled = 0;
      lowestGradientNorm = Math.min(lowestGradientNorm, pgnorm);
      if (stalled >= STALL_LIMIT) {
        return finish('not-improving', `F changes below rounding (${F}) and the pseudo-gradient norm has not reached a new low (${lowestGradientNorm}) in ${STALL_LIMIT} iterations`, iteration);
      }
      if (!accepted) {
        if (memory.size > 0) {
          memory.clear();
          continue;
        }
        const start = acceptedSteps === 0 ? ' (no step was accepted: the weights are the starting point)' : '';
        return finish('not-improving', `the line search found no decrease along the steepest-descent orthant direction${start}`, iteration);
      }
    }
  }
}
