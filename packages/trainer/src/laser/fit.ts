import { SeededRng, invalidArgument, type FeatureSpaceJson } from '@laserkit/core';
import { CROSS_NAMESPACES, type GlmixModel } from '@laserkit/model';
import { createDataset, type CsrMatrix } from '../data/csr-matrix.js';
import type { TrainingSet } from '../data/training-set.js';
import { logisticLoss } from '../loss/logistic.js';
import { glmObjective } from '../objective/glm-objective.js';
import { ParallelGlmObjective } from '../objective/parallel-glm-objective.js';
import type { TwiceDifferentiableObjective } from '../objective/objective.js';
import type { SolverResult, TronIterationRecord } from '../solver/solver-result.js';
import { TronSolver, type TronOptions } from '../solver/tron.js';
import { LbfgsSolver, type LbfgsOptions } from '../solver/lbfgs.js';
import { LowRankCrossObjective } from '../objective/low-rank-cross-objective.js';
import { spectralCrossStart } from './cross-init.js';
import type { LineSearchIterationRecord } from '../solver/solver-result.js';
import { buildFixedDesign, planFixedEffect, INTERCEPT_COLUMN, type FixedEffectSpec, type FixedLayout } from './fixed-design.js';
import { availableParallelism } from 'node:os';
import { buildRandomEffectDesign, planRandomEffect, type PlannedRandomEffect, type RandomEffectDesign, type RandomEffectSpec } from './random-effect-design.js';
import { EntityFitPool } from './entity-pool.js';
import type { EntitySolverSettings } from './entity-fit.js';
import { toGlmixModel, type FittedLowRankCross, type FittedRandomEffect } from './to-model.js';

/**
 * LASER's three prior variances (WSDM 2014, §3.3): one for the cold-start coefficients Θc, one for
 * the per-entity biases δ_j, one for the per-entity feature coefficients η_j and ξ_j.
 */
export interface PriorVariances {
  /** @default 1 */
  readonly cold: number;
  /** @default 1 */
  readonly bias: number;
  /** @default 0.1 */
  readonly coefficients: number;
  /**
   * Entries of low-rank cross factors U, V. The penalty ½(‖U‖² + ‖V‖²)/variance equals
   * ‖U Vᵀ‖_* / variance at its best split, so 1 / variance is the singular value the loss gradient
   * wrt the full cross matrix must exceed before a direction leaves zero (see cross-init.ts).
   * Much smaller than `cold`: measured on generated traffic (2,000 user × 500 ad features, rank 4),
   * 0.005-0.01 overfit badly at 256k-640k rows, 0.002 helped slightly at 640k rows and 0.001 kept
   * every direction at zero. @default 0.001
   */
  readonly factors: number;
  /**
   * Coefficients of crosses over selected pairs (`fixed.crosses`), when they should not share the
   * cold-start variance: one pair's coefficient A_fg is much smaller than a main effect (a cross
   * term sums many pairs). @default the `cold` variance (LASER ties them)
   */
  readonly crosses?: number;
}

export const DEFAULT_PRIOR_VARIANCES: PriorVariances = Object.freeze({ cold: 1, bias: 1, coefficients: 0.1, factors: 0.001 });

export interface LaserFitOptions {
  readonly fixed?: FixedEffectSpec;
  readonly randomEffects?: readonly RandomEffectSpec[];
  readonly priorVariances?: Partial<PriorVariances>;
  /**
   * Block coordinate descent passes between the cold-start block and the random-effect blocks
   * (GLMix, KDD 2016, Alg. 1). LASER's procedure is one pass: cold start, then warm start with the
   * cold-start score as offset. @default 1
   */
  readonly passes?: number;
  /** Solver settings for the cold-start fit. @default { gradientTolerance: 1e-4 } */
  readonly tron?: TronOptions;
  /**
   * Solver settings for the joint fit with low-rank crosses. The parameter vector is small next to
   * the rows (each iteration is a pass over the data), so a long L-BFGS memory costs little: on
   * 640k generated rows with three rank-4 crosses, memory 50 converged in 147 iterations where
   * memory 10 had not after 200, to the same held-out AUC.
   * @default { gradientTolerance: 1e-4, maxIterations: 200, memory: 50 }
   */
  readonly lbfgs?: LbfgsOptions;
  /**
   * How low-rank cross factors start before the joint fit: `'spectral'` from the top singular
   * directions of the loss gradient wrt each full cross matrix at the linear fit, scaled by a line
   * search (see cross-init.ts); `'random'` from small random factors (sd 0.01). @default 'spectral'
   */
  readonly crossStart?: 'spectral' | 'random';
  /** Seed of the random initial factors of low-rank crosses (and of the spectral start's subspace iteration). @default 1 */
  readonly seed?: number;
  /**
   * Also return each entity's full posterior covariance H⁻¹ (in `covariances`) for random-effect
   * blocks at most this wide; the artifact keeps the diagonal variances 1/diag(H). @default 0 (never)
   */
  readonly fullCovarianceMaxWidth?: number;
  /** Solver settings for each per-entity fit. @default { gradientTolerance: 1e-5, maxIterations: 100 } */
  readonly entityTron?: TronOptions;
  /** The feature space the indices came from, recorded in the model. */
  readonly featureSpace?: FeatureSpaceJson;
  readonly modelId?: string;
  readonly modelVersion?: number;
  /**
   * Incremental training (LASER §3.3; Photon ML's warm start): the previous model's coefficients
   * become the prior means and its posterior variances the prior variances, term by term and entity
   * by entity; what the previous model lacks keeps the default prior. Its dimensions must match.
   */
  readonly previousModel?: GlmixModel;
  /**
   * A previous fit on the same training set whose cold-start part is reused as it is (single
   * pass only): tuning the warm-start variances does not refit the cold start each time.
   */
  readonly reuseColdStart?: LaserFitResult;
  /**
   * Threads for the cold-start objective (rows split across workers and the calling thread) and
   * the per-entity fits (0: everything on the calling thread). Threads need the
   * compiled package; from TypeScript sources without a build the fits run on the calling thread.
   * @default os.availableParallelism()
   */
  readonly threads?: number;
  /** Called with a short line at each stage and each cold-start iteration. */
  readonly onProgress?: (event: FitProgress) => void;
}

export type FitProgress =
  | { readonly stage: 'design'; readonly message: string }
  | { readonly stage: 'cold'; readonly pass: number; readonly record: TronIterationRecord }
  | { readonly stage: 'cold-done'; readonly pass: number; readonly result: SolverResult<TronIterationRecord> }
  | { readonly stage: 'crosses'; readonly pass: number; readonly record: LineSearchIterationRecord }
  | { readonly stage: 'crosses-done'; readonly pass: number; readonly result: SolverResult<LineSearchIterationRecord> }
  | { readonly stage: 'entities'; readonly pass: number; readonly block: string; readonly done: number; readonly total: number };

export interface EntityFitSummary {
  readonly block: string;
  readonly entities: number;
  readonly converged: number;
  readonly maxIterations: number;
  readonly notImproving: number;
  /** Worker threads the fits ran on (0: the calling thread). */
  readonly threads: number;
}

export interface LaserFitResult {
  /** The fitted model (termMeans empty: the train job fills them from a sample). */
  readonly model: GlmixModel;
  readonly layout: FixedLayout;
  readonly plans: readonly PlannedRandomEffect[];
  readonly coldResults: readonly SolverResult<TronIterationRecord>[];
  /** The joint L-BFGS fits with low-rank crosses, one per pass (empty without them). */
  readonly crossResults: readonly SolverResult<LineSearchIterationRecord>[];
  readonly entitySummaries: readonly EntityFitSummary[];
  readonly seconds: { readonly design: number; readonly cold: number; readonly entities: number };
  /** Per random-effect block id, each entity's width × width posterior covariance, row-major, when asked for. */
  readonly covariances: ReadonlyMap<string, Float64Array>;
  /** The cold-start solution, for `reuseColdStart`. */
  readonly coldState: ColdState;
  /** How each low-rank cross started (spectral start only; empty otherwise). */
  readonly crossStarts: readonly CrossStartSummary[];
}

export interface CrossStartSummary {
  readonly id: string;
  readonly pass: number;
  /** Leading singular values of the gradient wrt the full cross matrix; directions above 1 / factor variance start non-zero. */
  readonly singularValues: readonly number[];
  readonly activeRank: number;
  /** Line-search step along those directions. */
  readonly step: number;
}

interface ColdState {
  readonly x: CsrMatrix;
  readonly w: Float64Array;
  readonly theta: Float64Array | undefined;
  readonly jointOffsets: readonly { readonly u: number; readonly v: number }[];
  readonly fixedVariances: Float64Array;
  readonly fixedScore: Float64Array;
}

function resolveVariances(v: Partial<PriorVariances> = {}): PriorVariances {
  const out = { ...DEFAULT_PRIOR_VARIANCES, ...Object.fromEntries(Object.entries(v).filter(([, x]) => x !== undefined)) } as PriorVariances;
  for (const [k, x] of Object.entries(out)) {
    if (typeof x !== 'number' || !Number.isFinite(x) || x <= 0) throw invalidArgument(`priorVariances.${k}`, x, 'must be a finite number > 0');
  }
  return out;
}

/**
 * Fits LASER's model: the cold-start GLM over all rows, then, per entity, the warm-start GLM on
 * that entity's rows with the other blocks' scores as a fixed offset; repeated `passes` times.
 * Posterior variances are Laplace's 1/diag(H) at the mode, for every coefficient.
 */
export async function fitLaser(set: TrainingSet, options: LaserFitOptions = {}): Promise<LaserFitResult> {
  const variances = resolveVariances(options.priorVariances);
  const passes = options.passes ?? 1;
  if (!Number.isInteger(passes) || passes < 1) throw invalidArgument('passes', passes, 'must be an integer >= 1');
  for (let i = 0; i < set.rows; i++) {
    const y = set.labels[i] as number;
    if (y !== 0 && y !== 1) throw invalidArgument(`labels[${i}]`, y, 'must be 0 or 1 for the logistic model');
  }
  const progress = options.onProgress ?? (() => undefined);
  const t0 = performance.now();
  const reuse = options.reuseColdStart;
  if (reuse !== undefined && (passes !== 1 || reuse.coldState.fixedScore.length !== set.rows)) {
    throw invalidArgument('reuseColdStart', 'LaserFitResult', 'needs passes = 1 and the same training set');
  }
  const layout = reuse?.layout ?? planFixedEffect(set, options.fixed);
  const x = reuse?.coldState.x ?? buildFixedDesign(set, layout);
  progress({ stage: 'design', message: `cold-start design: ${x.rows} rows × ${x.cols} columns, ${x.nnz} non-zeros (${layout.crosses.map((c) => `${c.id}: ${c.leftIndex.length} pairs`).join(', ') || 'no crosses'})` });
  const plans = (options.randomEffects ?? []).map((spec) => planRandomEffect(set, spec));
  const designs = plans.map((p) => buildRandomEffectDesign(set, p));
  const tDesign = performance.now();

  const fixedScore = reuse === undefined ? new Float64Array(set.rows) : reuse.coldState.fixedScore.slice();
  const previous = options.previousModel;
  if (previous !== undefined) {
    for (const ns of ['user', 'ad', 'context'] as const) {
      if (previous.dimensions[ns] !== set.dimensions[ns]) throw invalidArgument(`previousModel.dimensions.${ns}`, previous.dimensions[ns], `must equal the data's (${set.dimensions[ns]})`);
    }
  }
  const blockScores = designs.map(() => new Float64Array(set.rows));
  const offsets = new Float64Array(set.rows);
  const coldPrecision = coldPrecisionOf(layout, variances);
  const coldPrior = previous === undefined ? null : coldPriorFrom(previous, layout, coldPrecision);
  let w: Float64Array | undefined = reuse?.coldState.w;
  let fixedVariances: Float64Array = reuse?.coldState.fixedVariances ?? new Float64Array(x.cols);
  const coldResults: SolverResult<TronIterationRecord>[] = reuse === undefined ? [] : [...reuse.coldResults];
  const crossResults: SolverResult<LineSearchIterationRecord>[] = reuse === undefined ? [] : [...reuse.crossResults];
  const lowRank = (options.fixed?.lowRankCrosses ?? []).map((c, i) => {
    const rank = c.rank ?? 4;
    if (CROSS_NAMESPACES[c.id] === undefined) throw invalidArgument(`fixed.lowRankCrosses[${i}].id`, c.id, 'must be userAd, userContext or contextAd');
    if (!Number.isInteger(rank) || rank < 1 || rank > 64) throw invalidArgument(`fixed.lowRankCrosses[${i}].rank`, rank, 'must be an integer in [1, 64]');
    return { id: c.id, rank };
  });
  const lowRankBlocks = lowRank.map((c) => {
    const [l, r] = CROSS_NAMESPACES[c.id];
    return { left: set.features[l], right: set.features[r], rank: c.rank };
  });
  const factorRng = new SeededRng(options.seed ?? 1);
  const crossStart = options.crossStart ?? 'spectral';
  if (crossStart !== 'spectral' && crossStart !== 'random') throw invalidArgument('crossStart', crossStart, "must be 'spectral' or 'random'");
  const crossStarts: CrossStartSummary[] = reuse === undefined ? [] : [...reuse.crossStarts];
  let theta: Float64Array | undefined = reuse?.coldState.theta;
  let jointOffsets: readonly { readonly u: number; readonly v: number }[] = reuse?.coldState.jointOffsets ?? [];
  const fitted: FittedRandomEffect[] = designs.map((d, b) => ({
    plan: plans[b] as PlannedRandomEffect,
    entityIds: d.entityIds,
    coefficients: new Float64Array(d.entityIds.length * d.width),
    variances: new Float64Array(d.entityIds.length * d.width),
  }));
  const summaries: EntityFitSummary[] = [];
  let coldSeconds = 0;
  let entitySeconds = 0;
  const coldSolver = new TronSolver({ gradientTolerance: 1e-4, ...options.tron });
  const entitySettings = { gradientTolerance: options.entityTron?.gradientTolerance ?? 1e-5, maxIterations: options.entityTron?.maxIterations ?? 100, fullCovariance: false };
  const fullCovarianceMaxWidth = options.fullCovarianceMaxWidth ?? 0;
  const covariances = new Map<string, Float64Array>();
  const threads = options.threads ?? availableParallelism();
  if (!Number.isInteger(threads) || threads < 0) throw invalidArgument('threads', threads, 'must be a non-negative integer');

  /** One cold-start fit with the random-effect scores as offset: TRON, then the joint L-BFGS fit of low-rank crosses. */
  const fitCold = async (pass: number): Promise<void> => {
    offsets.fill(0);
    for (const s of blockScores) for (let i = 0; i < set.rows; i++) offsets[i]! += s[i]!;
    // Data-parallel over rows on worker threads (the calling thread takes a share); with threads 0,
    // or without the compiled worker, it evaluates on the calling thread.
    await using objective = await ParallelGlmObjective.create(createDataset({ x, labels: set.labels, weights: set.weights, offsets }), logisticLoss, {
      priorPrecision: coldPrior?.precision ?? coldPrecision,
      priorMean: coldPrior?.mean ?? null,
      interceptColumn: INTERCEPT_COLUMN,
      threads: threads === 0 ? 0 : Math.max(threads - 1, 0),
    });
    if (w === undefined && coldPrior !== null) w = coldPrior.mean.slice();
    const solver = pass === 1 && options.tron?.onIteration === undefined ? new TronSolver({ gradientTolerance: 1e-4, ...options.tron, onIteration: (record) => progress({ stage: 'cold', pass, record }) }) : coldSolver;
    const result = solver.minimize(objective, w);
    coldResults.push(result);
    progress({ stage: 'cold-done', pass, result });
    w = result.weights;
    if (lowRank.length > 0) {
      // Joint L-BFGS over [w, U, V]: the linear part starts at TRON's solution, the factors at the
      // previous pass's or small random values (zero factors are a saddle point).
      const joint = new LowRankCrossObjective(
        { x, labels: set.labels, weights: set.weights, offsets, crosses: lowRankBlocks, linearPrecision: objective.priorPrecision, linearPriorMean: coldPrior?.mean ?? null, factorPrecision: 1 / variances.factors, interceptColumn: INTERCEPT_COLUMN },
        logisticLoss,
      );
      jointOffsets = joint.crossOffsets;
      if (theta === undefined) {
        theta = new Float64Array(joint.dimension);
        if (crossStart === 'random') {
          for (let j = x.cols; j < theta.length; j++) theta[j] = 0.01 * factorRng.nextNormal();
        } else {
          // Spectral start from the gradient wrt each full cross matrix at the linear fit.
          const margins = new Float64Array(set.rows);
          for (let i = 0; i < set.rows; i++) margins[i] = (offsets[i] as number) + x.rowDot(i, w);
          lowRankBlocks.forEach((block, c) => {
            const start = spectralCrossStart(block.left, block.right, block.rank, set.labels, set.weights, margins, 1 / variances.factors, logisticLoss, factorRng);
            const at = joint.crossOffsets[c] as { u: number; v: number };
            (theta as Float64Array).set(start.leftFactors, at.u);
            (theta as Float64Array).set(start.rightFactors, at.v);
            crossStarts.push({ id: (lowRank[c] as { id: string }).id, pass, singularValues: Array.from(start.singularValues), activeRank: start.activeRank, step: start.step });
          });
        }
      }
      theta.set(w, 0);
      const lbfgs = new LbfgsSolver({ gradientTolerance: 1e-4, maxIterations: 200, memory: 50, ...options.lbfgs, onIteration: (record) => progress({ stage: 'crosses', pass, record }) });
      const crossResult = lbfgs.minimize(joint, theta);
      crossResults.push(crossResult);
      progress({ stage: 'crosses-done', pass, result: crossResult });
      theta = crossResult.weights;
      w = theta.slice(0, x.cols);
      joint.margins(theta, fixedScore);
      // Laplace variances of the linear part, holding the crosses at their fitted values.
      const crossOnly = new Float64Array(set.rows);
      for (let i = 0; i < set.rows; i++) crossOnly[i] = (fixedScore[i] as number) - x.rowDot(i, w) + (offsets[i] as number);
      fixedVariances = laplaceVariances(
        glmObjective(createDataset({ x, labels: set.labels, weights: set.weights, offsets: crossOnly }), logisticLoss, { priorPrecision: coldPrior?.precision ?? coldPrecision, interceptColumn: INTERCEPT_COLUMN }),
        w,
      );
    } else {
      fixedVariances = laplaceVariances(objective, w);
      for (let i = 0; i < set.rows; i++) fixedScore[i] = x.rowDot(i, w);
    }
  };

  const pools: (EntityFitPool | undefined)[] = designs.map(() => undefined);
  try {
    for (let pass = 1; pass <= passes; pass++) {
      const tc = performance.now();
      if (reuse === undefined) await fitCold(pass);
      coldSeconds += (performance.now() - tc) / 1000;

      const te = performance.now();
      for (let b = 0; b < designs.length; b++) {
        const design = designs[b] as RandomEffectDesign;
        const pool = (pools[b] ??= await createPool(set, design, variances, fitted[b] as FittedRandomEffect, { ...entitySettings, fullCovariance: design.width <= fullCovarianceMaxWidth }, threads, previous));
        const groupedOffsets = pool.offsets;
        for (let g = 0; g < design.rowOf.length; g++) {
          const i = design.rowOf[g] as number;
          let o = fixedScore[i] as number;
          for (let other = 0; other < blockScores.length; other++) if (other !== b) o += (blockScores[other] as Float64Array)[i] as number;
          groupedOffsets[g] = o;
        }
        const { counts, coefficients, variances: vars, covariances: cov } = await pool.fitAll();
      if (cov !== null) covariances.set(design.spec.id, Float64Array.from(cov));
        const out = fitted[b] as FittedRandomEffect;
        out.coefficients.set(coefficients);
        out.variances.set(vars);
        progress({ stage: 'entities', pass, block: design.spec.id, done: design.entityIds.length, total: design.entityIds.length });
        if (pass === passes) summaries.push({ block: design.spec.id, entities: design.entityIds.length, converged: counts[0], maxIterations: counts[1], notImproving: counts[2], threads: pool.threads });
        scoreBlock(design, out.coefficients, blockScores[b] as Float64Array);
      }
      entitySeconds += (performance.now() - te) / 1000;
    }
  } finally {
    await Promise.all(pools.map((p) => p?.close()));
  }

  // Incremental training keeps the entities of the previous model that the new rows never saw,
  // with their posteriors unchanged (nothing new was learned about them).
  const carried = previous === undefined ? fitted : fitted.map((f) => carryOverEntities(f, previous));
  const model = toGlmixModel({
    modelId: options.modelId ?? 'laserkit-model',
    modelVersion: options.modelVersion ?? 1,
    createdAtMs: Date.now(),
    featureSpace: options.featureSpace ?? { kind: 'indexed', dimensions: set.dimensions },
    layout,
    fixedWeights: w as Float64Array,
    fixedVariances,
    randomEffects: carried,
    lowRankCrosses: lowRank.map((c, k): FittedLowRankCross => {
      const [l, r] = CROSS_NAMESPACES[c.id];
      const at = jointOffsets[k] as { u: number; v: number };
      const t = theta as Float64Array;
      return { id: c.id, rank: c.rank, leftFactors: t.slice(at.u, at.u + set.dimensions[l] * c.rank), rightFactors: t.slice(at.v, at.v + set.dimensions[r] * c.rank) };
    }),
    metadata: {
      priorVarianceCold: String(variances.cold),
      priorVarianceBias: String(variances.bias),
      priorVarianceCoefficients: String(variances.coefficients),
      ...(lowRank.length > 0 ? { priorVarianceFactors: String(variances.factors) } : {}),
      ...(variances.crosses !== undefined && layout.crosses.length > 0 ? { priorVarianceCrosses: String(variances.crosses) } : {}),
      passes: String(passes),
      trainingRows: String(set.rows),
    },
    metrics: {},
  });
  return {
    model,
    layout,
    plans,
    coldResults,
    crossResults,
    entitySummaries: summaries,
    seconds: { design: (tDesign - t0) / 1000, cold: coldSeconds, entities: entitySeconds },
    covariances,
    coldState: { x, w: w as Float64Array, theta, jointOffsets, fixedVariances, fixedScore },
    crossStarts,
  };
}

/** Prior precision per cold-start column: 1 / cold, or 1 / crosses on the columns of selected cross pairs; 0 at the intercept. */
function coldPrecisionOf(layout: FixedLayout, variances: PriorVariances): Float64Array {
  const precision = new Float64Array(layout.cols).fill(1 / variances.cold);
  if (variances.crosses !== undefined) for (const c of layout.crosses) precision.fill(1 / variances.crosses, c.offset, c.offset + c.leftIndex.length);
  precision[INTERCEPT_COLUMN] = 0;
  return precision;
}

/** Laplace: the posterior variance of each coefficient is 1 / H_jj at the mode. */
function laplaceVariances(objective: TwiceDifferentiableObjective, w: Float64Array): Float64Array {
  const g = new Float64Array(w.length);
  objective.valueAndGradient(w, g);
  const h = new Float64Array(w.length);
  objective.hessianDiagonal(h);
  // A coefficient no row touches and no prior holds (the unused intercept of an empty set) has
  // H_jj = 0: its variance is unbounded; report the largest finite double rather than Infinity.
  return h.map((d) => (d > 0 ? 1 / d : Number.MAX_VALUE));
}

/** A block's per-entity problems in grouped row order, and the pool that fits them. */
async function createPool(
  set: TrainingSet,
  design: RandomEffectDesign,
  variances: PriorVariances,
  out: FittedRandomEffect,
  settings: EntitySolverSettings,
  threads: number,
  previous: GlmixModel | undefined,
): Promise<EntityFitPool> {
  const precision = new Float64Array(design.width).fill(1 / variances.coefficients);
  if (design.bias) precision[0] = 1 / variances.bias;
  const { rowOf } = design;
  const entityPrior = previous === undefined ? null : entityPriorFrom(previous, design);
  if (entityPrior !== null) out.coefficients.set(entityPrior.mean.map((m) => (Number.isNaN(m) ? 0 : m)));
  return EntityFitPool.create(
    {
      width: design.width,
      groupPtr: design.groupPtr,
      rowPtr: design.x.rowPtr,
      colIdx: design.x.colIdx,
      values: design.x.values,
      labels: Float64Array.from(rowOf, (i) => set.labels[i] as number),
      weights: set.weights === null ? null : Float64Array.from(rowOf, (i) => (set.weights as Float64Array)[i] as number),
      offsets: new Float64Array(rowOf.length),
      precision,
      entityPriorMean: entityPrior?.mean ?? null,
      entityPriorPrecision: entityPrior?.precision ?? null,
    },
    out.coefficients,
    out.variances,
    settings,
    // More threads than entities would idle.
    Math.min(threads, design.entityIds.length),
  );
}

/** Each grouped row's block contribution, written back to original row order. */
function scoreBlock(design: RandomEffectDesign, coefficients: Float64Array, out: Float64Array): void {
  out.fill(0);
  const { x, width } = design;
  for (let e = 0; e < design.entityIds.length; e++) {
    const coef = coefficients.subarray(e * width, (e + 1) * width);
    for (let g = design.groupPtr[e] as number; g < (design.groupPtr[e + 1] as number); g++) out[design.rowOf[g] as number] = x.rowDot(g, coef);
  }
}

/** Prior means and precisions of the cold-start columns from a previous model (defaults where it has none). */
function coldPriorFrom(previous: GlmixModel, layout: FixedLayout, defaultPrecision: Float64Array): { mean: Float64Array; precision: Float64Array } {
  const mean = new Float64Array(layout.cols);
  const precision = defaultPrecision.slice();
  precision[INTERCEPT_COLUMN] = 0;
  mean[INTERCEPT_COLUMN] = previous.intercept;
  const take = (column: number, weight: number, variance: number | undefined): void => {
    mean[column] = weight;
    if (variance !== undefined && variance > 0 && Number.isFinite(variance) && variance < Number.MAX_VALUE) precision[column] = 1 / variance;
  };
  for (const m of layout.main) {
    const prev = previous.main.find((e) => e.namespace === m.namespace);
    if (prev === undefined) continue;
    for (let j = 0; j < prev.weights.length; j++) take(m.offset + j, prev.weights[j] as number, prev.variances?.[j]);
  }
  for (const c of layout.crosses) {
    const prev = previous.crosses.find((p) => p.id === c.id);
    if (prev === undefined || prev.kind !== 'full') continue;
    for (let q = 0; q < prev.weights.length; q++) {
      const pair = c.table.get(prev.leftIndex[q] as number, prev.rightIndex[q] as number);
      if (pair >= 0) take(c.offset + pair, prev.weights[q] as number, prev.variances?.[q]);
    }
  }
  return { mean, precision };
}

/** Per-entity priors from the previous model's block of the same id (NaN rows: no previous entity). */
function entityPriorFrom(previous: GlmixModel, design: RandomEffectDesign): { mean: Float64Array; precision: Float64Array } | null {
  const prev = previous.randomEffects.find((b) => b.id === design.spec.id);
  if (prev === undefined) return null;
  const sameLayout =
    prev.bias === design.bias &&
    prev.features.length === design.features.length &&
    prev.features.every((f, k) => f.namespace === design.features[k]?.namespace && f.indices.length === design.features[k].indices.length && f.indices.every((ix, p) => ix === design.features[k]?.indices[p]));
  if (!sameLayout) {
    throw invalidArgument(`previousModel.randomEffects.${prev.id}`, prev.id, 'must select the same bias and feature columns as this fit', 'train incrementally with the same randomEffects config, or start afresh');
  }
  const width = design.width;
  const index = new Map(prev.entityIds.map((id, e) => [id, e]));
  const mean = new Float64Array(design.entityIds.length * width).fill(Number.NaN);
  const precision = new Float64Array(design.entityIds.length * width).fill(Number.NaN);
  design.entityIds.forEach((id, e) => {
    const p = index.get(id);
    if (p === undefined) return;
    for (let k = 0; k < width; k++) {
      mean[e * width + k] = prev.coefficients[p * width + k] as number;
      const v = prev.variances?.[p * width + k];
      precision[e * width + k] = v !== undefined && v > 0 && v < Number.MAX_VALUE ? 1 / v : Number.NaN;
    }
    // An entity takes its previous prior whole or not at all.
    if (Array.from({ length: width }, (_, k) => precision[e * width + k]).some((x) => Number.isNaN(x as number))) precision.fill(Number.NaN, e * width, (e + 1) * width);
  });
  return { mean, precision };
}

function carryOverEntities(f: FittedRandomEffect, previous: GlmixModel): FittedRandomEffect {
  const prev = previous.randomEffects.find((b) => b.id === f.plan.spec.id);
  if (prev === undefined) return f;
  const seen = new Set(f.entityIds);
  const extra = prev.entityIds.map((id, e) => ({ id, e })).filter(({ id }) => !seen.has(id));
  if (extra.length === 0) return f;
  const width = f.plan.width;
  const coefficients = new Float64Array((f.entityIds.length + extra.length) * width);
  const variances = new Float64Array(coefficients.length);
  coefficients.set(f.coefficients);
  variances.set(f.variances);
  extra.forEach(({ e }, k) => {
    const at = (f.entityIds.length + k) * width;
    coefficients.set(prev.coefficients.subarray(e * width, (e + 1) * width), at);
    if (prev.variances !== null) variances.set(prev.variances.subarray(e * width, (e + 1) * width), at);
    else variances.fill(Number.MAX_VALUE, at, at + width);
  });
  return { ...f, entityIds: [...f.entityIds, ...extra.map((x) => x.id)], coefficients, variances };
}
