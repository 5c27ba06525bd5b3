export { LaserError, isLaserError, invalidArgument, describeValue } from './errors.js';
export type { LaserErrorCode, LaserErrorOptions } from './errors.js';
export { checkFiniteNumber, checkInteger, checkRange, checkPositive, checkOneOf, checkKnownKeys } from './validate.js';
export { SeededRng } from './rng.js';
export { murmur3Bytes, murmur3String } from './hash.js';
export { stripByteOrderMark, readJsonFile } from './text.js';
export { systemClock, ManualClock, withTimeout } from './clock.js';
export type { Clock, TimerHandle } from './clock.js';
export { sparseVector, emptySparseVector, nnz, dotDense, dotSparse, axpyDense, toDense, squaredNorm } from './sparse.js';
export type { SparseVector } from './sparse.js';
export {
  FEATURE_NAMESPACES,
  isFeatureNamespace,
  FeatureIndexMap,
  FeatureHasher,
  IndexedFeatureSpace,
  DEFAULT_FEATURE_HASHING_OPTIONS,
  featureSpaceFromJSON,
  vectorize,
} from './features.js';
export type {
  FeatureNamespace,
  FeatureSpace,
  FeatureIndexMapJson,
  FeatureHasherJson,
  IndexedFeatureSpaceJson,
  FeatureSpaceJson,
  FeatureHashingOptions,
  NamedFeatures,
  VectorizeResult,
} from './features.js';
export {
  auc,
  logLoss,
  normalizedEntropy,
  observedExpectedRatio,
  calibrationCurve,
  evaluateBinary,
  evaluateByBucket,
  DEFAULT_LOG_LOSS_EPS,
  aucDifference,
} from './metrics/index.js';
export type {
  LogLossOptions,
  CalibrationStrategy,
  CalibrationOptions,
  CalibrationBin,
  CalibrationCurve,
  BinaryMetrics,
  EvaluateOptions,
  BucketedMetrics,
  AucDifference,
} from './metrics/index.js';
export { CircuitBreaker, DEFAULT_CIRCUIT_BREAKER_OPTIONS } from './circuit-breaker.js';
export type { BreakerState, CircuitBreakerOptions } from './circuit-breaker.js';
