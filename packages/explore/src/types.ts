import type { SeededRng } from '@laserkit/core';

/** How a linear predictor s maps to a click probability. */
export type Link = 'logistic' | 'identity' | 'log';
export const LINKS: readonly Link[] = ['logistic', 'identity', 'log'];

/**
 * The candidates of one request, as the scorer hands them over: per candidate the linear
 * predictor at the posterior mode and the posterior variance of its warm-start part (LASER,
 * Agarwal et al. WSDM 2014, §5: only the per-entity warm-start coefficients δ_j, η_j, ξ_j are
 * uncertain; the cold-start part is used at its mode).
 */
export interface Candidates {
  readonly count: number;
  /** Each candidate's linear predictor s_j at the posterior mode (cold-start part + warm-start part). */
  readonly mean: Float64Array;
  /** Posterior variance of the warm-start part of s_j under the diagonal covariance: Σ_k x_k² v_jk (the δ_j bias has x = 1). 0 = no uncertainty. */
  readonly variance: Float64Array;
  /** Optional per-candidate bids (> 0); when present, policies rank by bid × response(s). */
  readonly bid?: Float64Array;
  /** How s maps to a click probability: 'logistic' (σ), 'identity', 'log' (exp). */
  readonly link: Link;
}

export interface DecideOptions {
  /** Slate size: how many candidates to show, in order. */
  readonly k: number;
  /** All randomness of the decision comes from here. */
  readonly rng: SeededRng;
}

export interface Decision {
  /** Candidate positions in shown order, length min(k, count). */
  readonly slate: Int32Array;
  /** The score each shown candidate was ranked by (sampled for TS; bid × response when bids are given). */
  readonly scores: Float64Array;
  /** Propensity of the shown top-1 choice (exact where the policy allows it), floored. */
  readonly propensity: number;
  /** For slates: the probability of the whole ordered slate (Monte Carlo for TS) and its standard error; for k = 1 equal to `propensity` with error 0. */
  readonly slatePropensity: number;
  readonly slatePropensityStdError: number;
  readonly policy: string;
  /** The traffic-ramp arm that decided, when a ramp made the decision. */
  readonly arm?: string;
}

export interface Policy {
  readonly name: string;
  decide(candidates: Candidates, options: DecideOptions): Decision;
  /** Probability of each candidate being chosen top-1 (sums to 1). */
  topPropensities(candidates: Candidates, out?: Float64Array): Float64Array;
}
