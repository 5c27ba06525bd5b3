import { checkKnownKeys, invalidArgument } from '@laserkit/core';
import type { TwiceDifferentiableObjective } from '../objective/objective.js';
import {
  SolverRun,
  type EvaluationCounter,
  ROUNDING_RELATIVE,
  checkCommonOptions,
  stripUndefined,
  type CommonSolverOptions,
  type SolverResult,
  type SolverStatus,
  type TronIterationRecord,
} from './solver-result.js';
import { addScaled, axpy, dot, norm2, weightedDot } from './vector.js';

/**
 * Trust-region Newton method with (preconditioned) conjugate gradient, as in liblinear:
 * - C.-J. Lin, R. C. Weng, S. S. Keerthi, "Trust region Newton method for large-scale logistic
 *   regression", JMLR 9, 2008 (Alg. 1-2): truncated CG on the Newton system inside a trust region;
 * - C.-Y. Hsia, Y. Zhu, C.-J. Lin, "A study on trust region update rules in Newton methods for
 *   large-scale linear classification", ACML 2017: the radius update used here (grow by σ₃ when
 *   CG stopped on the boundary and the step was very successful);
 * - C.-Y. Hsia, W.-L. Chiang, C.-J. Lin, "Preconditioned conjugate gradient methods in truncated
 *   Newton frameworks for large-scale linear classification", ACML 2018: the diagonal
 *   preconditioner M = (1 − α) I + α diag(H), α = 0.01, with the trust region measured in ‖·‖_M.
 * Constants are liblinear's (tron.cpp, versions 2.20 to 2.3x).
 */
export interface TronOptions extends CommonSolverOptions<TronIterationRecord> {
  /**
   * Precondition CG with M = (1 − α) I + α diag(H), α = 0.01 (Hsia, Chiang & Lin 2018; liblinear's
   * default since 2.20). Off means M = I, the JMLR 2008 algorithm with the 2017 radius rules.
   * @default true
   */
  readonly preconditioning?: boolean;
  /**
   * CG stops when ‖r‖_{M⁻¹} <= cgTolerance × ‖g‖_{M⁻¹} (liblinear's eps_cg); smaller solves each
   * Newton system more exactly at more Hessian-vector products.
   * @default 0.1
   */
  readonly cgTolerance?: number;
  /**
   * Cap on CG iterations per Newton step; null means the dimension (CG's finite-termination bound
   * in exact arithmetic; liblinear 2.3 has no cap).
   * @default null
   */
  readonly maxCgIterations?: number | null;
}

export type ResolvedTronOptions = Readonly<Required<TronOptions>>;

export const DEFAULT_TRON_OPTIONS: ResolvedTronOptions = Object.freeze({
  gradientTolerance: 1e-6,
  referenceGradientNorm: null,
  maxIterations: 1000,
  onIteration: null,
  preconditioning: true,
  cgTolerance: 0.1,
  maxCgIterations: null,
});

const KNOWN = Object.keys(DEFAULT_TRON_OPTIONS);

// Step acceptance and radius update (Lin, Weng & Keerthi 2008, §2; Hsia, Zhu & Lin 2017).
const ETA0 = 1e-4;
const ETA1 = 0.25;
const ETA2 = 0.75;
const SIGMA1 = 0.25;
const SIGMA2 = 0.5;
const SIGMA3 = 4;
/** Preconditioner mixing weight α (Hsia, Chiang & Lin 2018). */
const PRECONDITIONER_ALPHA = 0.01;

export function resolveTronOptions(options: TronOptions = {}): ResolvedTronOptions {
  if (options === null || typeof options !== 'object') throw invalidArgument('options', options, 'must be an object');
  checkKnownKeys('options', options, KNOWN);
  const o = { ...DEFAULT_TRON_OPTIONS, ...stripUndefined(options) } as Required<TronOptions>;
  checkCommonOptions(o);
  if (typeof o.preconditioning !== 'boolean') throw invalidArgument('preconditioning', o.preconditioning, 'must be a boolean');
  if (typeof o.cgTolerance !== 'number' || !(o.cgTolerance > 0 && o.cgTolerance < 1)) {
    throw invalidArgument('cgTolerance', o.cgTolerance, 'must be a number in (0, 1)');
  }
  if (o.maxCgIterations !== null && (typeof o.maxCgIterations !== 'number' || !Number.isInteger(o.maxCgIterations) || o.maxCgIterations < 1)) {
    throw invalidArgument('maxCgIterations', o.maxCgIterations, 'must be null or an integer >= 1');
  }
  return Object.freeze(o);
}

/**
 * liblinear's stopping tolerance for -s 0 and -s 2 (train.c / linear.cpp): the user's eps scaled
 * by max(min(#pos, #neg), 1) / l. To reproduce `liblinear-train -s 0 -e eps`, run TRON from zero
 * with `gradientTolerance: liblinearGradientTolerance(eps, labels)` (the reference norm is then
 * ‖∇f(0)‖₂, as liblinear's). Labels count as positive when > 0 (0/1 or ±1 both work).
 */
export function liblinearGradientTolerance(eps: number, labels: ArrayLike<number>): number {
  if (typeof eps !== 'number' || !(eps > 0) || !Number.isFinite(eps)) throw invalidArgument('eps', eps, 'must be a finite number > 0');
  const l = labels.length;
  if (l === 0) throw invalidArgument('labels', labels, 'must not be empty');
  let pos = 0;
  for (let i = 0; i < l; i++) if ((labels[i] as number) > 0) pos++;
  return (eps * Math.max(Math.min(pos, l - pos), 1)) / l;
}

interface CgOutcome {
  iterations: number;
  reachedBoundary: boolean;
}

/** TRON, configured once; `minimize` may run many problems. */
export class TronSolver {
  readonly options: ResolvedTronOptions;

  constructor(options: TronOptions = {}) {
    this.options = resolveTronOptions(options);
  }

  minimize(objective: TwiceDifferentiableObjective, initialWeights?: Float64Array): SolverResult<TronIterationRecord> {
    const o = this.options;
    const n = objective.dimension;
    const run = new SolverRun<TronIterationRecord>();
    const counter = run.counter;
    const start = run.evaluateStart(objective, initialWeights);
    let w = start.w;
    let g = start.g;
    let f = start.f;
    let gnorm = norm2(g);
    const threshold = run.start(f, gnorm, o);
    const history = run.history;
    const finish = (status: SolverStatus, message: string, iterations: number): SolverResult<TronIterationRecord> => run.finish(status, message, iterations, w, f, gnorm);
    if (gnorm <= threshold) return finish('converged', 'the starting point already meets the gradient tolerance', 0);

    const maxCg = o.maxCgIterations ?? Math.max(n, 1);
    const M = new Float64Array(n).fill(1);
    const s = new Float64Array(n);
    const r = new Float64Array(n);
    const z = new Float64Array(n);
    const d = new Float64Array(n);
    const Hd = new Float64Array(n);
    let wNew: Float64Array = new Float64Array(n);
    let gNew: Float64Array = new Float64Array(n);
    let delta = 0;
    let acceptedSteps = 0;

    for (let iteration = 1; ; iteration++) {
      if (iteration > o.maxIterations) {
        return finish('max-iterations', `stopped after ${o.maxIterations} iterations (${acceptedSteps} accepted); gradient norm ${gnorm} > ${threshold}`, o.maxIterations);
      }
      if (o.preconditioning) {
        objective.hessianDiagonal(M);
        for (let j = 0; j < n; j++) M[j] = 1 - PRECONDITIONER_ALPHA + PRECONDITIONER_ALPHA * (M[j] as number);
      }
      // Initial radius ‖g‖_M, then shrunk to the first step's length below (liblinear).
      if (iteration === 1) delta = Math.sqrt(weightedDot(g, M, g));
      const cg = this.truncatedCg(objective, counter, delta, g, M, s, r, z, d, Hd, maxCg);

      addScaled(w, 1, s, wNew);
      const gs = dot(g, s);
      const predicted = -0.5 * (gs - dot(s, r)); // r = −g − Hs, so this is −(gᵀs + ½ sᵀHs)
      let fNew = objective.valueAndGradient(wNew, gNew);
      counter.functionEvaluations++;
      counter.gradientEvaluations++;
      if (Number.isNaN(fNew)) fNew = Number.POSITIVE_INFINITY;
      const actual = f - fNew;
      const sNorm = Math.sqrt(weightedDot(s, M, s));
      if (iteration === 1) delta = Math.min(delta, sNorm);

      // α·‖s‖ is where the quadratic through f, gᵀs and fNew along s has its minimum (Lin & Moré 1999).
      const deltaBefore = delta;
      const curvatureAlongStep = fNew - f - gs;
      const alpha = curvatureAlongStep <= 0 ? SIGMA3 : Math.max(SIGMA1, (-0.5 * gs) / curvatureAlongStep);
      if (actual < ETA0 * predicted) delta = Math.min(alpha * sNorm, SIGMA2 * delta);
      else if (actual < ETA1 * predicted) delta = Math.max(SIGMA1 * delta, Math.min(alpha * sNorm, SIGMA2 * delta));
      else if (actual < ETA2 * predicted) delta = Math.max(SIGMA1 * delta, Math.min(alpha * sNorm, SIGMA3 * delta));
      else if (cg.reachedBoundary) delta = SIGMA3 * delta;
      else delta = Math.max(delta, Math.min(alpha * sNorm, SIGMA3 * delta));

      let accepted = actual > ETA0 * predicted;
      // liblinear stops once both reductions are below rounding of f. Its gradient, computed
      // accurately, can still rank the trial point: accept it when ‖∇f‖ decreased (and keep the
      // radius), so a tight gradientTolerance is reached rather than cut short; otherwise stop.
      const noise = ROUNDING_RELATIVE * Math.abs(f);
      const belowRounding = Math.abs(actual) <= noise && Math.abs(predicted) <= noise;
      if (belowRounding) {
        accepted = norm2(gNew) < gnorm;
        delta = deltaBefore;
      }
      let stepNorm = 0;
      if (accepted) {
        stepNorm = norm2(s);
        [w, wNew] = [wNew, w];
        [g, gNew] = [gNew, g];
        f = fNew;
        gnorm = norm2(g);
        acceptedSteps++;
      } else {
        // The trial point moved the objective's cached curvature; put it back at w for the next CG.
        objective.valueAndGradient(w, gNew);
        counter.functionEvaluations++;
        counter.gradientEvaluations++;
      }
      const record: TronIterationRecord = {
        iteration,
        objective: f,
        gradientNorm: gnorm,
        stepNorm,
        accepted,
        trustRadius: delta,
        actualReduction: actual,
        predictedReduction: predicted,
        cgIterations: cg.iterations,
        reachedBoundary: cg.reachedBoundary,
        ...counter.snapshot(),
      };
      history.push(record);
      if (o.onIteration !== null) o.onIteration(record);

      if (gnorm <= threshold) return finish('converged', `gradient norm ${gnorm} <= ${threshold}`, iteration);
      if (!accepted) {
        const start = acceptedSteps === 0 ? ' (no step was accepted: the weights are the starting point)' : '';
        if (belowRounding) {
          return finish('not-improving', `reductions are below rounding of f (${f}) and the gradient norm no longer decreases (${gnorm})${start}`, iteration);
        }
        if (!(predicted > 0)) return finish('not-improving', `the quadratic model predicts no decrease (${predicted})${start}`, iteration);
        if (!(delta > 0) || !Number.isFinite(delta)) return finish('not-improving', `the trust region collapsed (radius ${delta})${start}`, iteration);
      }
    }
  }

  /**
   * Preconditioned CG on H s = −g restricted to ‖s‖_M <= Δ (Steihaug 1983; Lin, Weng & Keerthi
   * 2008 Alg. 2; Hsia, Chiang & Lin 2018 Alg. 2). On exit s is the step and r = −g − H s.
   */
  private truncatedCg(
    objective: TwiceDifferentiableObjective,
    counter: EvaluationCounter,
    delta: number,
    g: Float64Array,
    M: Float64Array,
    s: Float64Array,
    r: Float64Array,
    z: Float64Array,
    d: Float64Array,
    Hd: Float64Array,
    maxIterations: number,
  ): CgOutcome {
    const n = g.length;
    for (let j = 0; j < n; j++) {
      s[j] = 0;
      r[j] = -(g[j] as number);
      z[j] = (r[j] as number) / (M[j] as number);
      d[j] = z[j] as number;
    }
    let zTr = dot(z, r);
    const tolerance = this.options.cgTolerance * Math.sqrt(zTr);
    let iterations = 0;
    while (Math.sqrt(zTr) > tolerance && iterations < maxIterations) {
      iterations++;
      objective.hessianVector(d, Hd);
      counter.hessianVectorProducts++;
      const dHd = dot(d, Hd);
      if (Number.isNaN(dHd)) break;
      if (dHd <= 0) {
        // No positive curvature along d (possible only with unpenalised directions the data does
        // not reach): the model keeps decreasing along d, so go to the boundary (Steihaug).
        const tau = stepToBoundary(s, d, M, delta);
        axpy(tau, d, s);
        axpy(-tau, Hd, r);
        return { iterations, reachedBoundary: true };
      }
      const alpha = zTr / dHd;
      axpy(alpha, d, s);
      if (Math.sqrt(weightedDot(s, M, s)) > delta) {
        axpy(-alpha, d, s);
        const tau = stepToBoundary(s, d, M, delta);
        axpy(tau, d, s);
        axpy(-tau, Hd, r);
        return { iterations, reachedBoundary: true };
      }
      axpy(-alpha, Hd, r);
      for (let j = 0; j < n; j++) z[j] = (r[j] as number) / (M[j] as number);
      const zTrNew = dot(z, r);
      const beta = zTrNew / zTr;
      for (let j = 0; j < n; j++) d[j] = (z[j] as number) + beta * (d[j] as number);
      zTr = zTrNew;
    }
    return { iterations, reachedBoundary: false };
  }
}

/**
 * τ >= 0 with ‖s + τ d‖_M = Δ, given ‖s‖_M <= Δ: the positive root of
 * dᵀMd τ² + 2 sᵀMd τ + sᵀMs − Δ² = 0, in the form that avoids cancellation.
 */
function stepToBoundary(s: Float64Array, d: Float64Array, M: Float64Array, delta: number): number {
  const sMd = weightedDot(s, M, d);
  const sMs = weightedDot(s, M, s);
  const dMd = weightedDot(d, M, d);
  const gap = Math.max(delta * delta - sMs, 0);
  const rad = Math.sqrt(sMd * sMd + dMd * gap);
  return sMd >= 0 ? gap / (sMd + rad) : (rad - sMd) / dMd;
}
