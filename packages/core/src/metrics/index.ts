export { auc } from './auc.js';
export { logLoss, normalizedEntropy } from './log-loss.js';
export type { LogLossOptions } from './log-loss.js';
export { observedExpectedRatio, calibrationCurve } from './calibration.js';
export type { CalibrationStrategy, CalibrationOptions, CalibrationBin, CalibrationCurve } from './calibration.js';
export { evaluateBinary, evaluateByBucket } from './evaluate.js';
export type { BinaryMetrics, EvaluateOptions, BucketedMetrics } from './evaluate.js';
export { DEFAULT_LOG_LOSS_EPS } from './inputs.js';
