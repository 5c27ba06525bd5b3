export { validateModel, termIdsOf, randomEffectWidth, randomEffectPartIds, CROSS_NAMESPACES } from './model.js';
export type {
  GlmixModel,
  ResponseLink,
  MainEffect,
  CrossId,
  CrossTerm,
  FullCross,
  LowRankCross,
  RandomEffectBlock,
  SelectedFeatures,
  TermId,
  TermMean,
} from './model.js';
export { ModelPredictor, applyLink, crossValue, projectFactors, selectedDot } from './predict.js';
export type { Example, Prediction } from './predict.js';
export { encodeModel, decodeModel, saveModel, loadModel, modelToJSON, MODEL_SCHEMA_VERSION, MODEL_AVRO_SCHEMA } from './artifact.js';
