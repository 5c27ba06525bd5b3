export { validatePipelineConfig, loadPipelineConfig, definePipelineConfig, SOURCE_KINDS, TRANSFORMER_KINDS, MERGE_RULES } from './config.js';
export type {
  PipelineConfig,
  SourceConfig,
  RequestSourceConfig,
  ProviderSourceConfig,
  TransformerConfig,
  SubsetConfig,
  BucketingConfig,
  DisjunctionConfig,
  InteractionConfig,
  FunctionTransformerConfig,
  AssemblerConfig,
  MergeRule,
} from './config.js';
export { FunctionRegistry, BUILTIN_FUNCTION_NAMES } from './functions.js';
export type { FeatureFunction, ValueFunction, NameFunction, FeaturesFunction, RegisterFunctionOptions } from './functions.js';
export { MemoLazy, settledLazy } from './lazy.js';
export type { Lazy } from './lazy.js';
export { FeaturePipeline, DEFAULT_PIPELINE_OPTIONS, VALUE_PRECISIONS } from './pipeline.js';
export type { PipelineOptions, ValuePrecision } from './pipeline.js';
export { MapFeatureProvider, RedisFeatureProvider, DEFAULT_REDIS_FEATURE_PROVIDER_OPTIONS, parseFeatureHash, writeRedisFeatures } from './providers.js';
export type { FeatureProvider, RedisHashReader, RedisHashWriter, RedisFeatureProviderOptions } from './providers.js';
export { bucketIndex, bucketLabels } from './transforms.js';
export type { FeatureMap, RawFieldValue } from './transforms.js';
export { checkRawTrainingRecord } from './training-example.js';
export type { RawTrainingRecord, TrainingExample } from './training-example.js';
export { readRawRecords, formatJsonlExample, formatSvmlightExample, writeTrainingFile, TRAINING_FILE_FORMATS, DEFAULT_WRITE_TRAINING_FILE_OPTIONS } from './training-files.js';
export type { TrainingFileFormat, WriteTrainingFileOptions, WriteTrainingFileResult } from './training-files.js';
