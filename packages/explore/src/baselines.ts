import { checkFiniteNumber, checkKnownKeys, checkPositive, checkRange, invalidArgument } from '@laserkit/core';
import { response } from './link.js';
import { argMax, selectTopK } from './top-k.js';
import type { Candidates, DecideOptions, Decision, Policy } from './types.js';
import { checkCandidates, checkDecideOptions } from './validate-candidates.js';

/** Fills `out` with each candidate's ranking value at s = mean + width · √(scale · variance). */
function fillValues(c: Candidates, n: number, width: number, scale: number, out: Float64Array): void {
  const { mean, variance, bid, link } = c;
  if (width === 0) {
    if (bid === undefined) for (let j = 0; j < n; j++) out[j] = mean[j] as number;
    else for (let j = 0; j < n; j++) out[j] = (bid[j] as number) * response(link, mean[j] as number);
    return;
  }
  for (let j = 0; j < n; j++) {
    const s = (mean[j] as number) + width * Math.sqrt(scale * (variance[j] as number));
    out[j] = bid === undefined ? s : (bid[j] as number) * response(link, s);
  }
}

function oneHot(n: number, winner: number, out: Float64Array | undefined): Float64Array {
  const result = out ?? new Float64Array(n);
  if (result.length < n) throw invalidArgument('out', result, `must have length >= count (${n})`);
  result.fill(0, 0, n);
  result[winner] = 1;
  return result;
}

/** A deterministic ranking by a value per candidate: exploit-only and UCB. */
abstract class DeterministicRanking implements Policy {
  protected values = new Float64Array(0);
  constructor(readonly name: string) {}

  protected abstract fill(c: Candidates, n: number, out: Float64Array): void;

  private valuesFor(c: Candidates, n: number): Float64Array {
    if (this.values.length < n) this.values = new Float64Array(Math.max(n, 2 * this.values.length));
    this.fill(c, n, this.values);
    return this.values;
  }

  decide(candidates: Candidates, options: DecideOptions): Decision {
    const n = checkCandidates(candidates);
    const k = checkDecideOptions(options);
    const values = this.valuesFor(candidates, n);
    const m = Math.min(k, n);
    const slate = new Int32Array(m);
    const scores = new Float64Array(m);
    selectTopK(values, n, m, slate, scores);
    // A deterministic policy shows this slate with probability 1 (and any other with 0).
    return { slate, scores, propensity: 1, slatePropensity: 1, slatePropensityStdError: 0, policy: this.name };
  }

  topPropensities(candidates: Candidates, out?: Float64Array): Float64Array {
    const n = checkCandidates(candidates);
    return oneHot(n, argMax(this.valuesFor(candidates, n), n), out);
  }
}

export interface ExploitOnlyOptions {
  /** @default 'exploit' */
  readonly name?: string;
}

/** Ranks by the posterior mode (or bid × g(mode)): LASER's control arm, no exploration. */
export class ExploitOnlyPolicy extends DeterministicRanking {
  constructor(options: ExploitOnlyOptions = {}) {
    checkKnownKeys('options', options, ['name']);
    super(options.name ?? 'exploit');
  }

  protected fill(c: Candidates, n: number, out: Float64Array): void {
    fillValues(c, n, 0, 0, out);
  }
}

export interface UcbOptions {
  /** Optimism in posterior standard deviations: rank by s = mean + width·√(varianceScale·variance). @default 1 */
  readonly width?: number;
  /** Factor on the variance, as for Thompson sampling. @default 1 */
  readonly varianceScale?: number;
  /** @default 'ucb' */
  readonly name?: string;
}

export const DEFAULT_UCB_OPTIONS: Required<UcbOptions> = Object.freeze({ width: 1, varianceScale: 1, name: 'ucb' });

/**
 * Upper confidence bound on the linear predictor from the same Gaussian posterior (a Bayesian
 * UCB: Kaufmann, Cappé & Garivier, AISTATS 2012, with a fixed quantile). Deterministic, so its
 * logged propensity is 1 for the shown ad.
 */
export class UcbPolicy extends DeterministicRanking {
  readonly options: Required<UcbOptions>;
  constructor(options: UcbOptions = {}) {
    checkKnownKeys('options', options, Object.keys(DEFAULT_UCB_OPTIONS));
    const o = { ...DEFAULT_UCB_OPTIONS, ...options };
    checkRange('width', o.width, 0, 100);
    checkPositive('varianceScale', o.varianceScale);
    super(o.name);
    this.options = Object.freeze(o);
  }

  protected fill(c: Candidates, n: number, out: Float64Array): void {
    fillValues(c, n, this.options.width, this.options.varianceScale, out);
  }
}

export interface EpsilonGreedyOptions {
  /** Probability of showing a uniformly random slate instead of the greedy one. @default 0.05 */
  readonly epsilon?: number;
  /** @default 'epsilon-greedy' */
  readonly name?: string;
}

export const DEFAULT_EPSILON_GREEDY_OPTIONS: Required<EpsilonGreedyOptions> = Object.freeze({ epsilon: 0.05, name: 'epsilon-greedy' });

/**
 * ε-greedy: with probability ε a uniformly random ordered slate, otherwise the greedy one (by the
 * posterior mode). Propensities are exact: top-1 (1-ε)·1[greedy] + ε/n; a slate of m out of n,
 * (1-ε)·1[greedy slate] + ε/(n(n-1)…(n-m+1)).
 */
export class EpsilonGreedyPolicy implements Policy {
  readonly name: string;
  readonly epsilon: number;
  private values = new Float64Array(0);
  private greedy = new Int32Array(0);
  private greedyScores = new Float64Array(0);

  constructor(options: EpsilonGreedyOptions = {}) {
    checkKnownKeys('options', options, Object.keys(DEFAULT_EPSILON_GREEDY_OPTIONS));
    const o = { ...DEFAULT_EPSILON_GREEDY_OPTIONS, ...options };
    this.epsilon = checkRange('epsilon', checkFiniteNumber('epsilon', o.epsilon), 0, 1);
    this.name = o.name;
  }

  decide(candidates: Candidates, options: DecideOptions): Decision {
    const n = checkCandidates(candidates);
    const k = checkDecideOptions(options);
    const rng = options.rng;
    if (this.values.length < n) this.values = new Float64Array(Math.max(n, 2 * this.values.length));
    fillValues(candidates, n, 0, 0, this.values);
    const m = Math.min(k, n);
    if (this.greedy.length < m) {
      this.greedy = new Int32Array(m);
      this.greedyScores = new Float64Array(m);
    }
    selectTopK(this.values, n, m, this.greedy, this.greedyScores);
    const slate = new Int32Array(m);
    const scores = new Float64Array(m);
    const explore = rng.nextFloat() < this.epsilon;
    if (explore) {
      // A uniformly random ordered m-subset, by rejection (m is small next to n in practice).
      for (let i = 0; i < m; i++) {
        for (;;) {
          const j = rng.nextInt(n);
          let seen = false;
          for (let p = 0; p < i; p++) if ((slate[p] as number) === j) seen = true;
          if (!seen) {
            slate[i] = j;
            break;
          }
        }
        scores[i] = this.values[slate[i] as number] as number;
      }
    } else {
      slate.set(this.greedy.subarray(0, m));
      scores.set(this.greedyScores.subarray(0, m));
    }
    const eps = this.epsilon;
    const top = (1 - eps) * ((slate[0] as number) === (this.greedy[0] as number) ? 1 : 0) + eps / n;
    let isGreedy = true;
    for (let i = 0; i < m; i++) if ((slate[i] as number) !== (this.greedy[i] as number)) isGreedy = false;
    let uniform = 1;
    for (let i = 0; i < m; i++) uniform /= n - i;
    const whole = (1 - eps) * (isGreedy ? 1 : 0) + eps * uniform;
    return { slate, scores, propensity: top, slatePropensity: whole, slatePropensityStdError: 0, policy: this.name };
  }

  topPropensities(candidates: Candidates, out?: Float64Array): Float64Array {
    const n = checkCandidates(candidates);
    if (this.values.length < n) this.values = new Float64Array(Math.max(n, 2 * this.values.length));
    fillValues(candidates, n, 0, 0, this.values);
    const result = oneHot(n, argMax(this.values, n), out);
    for (let j = 0; j < n; j++) result[j] = (1 - this.epsilon) * (result[j] as number) + this.epsilon / n;
    return result;
  }
}
