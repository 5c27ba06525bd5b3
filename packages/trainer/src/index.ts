export { CsrMatrix, CsrMatrixBuilder, MAX_CSR_NNZ, csrFromRows, withInterceptColumn, createDataset } from './data/csr-matrix.js';
export type { CsrMatrixBuilderOptions, Dataset, DatasetInit } from './data/csr-matrix.js';
export { createLossPoint, isTwiceDifferentiable } from './loss/pointwise-loss.js';
export type { LossPoint, DifferentiableLoss, TwiceDifferentiableLoss } from './loss/pointwise-loss.js';
export { logisticLoss } from './loss/logistic.js';
export { squaredLoss } from './loss/squared.js';
export { poissonLoss } from './loss/poisson.js';
export type { DifferentiableObjective, TwiceDifferentiableObjective } from './objective/objective.js';
export { GlmObjective, TwiceDifferentiableGlmObjective, glmObjective, DEFAULT_GLM_OBJECTIVE_OPTIONS } from './objective/glm-objective.js';
export type { GlmObjectiveOptions } from './objective/glm-objective.js';
export { ParallelGlmObjective, DEFAULT_PARALLEL_GLM_OBJECTIVE_OPTIONS } from './objective/parallel-glm-objective.js';
export type { ParallelGlmObjectiveOptions } from './objective/parallel-glm-objective.js';
export { SOLVER_STATUSES, gradientNormAt } from './solver/solver-result.js';
export type {
  SolverStatus,
  SolverResult,
  EvaluationCounts,
  IterationRecord,
  TronIterationRecord,
  LineSearchIterationRecord,
  OwlqnIterationRecord,
  CommonSolverOptions,
} from './solver/solver-result.js';
export { TronSolver, DEFAULT_TRON_OPTIONS, resolveTronOptions, liblinearGradientTolerance } from './solver/tron.js';
export type { TronOptions, ResolvedTronOptions } from './solver/tron.js';
export { LbfgsSolver, DEFAULT_LBFGS_OPTIONS, resolveLbfgsOptions } from './solver/lbfgs.js';
export type { LbfgsOptions, ResolvedLbfgsOptions } from './solver/lbfgs.js';
export { OwlqnSolver, DEFAULT_OWLQN_OPTIONS, resolveOwlqnOptions, pseudoGradient } from './solver/owlqn.js';
export type { OwlqnOptions, ResolvedOwlqnOptions } from './solver/owlqn.js';
export { TrainingSetBuilder, selectRows, selectCsrRows } from './data/training-set.js';
export type { TrainingSet, RawExample, EntityColumn, TrainingSetBuilderOptions } from './data/training-set.js';
export { readTrainingSet, inferFormat, INPUT_FORMATS } from './data/readers.js';
export type { InputFormat, ReadTrainingSetOptions, ReadResult, SkippedRows } from './data/readers.js';
export { LowRankCrossObjective } from './objective/low-rank-cross-objective.js';
export type { LowRankCrossBlock, LowRankCrossObjectiveInit } from './objective/low-rank-cross-objective.js';
export { planFixedEffect, buildFixedDesign, INTERCEPT_COLUMN } from './laser/fixed-design.js';
export type { CrossSpec, LowRankCrossSpec, FixedEffectSpec, FixedLayout, SelectedCross } from './laser/fixed-design.js';
export { planRandomEffect, buildRandomEffectDesign, LASER_PER_CAMPAIGN_EFFECT } from './laser/random-effect-design.js';
export type { RandomEffectSpec, FeatureSelection, PlannedRandomEffect, RandomEffectDesign } from './laser/random-effect-design.js';
export { fitLaser, DEFAULT_PRIOR_VARIANCES } from './laser/fit.js';
export type { LaserFitOptions, LaserFitResult, PriorVariances, FitProgress, EntityFitSummary, CrossStartSummary } from './laser/fit.js';
export { spectralCrossStart, topSingularTriplets, crossGradientMatrix } from './laser/cross-init.js';
export type { SpectralStart, SingularTriplets } from './laser/cross-init.js';
export { computeTermMeans, exampleOf } from './laser/to-model.js';
export { runTrainJob, trainLaserModel, loadTrainConfig, validateTrainConfig } from './job/train-job.js';
export type { TrainConfig, TrainLog, TrainJobResult, TrainedModel } from './job/train-job.js';
export { evaluatePredictions, predictSet, entityCtrBaseline, warmnessBucket, WARMNESS_EDGES } from './job/evaluate.js';
export type { EvaluationReport, WarmnessBucket } from './job/evaluate.js';
export { StreamingGlmObjective, TwiceDifferentiableStreamingGlmObjective, DEFAULT_STREAMING_GLM_OBJECTIVE_OPTIONS } from './objective/streaming-glm-objective.js';
export type { StreamingGlmObjectiveOptions, StreamingPassStats } from './objective/streaming-glm-objective.js';
export { runStreamingTrainJob } from './job/streaming-train-job.js';
export type { StreamingTrainConfig, StreamingTrainResult } from './job/streaming-train-job.js';
