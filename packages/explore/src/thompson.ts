import { checkInteger, checkKnownKeys, checkPositive, invalidArgument } from '@laserkit/core';
import { GaussianRace, TAIL_SDS } from './gaussian-race.js';
import { response } from './link.js';
import { selectTopK } from './top-k.js';
import type { Candidates, DecideOptions, Decision, Policy } from './types.js';
import { checkCandidates, checkDecideOptions, checkPropensityFloor, floored } from './validate-candidates.js';

export interface ThompsonSamplingOptions {
  /**
   * Factor on the posterior variance of the warm-start part before sampling. LASER (Agarwal et
   * al. WSDM 2014, §5) sampled with 0.1 × the variance, which cut exploration to what paid off.
   * @default 0.1
   */
  readonly varianceScale?: number;
  /** Logged propensities are at least this, so importance weights stay finite. @default 1e-6 */
  readonly propensityFloor?: number;
  /** Monte Carlo draws for the probability of a whole slate (k > 1). @default 256 */
  readonly slateSamples?: number;
  /**
   * Target for the estimated absolute error of the top-1 propensity integral: Σ |K15 - G7| over the
   * quadrature panels (an estimate of the 7-point rule's error; the 15-point value returned is
   * usually far more accurate) plus bounds on the cut tails. Kept 1000× below the 1e-4 the logged
   * propensities need because an embedded-rule estimate can be fooled by a step narrower than the
   * panel (a competitor with a much smaller variance); the tests probe such cases.
   * @default 1e-7
   */
  readonly quadratureTolerance?: number;
  /** Name recorded on each decision. @default 'thompson' */
  readonly name?: string;
}

export const DEFAULT_THOMPSON_SAMPLING_OPTIONS: Required<ThompsonSamplingOptions> = Object.freeze({
  varianceScale: 0.1,
  propensityFloor: 1e-6,
  slateSamples: 256,
  quadratureTolerance: 1e-7,
  name: 'thompson',
});

/**
 * Thompson sampling as LASER does it (WSDM 2014, §5): each candidate's linear predictor is drawn
 * from N(mean_j, varianceScale · variance_j), where the variance is that of the per-entity
 * warm-start part only (the cold-start part sits at its mode), and candidates are ranked by the
 * draw, or by bid × g(draw) when bids are given (Chapelle & Li, NIPS 2011, §3 for the display-ad
 * setting). The top-1 propensity is the exact race probability (GaussianRace); a slate's
 * probability is a seeded Rao-Blackwellised Monte Carlo estimate with its standard error.
 */
export class ThompsonSamplingPolicy implements Policy {
  readonly name: string;
  readonly options: Required<ThompsonSamplingOptions>;
  private readonly race: GaussianRace;
  private values = new Float64Array(0);
  private slateDraw = new Float64Array(0);
  private relevant = new Int32Array(0);

  constructor(options: ThompsonSamplingOptions = {}) {
    checkKnownKeys('options', options, Object.keys(DEFAULT_THOMPSON_SAMPLING_OPTIONS));
    const o = { ...DEFAULT_THOMPSON_SAMPLING_OPTIONS, ...options };
    checkPositive('varianceScale', o.varianceScale);
    checkPropensityFloor('propensityFloor', o.propensityFloor);
    checkInteger('slateSamples', o.slateSamples, 1, 1_000_000);
    checkPositive('quadratureTolerance', o.quadratureTolerance);
    if (o.quadratureTolerance > 1e-5) throw invalidArgument('quadratureTolerance', o.quadratureTolerance, 'must be <= 1e-5', 'logged propensities must be accurate to 1e-4');
    if (typeof o.name !== 'string' || o.name === '') throw invalidArgument('name', o.name, 'must be a non-empty string');
    this.options = Object.freeze(o);
    this.name = o.name;
    this.race = new GaussianRace(o.quadratureTolerance);
  }

  decide(candidates: Candidates, options: DecideOptions): Decision {
    const n = checkCandidates(candidates);
    const k = checkDecideOptions(options);
    const rng = options.rng;
    if (this.values.length < n) this.values = new Float64Array(Math.max(n, 2 * this.values.length));
    const race = this.race;
    race.reserve(n);
    const { mean, variance, bid, link } = candidates;
    const scale = this.options.varianceScale;
    const values = this.values;
    const sd = race.sd;
    const lo = race.lo;
    const hi = race.hi;
    let floor = -Infinity;
    for (let j = 0; j < n; j++) {
      const s = Math.sqrt(scale * (variance[j] as number));
      const m = mean[j] as number;
      sd[j] = s;
      const draw = s === 0 ? m : m + s * rng.nextNormal();
      if (bid === undefined) {
        values[j] = draw;
        lo[j] = m - TAIL_SDS * s;
        hi[j] = m + TAIL_SDS * s;
      } else {
        const b = bid[j] as number;
        values[j] = b * response(link, draw);
        lo[j] = b * response(link, m - TAIL_SDS * s);
        hi[j] = s === 0 ? (lo[j] as number) : b * response(link, m + TAIL_SDS * s);
      }
      if ((lo[j] as number) > floor) floor = lo[j] as number;
    }
    race.setPrepared(candidates, floor);
    const m = Math.min(k, n);
    const slate = new Int32Array(m);
    const scores = new Float64Array(m);
    selectTopK(values, n, m, slate, scores);
    const floorP = this.options.propensityFloor;
    const propensity = floored(floorP, race.winProbability(slate[0] as number), this.name);
    if (m === 1) return { slate, scores, propensity, slatePropensity: propensity, slatePropensityStdError: 0, policy: this.name };
    const { estimate, stdError } = this.slateProbability(candidates, slate, rng);
    return { slate, scores, propensity, slatePropensity: Math.max(floorP, estimate), slatePropensityStdError: stdError, policy: this.name };
  }

  /**
   * P(V_{s1} > … > V_{sm} > max of the rest), estimated from draws of the slate's own values only:
   * each draw contributes 1[ordered] · Π_{r ∉ slate} P(V_r < V_{sm}), whose mean is the exact
   * probability (conditioning on the slate's values, a Rao-Blackwellisation of plain Monte Carlo).
   */
  private slateProbability(c: Candidates, slate: Int32Array, rng: DecideOptions['rng']): { estimate: number; stdError: number } {
    const race = this.race;
    const n = c.count;
    const m = slate.length;
    const last = slate[m - 1] as number;
    const sd = race.sd;
    const lo = race.lo;
    const hi = race.hi;
    if (this.slateDraw.length < m) this.slateDraw = new Float64Array(m);
    if (this.relevant.length < n) this.relevant = new Int32Array(n);
    // The last slate value is above lo[last] but for probability Φ(-7); rivals entirely below it are factors 1.
    const cut = lo[last] as number;
    let nr = 0;
    for (let r = 0; r < n; r++) {
      if ((hi[r] as number) < cut) continue;
      let inSlate = false;
      for (let i = 0; i < m; i++) if ((slate[i] as number) === r) inSlate = true;
      if (!inSlate) this.relevant[nr++] = r;
    }
    const samples = this.options.slateSamples;
    const draw = this.slateDraw;
    let sum = 0;
    let sumSq = 0;
    for (let s = 0; s < samples; s++) {
      for (let i = 0; i < m; i++) {
        const j = slate[i] as number;
        const x = (sd[j] as number) === 0 ? (c.mean[j] as number) : (c.mean[j] as number) + (sd[j] as number) * rng.nextNormal();
        draw[i] = c.bid === undefined ? x : (c.bid[j] as number) * response(c.link, x);
      }
      let ordered = true;
      for (let i = 1; i < m && ordered; i++) {
        const a = draw[i - 1] as number;
        const b = draw[i] as number;
        ordered = a > b || (a === b && (slate[i - 1] as number) < (slate[i] as number));
      }
      if (!ordered) continue;
      const v = draw[m - 1] as number;
      let w = 1;
      if (v >= cut) {
        for (let i = 0; i < nr && w > 0; i++) w *= race.cdfBelow(this.relevant[i] as number, v, last);
      } else {
        for (let r = 0; r < n && w > 0; r++) {
          let inSlate = false;
          for (let i = 0; i < m; i++) if ((slate[i] as number) === r) inSlate = true;
          if (!inSlate) w *= race.cdfBelow(r, v, last);
        }
      }
      sum += w;
      sumSq += w * w;
    }
    const mean = sum / samples;
    const variance = Math.max(0, sumSq / samples - mean * mean);
    return { estimate: mean, stdError: Math.sqrt(variance / samples) };
  }

  topPropensities(candidates: Candidates, out?: Float64Array): Float64Array {
    const n = checkCandidates(candidates);
    const result = out ?? new Float64Array(n);
    if (result.length < n) throw invalidArgument('out', result, `must have length >= count (${n})`);
    this.race.prepare(candidates, this.options.varianceScale);
    for (let j = 0; j < n; j++) result[j] = this.race.winProbability(j);
    return result;
  }

  /** Error estimate of the last top-1 integral (for tests and diagnostics). */
  get lastQuadratureError(): number {
    return this.race.lastError;
  }
}

