import { checkInteger, checkKnownKeys, checkOneOf, checkPositive, type FeatureNamespace } from '@laserkit/core';
import { saveModel, type GlmixModel } from '@laserkit/model';
import { logisticLoss } from '../loss/logistic.js';
import { StreamingGlmObjective } from '../objective/streaming-glm-objective.js';
import { TronSolver } from '../solver/tron.js';
import type { SolverResult } from '../solver/solver-result.js';

/**
 * Out-of-core training for data larger than memory: an L2-regularized logistic GLM with an
 * unpenalized intercept over one svmlight file, fit by TRON whose every function, gradient and
 * Hessian-vector evaluation re-reads the file in bounded chunks (memory: the coefficients plus one
 * chunk of rows). Main effects of one namespace only: per-entity effects and crosses need their
 * rows grouped in memory and go through the in-memory job.
 */
export interface StreamingTrainConfig {
  /** @default "laserkit-model" */
  readonly modelId?: string;
  /** @default 1 */
  readonly modelVersion?: number;
  /** The namespace the svmlight features belong to. @default "user" */
  readonly namespace?: FeatureNamespace;
  /** Gaussian prior variance of each coefficient (LASER's cold-start variance). @default 1 */
  readonly priorVariance?: number;
  /** Rows held in memory at a time. @default 65536 */
  readonly chunkRows?: number;
  /** TRON's iteration limit. @default 100 */
  readonly maxIterations?: number;
  /** Skip (and count) invalid rows instead of failing on the first. @default false */
  readonly skipInvalid?: boolean;
}

export interface StreamingTrainResult {
  readonly model: GlmixModel;
  readonly solver: SolverResult;
  readonly rows: number;
  readonly skipped: number;
  /** Passes over the file, and the most rows ever held in memory at once. */
  readonly passes: number;
  readonly maxRowsResident: number;
  readonly bytes?: number;
}

const KNOWN = ['modelId', 'modelVersion', 'namespace', 'priorVariance', 'chunkRows', 'maxIterations', 'skipInvalid'];

export async function runStreamingTrainJob(dataPath: string, config: StreamingTrainConfig = {}, options: { readonly out?: string; readonly onLog?: (line: string) => void } = {}): Promise<StreamingTrainResult> {
  checkKnownKeys('config', config, KNOWN);
  const namespace = checkOneOf('config.namespace', config.namespace ?? 'user', ['user', 'ad', 'context'] as const);
  const variance = checkPositive('config.priorVariance', config.priorVariance ?? 1);
  const log = options.onLog ?? (() => undefined);
  const objective = StreamingGlmObjective.open(dataPath, logisticLoss, {
    intercept: true,
    priorPrecision: 1 / variance,
    chunkRows: checkInteger('config.chunkRows', config.chunkRows ?? 65_536, 1),
    skipInvalid: config.skipInvalid === true,
  });
  log(`streaming ${dataPath}: ${objective.rowCount} rows, ${objective.featureDimension} features, ${objective.skipped.count} skipped; at most ${objective.chunkRows} rows in memory`);
  const solver = new TronSolver({
    maxIterations: checkInteger('config.maxIterations', config.maxIterations ?? 100, 1),
    onIteration: (r) => log(`  tron iteration ${r.iteration}: f ${r.objective.toExponential(6)}, |g| ${r.gradientNorm.toExponential(3)}`),
  }).minimize(objective);
  const w = solver.weights;
  // Laplace posterior variances at the mode: 1 / diag(H) (H includes the prior precision).
  const diag = new Float64Array(objective.dimension);
  objective.valueAndGradient(w, new Float64Array(objective.dimension));
  objective.hessianDiagonal(diag);
  const d = objective.featureDimension;
  const b = objective.interceptIndex as number;
  const means = objective.means(w);
  const dims = { user: 0, ad: 0, context: 0, [namespace]: d };
  const model: GlmixModel = {
    modelId: config.modelId ?? 'laserkit-model',
    modelVersion: config.modelVersion ?? 1,
    createdAtMs: Date.now(),
    link: 'logistic',
    featureSpace: { kind: 'indexed', dimensions: dims },
    dimensions: dims,
    intercept: w[b] as number,
    interceptVariance: 1 / (diag[b] as number),
    main: [{ namespace, weights: w.slice(0, d), variances: Float64Array.from(diag.subarray(0, d), (h) => 1 / h) }],
    crosses: [],
    randomEffects: [],
    termMeans: [
      { term: 'intercept', mean: w[b] as number },
      { term: `main:${namespace}`, mean: means.linearPredictor },
    ],
    metadata: { trainer: 'laserkit streaming TRON', solverStatus: solver.status, priorVariance: String(variance) },
    metrics: { 'train.rows': objective.rowCount, 'train.skipped': objective.skipped.count, 'train.objective': solver.objective, 'train.passes': objective.stats.passes },
  };
  const bytes = options.out === undefined ? undefined : saveModel(model, options.out);
  log(`done: ${solver.status} after ${solver.iterations} iterations, ${objective.stats.passes} passes over the file, at most ${objective.stats.maxRowsResident} rows in memory`);
  return { model, solver, rows: objective.rowCount, skipped: objective.skipped.count, passes: objective.stats.passes, maxRowsResident: objective.stats.maxRowsResident, ...(bytes === undefined ? {} : { bytes }) };
}
