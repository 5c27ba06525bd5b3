import { checkInteger, checkKnownKeys, checkPositive, invalidArgument } from '@laserkit/core';
import { integrateAdaptive } from './quadrature.js';
import { rankProbabilities } from './rank-probabilities.js';
import { betaCdf, betaPdf, logBeta } from './special.js';
import { selectTopK } from './top-k.js';
import type { DecideOptions, Decision } from './types.js';
import { checkDecideOptions, checkPropensityFloor, floored } from './validate-candidates.js';

/** Arms without features: click and no-click counts per arm (Beta-Bernoulli bandit). */
export interface BetaArms {
  readonly count: number;
  readonly successes: Float64Array;
  readonly failures: Float64Array;
  /** Optional bids (> 0): rank by bid × sampled click probability. */
  readonly bid?: Float64Array;
}

export interface BetaBernoulliOptions {
  /** Prior Beta(priorAlpha, priorBeta) on every arm's click probability. @default 1 */
  readonly priorAlpha?: number;
  /** @default 1 */
  readonly priorBeta?: number;
  /** @default 1e-6 */
  readonly propensityFloor?: number;
  /** Monte Carlo draws for the probability of a whole slate. @default 256 */
  readonly slateSamples?: number;
  /** @default 'beta-thompson' */
  readonly name?: string;
}

export const DEFAULT_BETA_BERNOULLI_OPTIONS: Required<BetaBernoulliOptions> = Object.freeze({
  priorAlpha: 1,
  priorBeta: 1,
  propensityFloor: 1e-6,
  slateSamples: 256,
  name: 'beta-thompson',
});

/** Standard deviations around the mean taken as an arm's support (Beta tails are light; 12 keeps the cut mass < 1e-8 for shape ≥ 1). */
const BETA_TAIL_SDS = 12;

/**
 * Beta-Bernoulli Thompson sampling (Thompson 1933; Chapelle & Li, NIPS 2011, Alg. 2): draw
 * θ_j ~ Beta(α + successes_j, β + failures_j) and rank by θ_j (or bid_j·θ_j). The top-1 propensity
 * is the exact 1-D race integral ∫ f_j(x) Π_{k≠j} F_k(x) dx; per-position probabilities of a
 * ranked list come from `rankPropensities` (exact, see rank-probabilities.ts).
 */
export class BetaBernoulliThompsonPolicy {
  readonly name: string;
  readonly options: Required<BetaBernoulliOptions>;

  constructor(options: BetaBernoulliOptions = {}) {
    checkKnownKeys('options', options, Object.keys(DEFAULT_BETA_BERNOULLI_OPTIONS));
    const o = { ...DEFAULT_BETA_BERNOULLI_OPTIONS, ...options };
    checkPositive('priorAlpha', o.priorAlpha);
    checkPositive('priorBeta', o.priorBeta);
    checkPropensityFloor('propensityFloor', o.propensityFloor);
    checkInteger('slateSamples', o.slateSamples, 1, 1_000_000);
    this.options = Object.freeze(o);
    this.name = o.name;
  }

  private posterior(arms: BetaArms): { n: number; a: Float64Array; b: Float64Array; lnB: Float64Array; bid: Float64Array; lo: Float64Array; hi: Float64Array } {
    if (arms === null || typeof arms !== 'object') throw invalidArgument('arms', arms, 'must be an object');
    const n = arms.count;
    if (!Number.isInteger(n) || n < 1) throw invalidArgument('arms.count', n, 'must be an integer >= 1');
    for (const f of ['successes', 'failures'] as const) {
      const x = arms[f];
      if (!(x instanceof Float64Array) || x.length < n) throw invalidArgument(`arms.${f}`, x, `must be a Float64Array of length >= count (${n})`);
    }
    const a = new Float64Array(n);
    const b = new Float64Array(n);
    const lnB = new Float64Array(n);
    const bid = new Float64Array(n);
    const lo = new Float64Array(n);
    const hi = new Float64Array(n);
    for (let j = 0; j < n; j++) {
      const s = arms.successes[j] as number;
      const f = arms.failures[j] as number;
      if (!(s >= 0 && f >= 0) || !Number.isFinite(s + f)) throw invalidArgument(`arms.successes[${j}] / arms.failures[${j}]`, `${s} / ${f}`, 'must be finite numbers >= 0');
      const bj = arms.bid === undefined ? 1 : (arms.bid[j] as number);
      if (!(bj > 0) || bj === Infinity) throw invalidArgument(`arms.bid[${j}]`, bj, 'must be a finite number > 0');
      a[j] = this.options.priorAlpha + s;
      b[j] = this.options.priorBeta + f;
      lnB[j] = logBeta(a[j] as number, b[j] as number);
      bid[j] = bj;
      const ab = (a[j] as number) + (b[j] as number);
      const mean = (a[j] as number) / ab;
      const sd = Math.sqrt(((a[j] as number) * (b[j] as number)) / (ab * ab * (ab + 1)));
      lo[j] = bj * Math.max(0, mean - BETA_TAIL_SDS * sd);
      hi[j] = bj * Math.min(1, mean + BETA_TAIL_SDS * sd);
    }
    return { n, a, b, lnB, bid, lo, hi };
  }

  /** Exact P(arm j ranks first) for one arm. */
  private winProbability(p: ReturnType<BetaBernoulliThompsonPolicy['posterior']>, j: number): number {
    let floor = 0;
    for (let k = 0; k < p.n; k++) floor = Math.max(floor, p.lo[k] as number);
    const from = Math.max(p.lo[j] as number, floor);
    const to = p.hi[j] as number;
    if (!(to > from)) return 0;
    const bj = p.bid[j] as number;
    const f = (v: number): number => {
      let y = betaPdf(v / bj, p.a[j] as number, p.b[j] as number, p.lnB[j] as number) / bj;
      for (let k = 0; k < p.n && y > 0; k++) {
        if (k === j || (p.hi[k] as number) <= v) continue;
        y *= betaCdf(v / (p.bid[k] as number), p.a[k] as number, p.b[k] as number, p.lnB[k] as number);
      }
      return y;
    };
    return integrateAdaptive(f, from, to, 1e-10, 8).value;
  }

  decide(arms: BetaArms, options: DecideOptions): Decision {
    const p = this.posterior(arms);
    const k = checkDecideOptions(options);
    const rng = options.rng;
    const values = new Float64Array(p.n);
    for (let j = 0; j < p.n; j++) values[j] = (p.bid[j] as number) * rng.nextBeta(p.a[j] as number, p.b[j] as number);
    const m = Math.min(k, p.n);
    const slate = new Int32Array(m);
    const scores = new Float64Array(m);
    selectTopK(values, p.n, m, slate, scores);
    const floorP = this.options.propensityFloor;
    const propensity = floored(floorP, this.winProbability(p, slate[0] as number), this.name);
    if (m === 1) return { slate, scores, propensity, slatePropensity: propensity, slatePropensityStdError: 0, policy: this.name };
    // Rao-Blackwellised Monte Carlo over the slate's own draws (as for Gaussian Thompson sampling).
    const samples = this.options.slateSamples;
    const draw = new Float64Array(m);
    let sum = 0;
    let sumSq = 0;
    for (let s = 0; s < samples; s++) {
      for (let i = 0; i < m; i++) {
        const j = slate[i] as number;
        draw[i] = (p.bid[j] as number) * rng.nextBeta(p.a[j] as number, p.b[j] as number);
      }
      let ordered = true;
      for (let i = 1; i < m && ordered; i++) ordered = (draw[i - 1] as number) > (draw[i] as number);
      if (!ordered) continue;
      const v = draw[m - 1] as number;
      let w = 1;
      for (let r = 0; r < p.n && w > 0; r++) {
        if (slate.includes(r) || (p.hi[r] as number) <= v) continue;
        w *= betaCdf(v / (p.bid[r] as number), p.a[r] as number, p.b[r] as number, p.lnB[r] as number);
      }
      sum += w;
      sumSq += w * w;
    }
    const mean = sum / samples;
    const stdError = Math.sqrt(Math.max(0, sumSq / samples - mean * mean) / samples);
    return { slate, scores, propensity, slatePropensity: Math.max(floorP, mean), slatePropensityStdError: stdError, policy: this.name };
  }

  /**
   * P(arm j is shown at position r) for r = 0 … ranks-1, row-major `[j * ranks + r]`: the action
   * distribution per slot of a ranked list (what Open Bandit Dataset logs as propensity per position).
   */
  rankPropensities(arms: BetaArms, ranks: number): Float64Array {
    const p = this.posterior(arms);
    checkInteger('ranks', ranks, 1, p.n);
    let lo = Infinity;
    let hi = 0;
    for (let j = 0; j < p.n; j++) {
      lo = Math.min(lo, p.lo[j] as number);
      hi = Math.max(hi, p.hi[j] as number);
    }
    return rankProbabilities(p.n, ranks, lo, hi, (v, pdf, cdf) => {
      for (let j = 0; j < p.n; j++) {
        const bj = p.bid[j] as number;
        const x = v / bj;
        pdf[j] = betaPdf(x, p.a[j] as number, p.b[j] as number, p.lnB[j] as number) / bj;
        cdf[j] = betaCdf(x, p.a[j] as number, p.b[j] as number, p.lnB[j] as number);
      }
    }).probability;
  }

  topPropensities(arms: BetaArms, out?: Float64Array): Float64Array {
    const p = this.posterior(arms);
    const result = out ?? new Float64Array(p.n);
    if (result.length < p.n) throw invalidArgument('out', result, `must have length >= count (${p.n})`);
    for (let j = 0; j < p.n; j++) result[j] = this.winProbability(p, j);
    return result;
  }
}
