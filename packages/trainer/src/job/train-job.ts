import { LaserError, SeededRng, checkKnownKeys, invalidArgument, readJsonFile, type BinaryMetrics, type FeatureSpaceJson } from '@laserkit/core';
import { loadModel, saveModel, type GlmixModel } from '@laserkit/model';
import { readTrainingSet, type InputFormat, type SkippedRows } from '../data/readers.js';
import { selectRows, type TrainingSet } from '../data/training-set.js';
import type { FixedEffectSpec } from '../laser/fixed-design.js';
import { fitLaser, DEFAULT_PRIOR_VARIANCES, type FitProgress, type LaserFitResult, type PriorVariances } from '../laser/fit.js';
import type { RandomEffectSpec } from '../laser/random-effect-design.js';
import { computeTermMeans } from '../laser/to-model.js';
import { evaluatePredictions, predictSet, type EvaluationReport } from './evaluate.js';

/**
 * The offline training job's configuration (a JSON file for `laserkit train --config`). Every
 * field is optional except where the model needs it; unknown keys are rejected.
 */
export interface TrainConfig {
  /** Model id recorded in the artifact. @default "laserkit-model" */
  readonly modelId?: string;
  /** @default 1 */
  readonly modelVersion?: number;
  /** Input format; by default from the file name. */
  readonly format?: InputFormat;
  /** jsonl only: the feature space that maps names to columns. */
  readonly featureSpace?: FeatureSpaceJson;
  /** Fraction of rows held out for evaluation and tuning (the last rows, in file order: time order for logs). @default 0.2 */
  readonly validationFraction?: number;
  readonly fixed?: FixedEffectSpec;
  readonly randomEffects?: readonly RandomEffectSpec[];
  /** LASER's three prior variances. */
  readonly priorVariances?: Partial<PriorVariances>;
  /**
   * Tune the prior variances on the held-out rows: first the cold-start variances over every
   * (cold, factors) pair, then the per-entity variances over every (bias, coefficients) pair.
   * Omitted: no tuning.
   */
  readonly tuning?: { readonly cold?: readonly number[]; readonly factors?: readonly number[]; readonly bias?: readonly number[]; readonly coefficients?: readonly number[] };
  /** Path of a previous model artifact: its coefficients and variances become the priors (incremental training). */
  readonly previousModel?: string;
  /** Block coordinate descent passes. @default 1 */
  readonly passes?: number;
  /** L-BFGS settings for the joint fit of low-rank crosses (e.g. { "maxIterations": 150 }). */
  readonly lbfgs?: { readonly maxIterations?: number; readonly gradientTolerance?: number };
  /** Worker threads for the per-entity fits. @default the machine's available parallelism */
  readonly threads?: number;
  /**
   * Keep each negative with this probability (positives are all kept) and correct the intercept by
   * ln(rate) afterwards (King & Zeng 2001, prior correction), so predictions stay calibrated. @default 1
   */
  readonly negativeSampleRate?: number;
  /** Rows sampled (from the held-out split) to compute each term's mean for the scorer. @default 10000 */
  readonly termMeanSample?: number;
  /** Seed for sampling and factor initialisation. @default 1 */
  readonly seed?: number;
  /** Count and report bad rows instead of failing on the first. @default false */
  readonly skipInvalid?: boolean;
}

const KNOWN_KEYS: readonly string[] = [
  'modelId', 'modelVersion', 'format', 'featureSpace', 'validationFraction', 'fixed', 'randomEffects', 'priorVariances', 'tuning', 'passes', 'lbfgs', 'threads', 'previousModel', 'negativeSampleRate', 'termMeanSample', 'seed', 'skipInvalid',
];

export function loadTrainConfig(path: string): TrainConfig {
  return validateTrainConfig(readJsonFile(path, 'config', 'INVALID_ARGUMENT'));
}

export function validateTrainConfig(config: unknown): TrainConfig {
  if (config === null || typeof config !== 'object' || Array.isArray(config)) throw invalidArgument('config', config, 'must be a JSON object');
  checkKnownKeys('config', config, KNOWN_KEYS);
  const c = config as TrainConfig;
  const fraction = c.validationFraction ?? 0.2;
  if (typeof fraction !== 'number' || !(fraction >= 0 && fraction < 1)) throw invalidArgument('config.validationFraction', fraction, 'must be a number in [0, 1)');
  const rate = c.negativeSampleRate ?? 1;
  if (typeof rate !== 'number' || !(rate > 0 && rate <= 1)) throw invalidArgument('config.negativeSampleRate', rate, 'must be a number in (0, 1]');
  for (const key of ['cold', 'factors', 'bias', 'coefficients'] as const) {
    const grid = c.tuning?.[key];
    if (grid === undefined) continue;
    if (!Array.isArray(grid) || grid.length === 0) throw invalidArgument(`config.tuning.${key}`, grid, 'must be a non-empty array of variances');
    grid.forEach((v, i) => {
      if (typeof v !== 'number' || !(v > 0) || !Number.isFinite(v)) throw invalidArgument(`config.tuning.${key}[${i}]`, v, 'must be a finite number > 0');
    });
  }
  const sample = c.termMeanSample ?? 10_000;
  if (!Number.isInteger(sample) || sample < 0) throw invalidArgument('config.termMeanSample', sample, 'must be a non-negative integer');
  return c;
}

export type TrainLog =
  | { readonly kind: 'read'; readonly rows: number; readonly skipped: SkippedRows; readonly seconds: number }
  | { readonly kind: 'split'; readonly train: number; readonly validation: number; readonly sampledNegatives: number }
  | { readonly kind: 'tuning'; readonly variances: PriorVariances; readonly validationLogLoss: number }
  | { readonly kind: 'fit'; readonly event: FitProgress }
  | { readonly kind: 'done'; readonly seconds: number };

export interface TrainJobResult {
  readonly model: GlmixModel;
  readonly fit: LaserFitResult;
  readonly variances: PriorVariances;
  readonly validation: EvaluationReport | null;
  readonly training: EvaluationReport;
  readonly skipped: SkippedRows;
  readonly bytes: number | null;
  readonly seconds: number;
}

/**
 * The offline training job: read, split (the held-out part is the latest rows), optionally
 * down-sample negatives, tune LASER's prior variances on the held-out rows, fit, compute term
 * means, evaluate, and write the versioned artifact.
 */
export async function runTrainJob(dataPath: string, config: TrainConfig, options: { readonly out?: string; readonly onLog?: (log: TrainLog) => void } = {}): Promise<TrainJobResult> {
  validateTrainConfig(config);
  const log = options.onLog ?? (() => undefined);
  const t0 = performance.now();
  const read = await readTrainingSet(dataPath, {
    ...(config.format === undefined ? {} : { format: config.format }),
    ...(config.featureSpace === undefined ? {} : { featureSpace: config.featureSpace }),
    skipInvalid: config.skipInvalid ?? false,
  });
  const all = read.set;
  log({ kind: 'read', rows: all.rows, skipped: read.skipped, seconds: (performance.now() - t0) / 1000 });
  if (all.rows === 0) throw new LaserError('INVALID_DATA', `${dataPath} holds no valid rows`);

  const fraction = config.validationFraction ?? 0.2;
  const cut = Math.floor(all.rows * (1 - fraction));
  const trainAll = selectRows(all, Int32Array.from({ length: cut }, (_, i) => i));
  const validation = cut < all.rows ? selectRows(all, Int32Array.from({ length: all.rows - cut }, (_, i) => cut + i)) : null;
  const trained = await trainLaserModel(trainAll, validation, { ...config, metadata: { trainingData: dataPath } }, log);
  const bytes = options.out === undefined ? null : saveModel(trained.model, options.out);
  const seconds = (performance.now() - t0) / 1000;
  log({ kind: 'done', seconds });
  return { ...trained, skipped: read.skipped, bytes, seconds };
}

export interface TrainedModel {
  readonly model: GlmixModel;
  readonly fit: LaserFitResult;
  readonly variances: PriorVariances;
  readonly validation: EvaluationReport | null;
  readonly training: EvaluationReport;
}

/**
 * Trains on rows already in memory: optional negative down-sampling of `train`, tuning of the
 * prior variances on `validation`, the fit, term means on a sample of `validation`, evaluation.
 */
export async function trainLaserModel(
  trainAll: TrainingSet,
  validation: TrainingSet | null,
  config: TrainConfig & { readonly metadata?: Readonly<Record<string, string>> },
  log: (log: TrainLog) => void = () => undefined,
): Promise<TrainedModel> {
  const rng = new SeededRng(config.seed ?? 1);
  const rate = config.negativeSampleRate ?? 1;
  const trainRows: number[] = [];
  let sampledNegatives = 0;
  for (let i = 0; i < trainAll.rows; i++) {
    if (rate < 1 && trainAll.labels[i] === 0 && !rng.nextBernoulli(rate)) {
      sampledNegatives++;
      continue;
    }
    trainRows.push(i);
  }
  const train = rate < 1 ? selectRows(trainAll, Int32Array.from(trainRows)) : trainAll;
  log({ kind: 'split', train: train.rows, validation: validation?.rows ?? 0, sampledNegatives });

  const base = {
    ...(config.fixed === undefined ? {} : { fixed: config.fixed }),
    ...(config.passes === undefined ? {} : { passes: config.passes }),
    ...(config.threads === undefined ? {} : { threads: config.threads }),
    ...(config.previousModel === undefined ? {} : { previousModel: loadModel(config.previousModel) }),
    ...(config.lbfgs === undefined ? {} : { lbfgs: { ...(config.lbfgs.maxIterations === undefined ? {} : { maxIterations: config.lbfgs.maxIterations }), ...(config.lbfgs.gradientTolerance === undefined ? {} : { gradientTolerance: config.lbfgs.gradientTolerance }) } }),
    ...(config.featureSpace === undefined ? {} : { featureSpace: config.featureSpace }),
    modelId: config.modelId ?? 'laserkit-model',
    modelVersion: config.modelVersion ?? 1,
    seed: config.seed ?? 1,
    onProgress: (event: FitProgress) => log({ kind: 'fit', event }),
  };
  let variances: PriorVariances = { ...DEFAULT_PRIOR_VARIANCES, ...config.priorVariances };
  const correct = (m: GlmixModel): GlmixModel => (rate < 1 ? { ...m, intercept: m.intercept + Math.log(rate) } : m);
  const validationLogLoss = (m: GlmixModel): number => evaluatePredictions(predictSet(correct(m), validation as TrainingSet), validation as TrainingSet).overall.logLoss;

  if (config.tuning !== undefined && validation !== null) {
    // LASER §3.3: the cold-start variance first, on the cold-start model alone...
    let best = Number.POSITIVE_INFINITY;
    const start = variances;
    for (const cold of config.tuning.cold ?? [start.cold]) {
      for (const factors of config.tuning.factors ?? [start.factors]) {
        const v = { ...start, cold, factors };
        const fit = await fitLaser(train, { ...base, priorVariances: v, onProgress: () => undefined });
        const loss = validationLogLoss(fit.model);
        log({ kind: 'tuning', variances: v, validationLogLoss: loss });
        if (loss < best) {
          best = loss;
          variances = v;
        }
      }
    }
    // ...then the warm-start variances with the cold-start part fixed.
    if ((config.randomEffects ?? []).length > 0) {
      const cold = await fitLaser(train, { ...base, priorVariances: variances, onProgress: () => undefined });
      best = Number.POSITIVE_INFINITY;
      let bestWarm = variances;
      for (const bias of config.tuning.bias ?? [variances.bias]) {
        for (const coefficients of config.tuning.coefficients ?? [variances.coefficients]) {
          const v = { ...variances, bias, coefficients };
          const fit = await fitLaser(train, { ...base, randomEffects: config.randomEffects ?? [], priorVariances: v, reuseColdStart: cold, onProgress: () => undefined });
          const loss = validationLogLoss(fit.model);
          log({ kind: 'tuning', variances: v, validationLogLoss: loss });
          if (loss < best) {
            best = loss;
            bestWarm = v;
          }
        }
      }
      variances = bestWarm;
    }
  }

  const fit = await fitLaser(train, { ...base, randomEffects: config.randomEffects ?? [], priorVariances: variances });
  let model = correct(fit.model);
  const trainingReport = evaluatePredictions(predictSet(model, train), train);
  const validationReport = validation === null ? null : evaluatePredictions(predictSet(model, validation), validation, { reference: train });
  // Term means over a uniform sample of the held-out rows (served traffic, not the training fit).
  const meanSource = validation ?? train;
  const sampleSize = Math.min(config.termMeanSample ?? 10_000, meanSource.rows);
  const picks = Int32Array.from(rng.shuffle(Array.from({ length: meanSource.rows }, (_, i) => i)).slice(0, sampleSize)).sort();
  const metricsOf = (prefix: string, m: BinaryMetrics): Record<string, number> => ({
    [`${prefix}.auc`]: m.auc,
    [`${prefix}.logLoss`]: m.logLoss,
    [`${prefix}.normalizedEntropy`]: m.normalizedEntropy,
    [`${prefix}.observedExpected`]: m.observedExpected,
  });
  model = {
    ...model,
    termMeans: computeTermMeans(model, meanSource, picks),
    metadata: {
      ...model.metadata,
      priorVarianceCold: String(variances.cold),
      priorVarianceBias: String(variances.bias),
      priorVarianceCoefficients: String(variances.coefficients),
      priorVarianceFactors: String(variances.factors),
      negativeSampleRate: String(rate),
      ...config.metadata,
    },
    metrics: Object.fromEntries(
      Object.entries({ ...metricsOf('train', trainingReport.overall), ...(validationReport === null ? {} : metricsOf('validation', validationReport.overall)) }).filter(([, v]) => Number.isFinite(v)),
    ),
  };
  return { model, fit, variances, validation: validationReport, training: trainingReport };
}
