export { Scorer, DEFAULT_SCORER_OPTIONS } from './scorer.js';
export type {
  ScorerOptions,
  ScorerLimits,
  RankRequest,
  RankResult,
  RankedAd,
  FallbackReason,
  VectorSource,
  RequestVector,
  RankingPolicy,
  PolicyCandidates,
  PolicyDecision,
} from './scorer.js';
export { AdCatalog, FeatureRows } from './ad-catalog.js';
export type { AdInput, AdCrossPartials, AdRandomEffectPartials } from './ad-catalog.js';
export { RankOrder } from './rank-order.js';
