import { inv } from 'mathjs';
import { CsrMatrix, createDataset } from '../data/csr-matrix.js';
import { logisticLoss } from '../loss/logistic.js';
import { glmObjective } from '../objective/glm-objective.js';
import { TronSolver } from '../solver/tron.js';

/**
 * One random-effect block's per-entity problems, as bare typed arrays so the same arrays (on
 * SharedArrayBuffers) can be handed to worker threads. Rows are grouped by entity: entity e owns
 * rows [groupPtr[e], groupPtr[e + 1]); labels, weights and offsets are in that grouped order.
 */
export interface EntityProblems {
  readonly width: number;
  readonly groupPtr: Int32Array;
  readonly rowPtr: Int32Array;
  readonly colIdx: Int32Array;
  readonly values: Float32Array | null;
  readonly labels: Float64Array;
  readonly weights: Float64Array | null;
  readonly offsets: Float64Array;
  /** Prior precision per local coefficient (bias first), shared by every entity... */
  readonly precision: Float64Array;
  /**
   * ...unless a previous model gives an entity its own prior (incremental training): entities ×
   * width means and precisions; an entity whose row holds NaN precision keeps the shared prior.
   */
  readonly entityPriorMean: Float64Array | null;
  readonly entityPriorPrecision: Float64Array | null;
}

/** The prior of entity e: its own from a previous model when there is one, else the shared one. */
function priorOf(p: EntityProblems, e: number): { mean: Float64Array | null; precision: Float64Array } {
  if (p.entityPriorPrecision === null || p.entityPriorMean === null) return { mean: null, precision: p.precision };
  const base = e * p.width;
  if (Number.isNaN(p.entityPriorPrecision[base] as number)) return { mean: null, precision: p.precision };
  return { mean: p.entityPriorMean.slice(base, base + p.width), precision: p.entityPriorPrecision.slice(base, base + p.width) };
}

export interface EntitySolverSettings {
  readonly gradientTolerance: number;
  readonly maxIterations: number;
  /**
   * Also compute each entity's full posterior covariance H⁻¹ at the mode (width × width), into the
   * `covariances` array passed to `fitEntityList`. For small blocks only: it costs width
   * Hessian-vector products and a dense inverse per entity.
   */
  readonly fullCovariance: boolean;
}

/** Entities per solver status, in the order converged, max-iterations, not-improving. */
export type EntityStatusCounts = [number, number, number];

/**
 * Fits the listed entities in place: each entity's coefficients (warm-started from what
 * `coefficients` holds) and Laplace variances 1/diag(H) at the mode. An entity with no rows keeps
 * its prior (its prior mean, variance 1/precision).
 */
export function fitEntityList(
  p: EntityProblems,
  entities: ArrayLike<number>,
  settings: EntitySolverSettings,
  coefficients: Float64Array,
  variances: Float64Array,
  covariances: Float64Array | null = null,
): EntityStatusCounts {
  const solver = new TronSolver({ gradientTolerance: settings.gradientTolerance, maxIterations: settings.maxIterations });
  const width = p.width;
  const counts: EntityStatusCounts = [0, 0, 0];
  const g = new Float64Array(width);
  const h = new Float64Array(width);
  for (let n = 0; n < entities.length; n++) {
    const e = entities[n] as number;
    const start = p.groupPtr[e] as number;
    const end = p.groupPtr[e + 1] as number;
    const base = e * width;
    const prior = priorOf(p, e);
    if (end === start) {
      if (prior.mean === null) coefficients.fill(0, base, base + width);
      else coefficients.set(prior.mean, base);
      for (let k = 0; k < width; k++) variances[base + k] = 1 / (prior.precision[k] as number);
      if (settings.fullCovariance && covariances !== null) {
        const c = e * width * width;
        covariances.fill(0, c, c + width * width);
        for (let k = 0; k < width; k++) covariances[c + k * width + k] = 1 / (prior.precision[k] as number);
      }
      counts[0]++;
      continue;
    }
    const first = p.rowPtr[start] as number;
    const last = p.rowPtr[end] as number;
    const rowPtr = new Int32Array(end - start + 1);
    for (let r = start; r <= end; r++) rowPtr[r - start] = (p.rowPtr[r] as number) - first;
    const x = new CsrMatrix(end - start, width, rowPtr, p.colIdx.subarray(first, last), p.values === null ? null : p.values.subarray(first, last));
    const objective = glmObjective(
      createDataset({
        x,
        labels: p.labels.slice(start, end),
        weights: p.weights === null ? null : p.weights.slice(start, end),
        offsets: p.offsets.slice(start, end),
      }),
      logisticLoss,
      { priorPrecision: prior.precision, priorMean: prior.mean },
    );
    const result = solver.minimize(objective, coefficients.slice(base, base + width));
    counts[result.status === 'converged' ? 0 : result.status === 'max-iterations' ? 1 : 2]++;
    coefficients.set(result.weights, base);
    // Laplace: curvature at the mode, then 1 / H_kk.
    objective.valueAndGradient(result.weights, g);
    objective.hessianDiagonal(h);
    for (let k = 0; k < width; k++) variances[base + k] = (h[k] as number) > 0 ? 1 / (h[k] as number) : Number.MAX_VALUE;
    if (settings.fullCovariance && covariances !== null) {
      // H column by column from Hessian-vector products on unit vectors, then H⁻¹ (the Laplace
      // covariance; H is positive definite because every prior precision is > 0).
      const unit = new Float64Array(width);
      const column = new Float64Array(width);
      const dense: number[][] = Array.from({ length: width }, () => new Array<number>(width).fill(0));
      for (let k = 0; k < width; k++) {
        unit.fill(0);
        unit[k] = 1;
        objective.hessianVector(unit, column);
        for (let r = 0; r < width; r++) (dense[r] as number[])[k] = column[r] as number;
      }
      const inverse = inv(dense);
      const c = e * width * width;
      for (let r = 0; r < width; r++) for (let k = 0; k < width; k++) covariances[c + r * width + k] = (inverse[r] as number[])[k] as number;
    }
  }
  return counts;
}

/** Splits entities into `parts` lists of about equal total rows (largest first, greedy). */
export function balanceEntities(groupPtr: Int32Array, parts: number): Int32Array[] {
  const entities = groupPtr.length - 1;
  const order = Array.from({ length: entities }, (_, e) => e).sort((a, b) => (groupPtr[b + 1]! - groupPtr[b]!) - (groupPtr[a + 1]! - groupPtr[a]!) || a - b);
  const load = new Float64Array(parts);
  const lists: number[][] = Array.from({ length: parts }, () => []);
  for (const e of order) {
    let best = 0;
    for (let q = 1; q < parts; q++) if ((load[q] as number) < (load[best] as number)) best = q;
    lists[best]!.push(e);
    // A little fixed cost per entity, so many empty entities still spread out.
    load[best]! += groupPtr[e + 1]! - groupPtr[e]! + 1;
  }
  return lists.map((l) => Int32Array.from(l.sort((a, b) => a - b)));
}
