import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { SeededRng, checkInteger, checkKnownKeys, checkPositive, checkRange, invalidArgument } from '@laserkit/core';
import { createTraffic, sigmoid, warmnessOf, WARMNESS_BUCKETS, type TrafficOptions, type TrafficPopulation, type Warmness } from '@laserkit/datasets';
import { EpsilonGreedyPolicy, ExploitOnlyPolicy, ThompsonSamplingPolicy, UcbPolicy, type Candidates, type Policy } from '@laserkit/explore';
import { integerArg, numberArg } from './options.js';
import { percent, table } from './format.js';

/** The policies compared by default. */
export const SIMULATED_POLICIES = ['thompson', 'exploit', 'epsilon-greedy', 'ucb'] as const;
/** 'oracle' (not run by default) ranks by the true click probability: regret 0 by construction, a check on the harness. */
export type SimulatedPolicy = (typeof SIMULATED_POLICIES)[number] | 'oracle';
const KNOWN_POLICIES: readonly SimulatedPolicy[] = [...SIMULATED_POLICIES, 'oracle'];

/** Prior variances of the warm-start coefficients (LASER's per-entity Gaussian priors). */
export interface WarmStartPriorVariances {
  /** δ_j, the campaign bias. */
  readonly bias: number;
  /** Each coefficient of η_j (one per warm-start user feature). */
  readonly warmUser: number;
  /** Each coefficient of ξ_j (one per context value). */
  readonly context: number;
}

export interface SimulationOptions {
  /** Ad requests per run; each shows one ad. @default 100000 */
  readonly impressions?: number;
  /** One run per seed (traffic, candidate sets and clicks all follow it). @default [1] */
  readonly seeds?: readonly number[];
  /** @default the four of SIMULATED_POLICIES */
  readonly policies?: readonly SimulatedPolicy[];
  /** Eligible campaigns per request, drawn by the traffic's campaign shares. @default 10 */
  readonly candidatesPerRequest?: number;
  /** Impressions between warm-start refits. @default 20000 */
  readonly refitEveryImpressions?: number;
  /** Most coordinate-Newton sweeps per campaign and refit (warm-started from the previous fit). @default 5 */
  readonly sweepsPerRefit?: number;
  /** A campaign's refit stops early once no coordinate moved by more than this in a sweep. @default 1e-3 */
  readonly refitTolerance?: number;
  /** Standard deviation of the per-campaign error of the cold-start score (see runSimulation). @default 0.2 */
  readonly coldErrorSd?: number;
  /**
   * Prior variances of δ_j, η_j and ξ_j. 'generator' derives them from the traffic (see
   * runSimulation): the distributions the true per-campaign effects were drawn from.
   * @default 'generator'
   */
  readonly priorVariances?: 'generator' | WarmStartPriorVariances;
  /** Thompson sampling's variance scale (LASER: 0.1). @default 0.1 */
  readonly varianceScale?: number;
  /** @default 0.05 */
  readonly epsilon?: number;
  /** UCB width in posterior standard deviations. @default 1 */
  readonly ucbWidth?: number;
  /** Points on the cumulative-regret curve. @default 50 */
  readonly curvePoints?: number;
  /** Traffic generator options (rows and seed are set per run). */
  readonly traffic?: Omit<TrafficOptions, 'rows' | 'seed'>;
}

export const DEFAULT_SIMULATION_OPTIONS = Object.freeze({
  impressions: 100_000,
  seeds: Object.freeze([1]) as readonly number[],
  policies: SIMULATED_POLICIES as readonly SimulatedPolicy[],
  candidatesPerRequest: 10,
  refitEveryImpressions: 20_000,
  sweepsPerRefit: 5,
  refitTolerance: 1e-3,
  coldErrorSd: 0.2,
  priorVariances: 'generator' as 'generator' | WarmStartPriorVariances,
  varianceScale: 0.1,
  epsilon: 0.05,
  ucbWidth: 1,
  curvePoints: 50,
  traffic: Object.freeze({}) as Omit<TrafficOptions, 'rows' | 'seed'>,
});
type ResolvedSimulationOptions = typeof DEFAULT_SIMULATION_OPTIONS;

export interface SegmentResult {
  readonly impressions: number;
  readonly clicks: number;
  readonly ctr: number;
  readonly regret: number;
}

export interface PolicyRun {
  readonly policy: SimulatedPolicy;
  readonly seed: number;
  readonly regret: number;
  readonly clicks: number;
  readonly ctr: number;
  /** The click rate of always showing the best candidate (the same for every policy of a seed). */
  readonly oracleCtr: number;
  /** Cumulative regret after each `curveAt` impression count. */
  readonly curve: readonly number[];
  readonly bySegment: Readonly<Record<Warmness, SegmentResult>>;
  /** The prior variances the warm-start fits used in this seed. */
  readonly priorVariances: WarmStartPriorVariances;
  /** Wall time spent in this policy's warm-start refits. */
  readonly refitSeconds: number;
  /** Totals over this policy's refits (campaign refits, sweeps, refits stopped at sweepsPerRefit). */
  readonly refitStats: RefitStats;
}

export interface SimulationResult {
  readonly options: ResolvedSimulationOptions;
  readonly curveAt: readonly number[];
  readonly runs: readonly PolicyRun[];
  readonly seconds: number;
}

function resolve(options: SimulationOptions): ResolvedSimulationOptions {
  checkKnownKeys('options', options, Object.keys(DEFAULT_SIMULATION_OPTIONS));
  const o = { ...DEFAULT_SIMULATION_OPTIONS, ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) } as ResolvedSimulationOptions;
  checkInteger('impressions', o.impressions, 1, 100_000_000);
  if (!Array.isArray(o.seeds) || o.seeds.length === 0) throw invalidArgument('seeds', o.seeds, 'must be a non-empty array of integer seeds');
  o.seeds.forEach((s, i) => checkInteger(`seeds[${i}]`, s, 0, 0xffffffff));
  if (!Array.isArray(o.policies) || o.policies.length === 0) throw invalidArgument('policies', o.policies, `must be a non-empty array of ${KNOWN_POLICIES.join(', ')}`);
  for (const p of o.policies) if (!KNOWN_POLICIES.includes(p)) throw invalidArgument('policies', p, `must be one of ${KNOWN_POLICIES.join(', ')}`);
  checkInteger('candidatesPerRequest', o.candidatesPerRequest, 1, 10_000);
  checkInteger('refitEveryImpressions', o.refitEveryImpressions, 1, 100_000_000);
  checkInteger('sweepsPerRefit', o.sweepsPerRefit, 1, 1000);
  checkPositive('refitTolerance', o.refitTolerance);
  checkRange('coldErrorSd', o.coldErrorSd, 0, 10);
  if (o.priorVariances !== 'generator') checkPriorVariances('priorVariances', o.priorVariances);
  checkPositive('varianceScale', o.varianceScale);
  checkRange('epsilon', o.epsilon, 0, 1);
  checkRange('ucbWidth', o.ucbWidth, 0, 100);
  checkInteger('curvePoints', o.curvePoints, 1, 10_000);
  return o;
}

function checkPriorVariances(field: string, v: unknown): WarmStartPriorVariances {
  if (v === null || typeof v !== 'object') throw invalidArgument(field, v, "must be 'generator' or { bias, warmUser, context }");
  checkKnownKeys(field, v, ['bias', 'warmUser', 'context']);
  const p = v as WarmStartPriorVariances;
  checkPositive(`${field}.bias`, p.bias);
  checkPositive(`${field}.warmUser`, p.warmUser);
  checkPositive(`${field}.context`, p.context);
  return p;
}

function makePolicy(name: SimulatedPolicy, o: ResolvedSimulationOptions): Policy {
  if (name === 'thompson') return new ThompsonSamplingPolicy({ varianceScale: o.varianceScale });
  if (name === 'exploit') return new ExploitOnlyPolicy();
  if (name === 'oracle') return new ExploitOnlyPolicy({ name: 'oracle' });
  if (name === 'epsilon-greedy') return new EpsilonGreedyPolicy({ epsilon: o.epsilon });
  return new UcbPolicy({ width: o.ucbWidth });
}

/** What a WarmStartPosterior needs to know about the feature spaces. */
export interface WarmStartLayout {
  readonly campaigns: number;
  /** η_j acts on user features 0..warmUserFeatures-1 (binary). */
  readonly warmUserFeatures: number;
  /** Dimension of z (all one-hot context fields together). */
  readonly contextDimension: number;
  /** Start of each one-hot context field in z (z has one active value per field); sorted, first 0. */
  readonly contextFieldOffsets: Int32Array;
  /** Per user u, its active warm-start features are userWarmIndices[userWarmOffsets[u] .. userWarmOffsets[u+1]). */
  readonly userWarmOffsets: Int32Array;
  readonly userWarmIndices: Int32Array;
}

/** Each user's active features among the first `warmUserFeatures` (the η_j inputs), as CSR. */
export function warmUserLists(population: TrafficPopulation, warmUserFeatures: number): { offsets: Int32Array; indices: Int32Array } {
  const users = population.userFeatureOffsets.length - 1;
  const offsets = new Int32Array(users + 1);
  const kept: number[] = [];
  for (let u = 0; u < users; u++) {
    for (let q = population.userFeatureOffsets[u] as number; q < (population.userFeatureOffsets[u + 1] as number); q++) {
      const f = population.userFeatureIndices[q] as number;
      if (f < warmUserFeatures) kept.push(f);
    }
    offsets[u + 1] = kept.length;
  }
  return { offsets, indices: Int32Array.from(kept) };
}

/** What one refit did. */
export interface RefitStats {
  /** Campaigns with new impressions since the previous refit (the only ones refit). */
  readonly campaigns: number;
  /** Coordinate-Newton sweeps over all refit campaigns. */
  readonly sweeps: number;
  /** Refit campaigns that stopped at the sweep limit rather than at the tolerance. */
  readonly unconverged: number;
}

/**
 * Per-campaign warm-start posteriors of LASER's per-entity part (Agarwal et al. WSDM 2014, eq. 1-6):
 * s = offset + δ_j + x'η_j + z'ξ_j, with x the user's binary warm-start features, z the one-hot
 * context and the offset the cold-start score (held fixed, as LASER refits Θc far less often than
 * the warm-start part). Priors are independent Gaussians N(0, v0). Each refit maximises the
 * log-posterior of the campaigns that received impressions since the last refit by cyclic
 * coordinate Newton steps, each clipped to a trust region as in Genkin, Lewis & Madigan
 * (Technometrics 2007, CLG), warm-started from the previous mode. The posterior is the diagonal
 * Laplace approximation at the mode: v_t = 1 / (1/v0_t + Σ_rows x_t² p(1-p)), i.e. 1/diag(H),
 * which is what Thompson sampling draws from and UCB widens by.
 *
 * Coefficient layout per campaign (P = 1 + W + D): [δ_j, η_j[0..W), ξ_j[0..D)].
 */
export class WarmStartPosterior {
  readonly coordinates: number;
  private readonly contextFields: number;
  /** Posterior mode, campaign-major (campaign j's coefficients at j·coordinates). */
  readonly mode: Float64Array;
  /** Diagonal Laplace posterior variances, same layout. */
  readonly variance: Float64Array;
  private readonly priorVariance: Float64Array;
  private readonly dirty: Uint8Array;
  // The impression log.
  private rowCampaign = new Int32Array(1 << 14);
  private rowUser = new Int32Array(1 << 14);
  private rowOffset = new Float64Array(1 << 14);
  private rowLabel = new Uint8Array(1 << 14);
  private rowContext: Int32Array;
  private rows = 0;
  // Refit scratch, grown as needed.
  private eta = new Float64Array(0);
  private colRows = new Int32Array(0);
  private readonly colStart: Int32Array;
  private readonly colFill: Int32Array;
  private readonly trust: Float64Array;

  constructor(
    readonly layout: WarmStartLayout,
    readonly prior: WarmStartPriorVariances,
  ) {
    checkInteger('layout.campaigns', layout.campaigns, 1, 10_000_000);
    checkInteger('layout.warmUserFeatures', layout.warmUserFeatures, 0, 1_000_000);
    checkInteger('layout.contextDimension', layout.contextDimension, 0, 1_000_000);
    const fo = layout.contextFieldOffsets;
    for (let f = 0; f < fo.length; f++) {
      const lo = f === 0 ? 0 : (fo[f - 1] as number) + 1;
      if (!Number.isInteger(fo[f]) || (fo[f] as number) < lo || (fo[f] as number) >= layout.contextDimension) {
        throw invalidArgument(`layout.contextFieldOffsets[${f}]`, fo[f], `must be an increasing integer in [${lo}, ${layout.contextDimension - 1}]`, 'each field needs at least one value');
      }
    }
    if (fo.length > 0 && fo[0] !== 0) throw invalidArgument('layout.contextFieldOffsets[0]', fo[0], 'must be 0');
    this.contextFields = fo.length;
    checkPriorVariances('prior', prior);
    const W = layout.warmUserFeatures;
    const P = 1 + W + layout.contextDimension;
    this.coordinates = P;
    this.priorVariance = new Float64Array(P);
    for (let t = 0; t < P; t++) this.priorVariance[t] = t === 0 ? prior.bias : t <= W ? prior.warmUser : prior.context;
    this.mode = new Float64Array(layout.campaigns * P);
    this.variance = new Float64Array(layout.campaigns * P);
    for (let j = 0; j < layout.campaigns; j++) this.variance.set(this.priorVariance, j * P);
    this.dirty = new Uint8Array(layout.campaigns);
    this.rowContext = new Int32Array((1 << 14) * this.contextFields);
    this.colStart = new Int32Array(P + 1);
    this.colFill = new Int32Array(P);
    this.trust = new Float64Array(P);
  }

  /** Impressions logged so far. */
  get size(): number {
    return this.rows;
  }

  /**
   * Writes campaign j's score mean (offset + warm-start part at the mode) and the posterior
   * variance of its warm-start part, Σ_t x_t² v_jt, for this user and context.
   */
  predict(j: number, user: number, z: Int32Array, offset: number, meanOut: Float64Array, varianceOut: Float64Array, at: number): void {
    const P = this.coordinates;
    const W = this.layout.warmUserFeatures;
    const base = j * P;
    let m = offset + (this.mode[base] as number);
    let v = this.variance[base] as number;
    const uo = this.layout.userWarmOffsets;
    const ui = this.layout.userWarmIndices;
    for (let q = uo[user] as number; q < (uo[user + 1] as number); q++) {
      const t = base + 1 + (ui[q] as number);
      m += this.mode[t] as number;
      v += this.variance[t] as number;
    }
    for (let f = 0; f < this.contextFields; f++) {
      const t = base + 1 + W + (z[f] as number);
      m += this.mode[t] as number;
      v += this.variance[t] as number;
    }
    meanOut[at] = m;
    varianceOut[at] = v;
  }

  /** Logs one impression of campaign j (its cold-start score as offset) and its click label (0 or 1); unchecked, as it runs per impression. */
  add(j: number, user: number, z: Int32Array, offset: number, label: number): void {
    if (this.rows === this.rowCampaign.length) {
      const n = this.rows * 2;
      this.rowCampaign = grow(this.rowCampaign, n);
      this.rowUser = grow(this.rowUser, n);
      this.rowOffset = grow(this.rowOffset, n);
      this.rowLabel = grow(this.rowLabel, n);
      this.rowContext = grow(this.rowContext, n * this.contextFields);
    }
    const r = this.rows++;
    this.rowCampaign[r] = j;
    this.rowUser[r] = user;
    this.rowOffset[r] = offset;
    this.rowLabel[r] = label;
    for (let f = 0; f < this.contextFields; f++) this.rowContext[r * this.contextFields + f] = z[f] as number;
    this.dirty[j] = 1;
  }

  /** Refits every campaign with new impressions; see the class comment. */
  refit(maxSweeps: number, tolerance: number): RefitStats {
    checkInteger('maxSweeps', maxSweeps, 1, 100_000);
    checkPositive('tolerance', tolerance);
    const n = this.rows;
    const C = this.layout.campaigns;
    const P = this.coordinates;
    const W = this.layout.warmUserFeatures;
    const F = this.contextFields;
    const uo = this.layout.userWarmOffsets;
    const ui = this.layout.userWarmIndices;
    // Rows grouped by campaign (counting sort).
    const start = new Int32Array(C + 1);
    for (let r = 0; r < n; r++) {
      const j1 = (this.rowCampaign[r] as number) + 1;
      start[j1] = (start[j1] as number) + 1;
    }
    for (let j = 0; j < C; j++) start[j + 1] = (start[j + 1] as number) + (start[j] as number);
    const order = new Int32Array(n);
    const fill = start.slice(0, C);
    for (let r = 0; r < n; r++) {
      const j = this.rowCampaign[r] as number;
      order[fill[j] as number] = r;
      fill[j] = (fill[j] as number) + 1;
    }
    let campaigns = 0;
    let sweeps = 0;
    let unconverged = 0;
    const colStart = this.colStart;
    const prior = this.priorVariance;
    for (let j = 0; j < C; j++) {
      if (this.dirty[j] === 0) continue;
      this.dirty[j] = 0;
      campaigns++;
      const a = start[j] as number;
      const m = (start[j + 1] as number) - a;
      const base = j * P;
      if (this.eta.length < m) this.eta = new Float64Array(Math.max(m, 2 * this.eta.length));
      const eta = this.eta;
      // Linear predictors at the current mode, and the rows of each coordinate (CSC, local row ids).
      colStart.fill(0);
      for (let q = 0; q < m; q++) {
        const r = order[a + q] as number;
        const u = this.rowUser[r] as number;
        let s = (this.rowOffset[r] as number) + (this.mode[base] as number);
        colStart[1] = (colStart[1] as number) + 1;
        for (let k = uo[u] as number; k < (uo[u + 1] as number); k++) {
          const t = 1 + (ui[k] as number);
          s += this.mode[base + t] as number;
          colStart[t + 1] = (colStart[t + 1] as number) + 1;
        }
        for (let f = 0; f < F; f++) {
          const t = 1 + W + (this.rowContext[r * F + f] as number);
          s += this.mode[base + t] as number;
          colStart[t + 1] = (colStart[t + 1] as number) + 1;
        }
        eta[q] = s;
      }
      for (let t = 0; t < P; t++) colStart[t + 1] = (colStart[t + 1] as number) + (colStart[t] as number);
      const nnz = colStart[P] as number;
      if (this.colRows.length < nnz) this.colRows = new Int32Array(Math.max(nnz, 2 * this.colRows.length));
      const colRows = this.colRows;
      const colFill = this.colFill;
      colFill.set(colStart.subarray(0, P));
      const put = (t: number, q: number): void => {
        const k = colFill[t] as number;
        colRows[k] = q;
        colFill[t] = k + 1;
      };
      for (let q = 0; q < m; q++) {
        const r = order[a + q] as number;
        const u = this.rowUser[r] as number;
        put(0, q);
        for (let k = uo[u] as number; k < (uo[u + 1] as number); k++) put(1 + (ui[k] as number), q);
        for (let f = 0; f < F; f++) put(1 + W + (this.rowContext[r * F + f] as number), q);
      }
      this.trust.fill(1);
      let converged = false;
      for (let sweep = 0; sweep < maxSweeps && !converged; sweep++) {
        sweeps++;
        let largest = 0;
        for (let t = 0; t < P; t++) {
          const lo = colStart[t] as number;
          const hi = colStart[t + 1] as number;
          if (lo === hi) continue;
          const v0 = prior[t] as number;
          let g = (this.mode[base + t] as number) / v0;
          let h = 1 / v0;
          for (let k = lo; k < hi; k++) {
            const q = colRows[k] as number;
            const p = 1 / (1 + Math.exp(-(eta[q] as number)));
            g += p - (this.rowLabel[order[a + q] as number] as number);
            h += p * (1 - p);
          }
          const radius = this.trust[t] as number;
          let step = -g / h;
          if (step > radius) step = radius;
          else if (step < -radius) step = -radius;
          this.trust[t] = Math.max(2 * Math.abs(step), radius / 2);
          if (step === 0) continue;
          this.mode[base + t] = (this.mode[base + t] as number) + step;
          for (let k = lo; k < hi; k++) {
            const q = colRows[k] as number;
            eta[q] = (eta[q] as number) + step;
          }
          if (Math.abs(step) > largest) largest = Math.abs(step);
        }
        largest = Math.max(largest, this.ridgeSteps(base));
        converged = largest < tolerance;
      }
      if (!converged) unconverged++;
      // Laplace: 1 / diag of the Hessian of the negative log-posterior at the mode.
      for (let q = 0; q < m; q++) {
        const p = 1 / (1 + Math.exp(-(eta[q] as number)));
        eta[q] = p * (1 - p); // eta is not needed any more: reuse it for the weights
      }
      for (let t = 0; t < P; t++) {
        const lo = colStart[t] as number;
        const hi = colStart[t + 1] as number;
        let h = 1 / (prior[t] as number);
        for (let k = lo; k < hi; k++) h += eta[colRows[k] as number] as number;
        this.variance[base + t] = 1 / h;
      }
    }
    return { campaigns, sweeps, unconverged };
  }

  /**
   * Every row has exactly one value of each one-hot context field, so moving δ_j by +c and all of
   * field f's ξ_j values by -c leaves every linear predictor, hence the likelihood, unchanged: along
   * these directions only the prior has curvature, and coordinate steps crawl along them. Two
   * passes of exact minimisation of the prior along each direction (no pass over the data) fix that.
   * Returns the largest move.
   */
  private ridgeSteps(base: number): number {
    const W = this.layout.warmUserFeatures;
    const D = this.layout.contextDimension;
    const fo = this.layout.contextFieldOffsets;
    const vb = this.prior.bias;
    const vc = this.prior.context;
    let largest = 0;
    for (let pass = 0; pass < 2; pass++) {
      for (let f = 0; f < this.contextFields; f++) {
        const lo = base + 1 + W + (fo[f] as number);
        const hi = base + 1 + W + (f + 1 < this.contextFields ? (fo[f + 1] as number) : D);
        // d/dc [ (δ+c)²/2vb + Σ (ξ_v-c)²/2vc ] = 0
        let sum = 0;
        for (let t = lo; t < hi; t++) sum += this.mode[t] as number;
        const c = (sum / vc - (this.mode[base] as number) / vb) / (1 / vb + (hi - lo) / vc);
        this.mode[base] = (this.mode[base] as number) + c;
        for (let t = lo; t < hi; t++) this.mode[t] = (this.mode[t] as number) - c;
        if (Math.abs(c) > largest) largest = Math.abs(c);
      }
    }
    return largest;
  }
}

function grow<T extends Float64Array | Int32Array | Uint8Array>(a: T, n: number): T {
  const b = new (a.constructor as new (n: number) => T)(n);
  b.set(a);
  return b;
}

/**
 * Runs the exploration simulation: LASER-shaped traffic with known click probabilities (from
 * @laserkit/datasets); each request brings a user and a context, `candidatesPerRequest` distinct
 * campaigns are eligible (drawn by the traffic's campaign shares), every policy picks one of them
 * from its own warm-start posteriors and sees a click drawn from the true probability (the same
 * uniform draw for every policy: common random numbers). Regret per impression is the best true
 * click probability among the candidates minus that of the shown one.
 *
 * The model each policy scores with has LASER's form and is well specified: the true logit is
 * cold(x, c, z) + δ_j + x'η_j + z'ξ_j (the generator's eq. 1-6), and the policy's score is
 * offset_j + δ̂_j + x'η̂_j + z'ξ̂_j with x the 32 (by default) warm-start user features.
 *
 * Cold-start part (fixed during the run, as LASER refits Θc only every few days): the truth's own
 * cold-start part (intercept, main effects, crosses), plus the mean of the true δ_j over campaigns
 * (the global intercept a fitted cold model carries), plus a fixed per-campaign Gaussian error of
 * sd `coldErrorSd` standing in for the cold model's per-campaign error; it is not refit. The
 * warm-start part is refit every `refitEveryImpressions` from what each policy served
 * (WarmStartPosterior), so δ̂_j learns δ_j - mean δ - error_j.
 *
 * Priors ('generator'): the distributions the true per-campaign effects come from. η_j and ξ_j
 * coefficients use the generator's own coefficient variances (termScales.warmUser² / mean active
 * warm features, termScales.warmContext² / context fields); δ_j, which the generator sets by
 * calibrating each campaign to a target click rate, uses the variance of the true δ_j over
 * campaigns plus coldErrorSd². No policy parameter is tuned here.
 *
 * Segments: an impression belongs to the warmness bucket (LASER's cold/cool/warm/hot by impressions,
 * @laserkit/datasets warmnessOf) of its best candidate, counted as the number of earlier requests
 * in which that campaign was eligible divided by candidatesPerRequest (its even share of
 * impressions so far); this is the same for every policy.
 */
export function runSimulation(options: SimulationOptions = {}, onProgress?: (seed: number, done: number) => void): SimulationResult {
  const o = resolve(options);
  const t0 = performance.now();
  const runs: PolicyRun[] = [];
  const points = Math.min(o.curvePoints, o.impressions);
  const curveAt = Array.from({ length: points }, (_, i) => Math.round(((i + 1) * o.impressions) / points));
  for (const seed of o.seeds) runs.push(...runSeed(o, seed, curveAt, onProgress));
  return { options: o, curveAt, runs, seconds: (performance.now() - t0) / 1000 };
}

type SegmentTotals = Record<Warmness, { impressions: number; clicks: number; regret: number }>;

function runSeed(o: ResolvedSimulationOptions, seed: number, curveAt: readonly number[], onProgress?: (seed: number, done: number) => void): PolicyRun[] {
  const traffic = createTraffic({ ...o.traffic, rows: o.impressions, seed });
  const truth = traffic.truth;
  const C = truth.campaigns;
  const D = truth.contextDimension;
  const W = truth.warmUserFeatures;
  const F = traffic.population.contextFieldOffsets.length;
  const K = Math.min(o.candidatesPerRequest, C);
  const warmLists = warmUserLists(traffic.population, W);
  const layout: WarmStartLayout = { campaigns: C, warmUserFeatures: W, contextDimension: D, contextFieldOffsets: traffic.population.contextFieldOffsets, userWarmOffsets: warmLists.offsets, userWarmIndices: warmLists.indices };
  let deltaMean = 0;
  for (let j = 0; j < C; j++) deltaMean += (truth.delta[j] as number) / C;
  let deltaVar = 0;
  for (let j = 0; j < C; j++) deltaVar += ((truth.delta[j] as number) - deltaMean) ** 2 / C;
  const users = traffic.population.userFeatureOffsets.length - 1;
  const scales = traffic.options.termScales;
  const priorVariances: WarmStartPriorVariances =
    o.priorVariances === 'generator'
      ? {
          bias: Math.max(deltaVar + o.coldErrorSd ** 2, 1e-6),
          warmUser: Math.max(scales.warmUser ** 2 / Math.max(warmLists.indices.length / users, 1), 1e-6),
          context: Math.max(scales.warmContext ** 2 / F, 1e-6),
        }
      : o.priorVariances;
  const rng = new SeededRng(seed).fork('simulation');
  const coldShift = new Float64Array(C);
  for (let j = 0; j < C; j++) coldShift[j] = deltaMean + o.coldErrorSd * rng.nextNormal();
  const shareCdf = new Float64Array(C);
  let acc = 0;
  for (let j = 0; j < C; j++) shareCdf[j] = acc += traffic.population.campaignShare[j] as number;
  const pickCampaign = (u: number): number => {
    let lo = 0;
    let hi = C - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (u < (shareCdf[mid] as number)) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  };
  const P = o.policies.length;
  const policies = o.policies.map((name) => makePolicy(name, o));
  const policyRngs = o.policies.map((name) => new SeededRng(seed).fork(`policy:${name}`));
  const models = o.policies.map((name) => (name === 'oracle' ? null : new WarmStartPosterior(layout, priorVariances)));
  const refitMs = new Float64Array(P);
  const refitTotals = o.policies.map(() => ({ campaigns: 0, sweeps: 0, unconverged: 0 }));
  const eligible = new Float64Array(C);
  const cand = new Int32Array(K);
  const pTrue = new Float64Array(K);
  const trueLogit = new Float64Array(K);
  const cold = new Float64Array(K);
  const mean = new Float64Array(K);
  const variance = new Float64Array(K);
  const zeroVariance = new Float64Array(K);
  const candidates: Candidates = { count: K, mean, variance, link: 'logistic' };
  const oracleCandidates: Candidates = { count: K, mean: trueLogit, variance: zeroVariance, link: 'logistic' };
  const regret = new Float64Array(P);
  const clicks = new Float64Array(P);
  let oracleClicks = 0;
  const curves = o.policies.map(() => [] as number[]);
  const seg = o.policies.map(() => Object.fromEntries(WARMNESS_BUCKETS.map((b) => [b, { impressions: 0, clicks: 0, regret: 0 }])) as SegmentTotals);
  let nextCurve = 0;
  let i = 0;
  for (const row of traffic.rows()) {
    const z = row.contextFeatures;
    const user = row.user;
    // Eligible campaigns: K distinct draws by campaign share.
    for (let c = 0; c < K; c++) {
      for (;;) {
        const j = pickCampaign(rng.nextFloat());
        let dup = false;
        for (let q = 0; q < c; q++) if (cand[q] === j) dup = true;
        if (!dup) {
          cand[c] = j;
          break;
        }
      }
    }
    let best = 0;
    for (let c = 0; c < K; c++) {
      const j = cand[c] as number;
      const logit = traffic.logit(user, j, z);
      let warmTrue = truth.delta[j] as number;
      for (let q = warmLists.offsets[user] as number; q < (warmLists.offsets[user + 1] as number); q++) warmTrue += truth.eta[j * W + (warmLists.indices[q] as number)] as number;
      for (let f = 0; f < F; f++) warmTrue += truth.xi[j * D + (z[f] as number)] as number;
      cold[c] = logit - warmTrue + (coldShift[j] as number);
      trueLogit[c] = logit;
      pTrue[c] = sigmoid(logit);
      if ((pTrue[c] as number) > (pTrue[best] as number)) best = c;
    }
    const bestP = pTrue[best] as number;
    const bucket = warmnessOf((eligible[cand[best] as number] as number) / K);
    const u = rng.nextFloat();
    if (u < bestP) oracleClicks++;
    for (let p = 0; p < P; p++) {
      const model = models[p] ?? null;
      if (model !== null) for (let c = 0; c < K; c++) model.predict(cand[c] as number, user, z, cold[c] as number, mean, variance, c);
      const d = (policies[p] as Policy).decide(model === null ? oracleCandidates : candidates, { k: 1, rng: policyRngs[p] as SeededRng });
      const c = d.slate[0] as number;
      const label = u < (pTrue[c] as number) ? 1 : 0;
      const r = bestP - (pTrue[c] as number);
      regret[p] = (regret[p] as number) + r;
      clicks[p] = (clicks[p] as number) + label;
      const s = (seg[p] as SegmentTotals)[bucket];
      s.impressions++;
      s.clicks += label;
      s.regret += r;
      model?.add(cand[c] as number, user, z, cold[c] as number, label);
    }
    for (let c = 0; c < K; c++) eligible[cand[c] as number] = (eligible[cand[c] as number] as number) + 1;
    i++;
    if (i === curveAt[nextCurve]) {
      for (let p = 0; p < P; p++) (curves[p] as number[]).push(regret[p] as number);
      nextCurve++;
    }
    if (i % o.refitEveryImpressions === 0 && i < o.impressions) {
      models.forEach((m, p) => {
        if (m === null) return;
        const t = performance.now();
        const st = m.refit(o.sweepsPerRefit, o.refitTolerance);
        const tot = refitTotals[p] as { campaigns: number; sweeps: number; unconverged: number };
        tot.campaigns += st.campaigns;
        tot.sweeps += st.sweeps;
        tot.unconverged += st.unconverged;
        refitMs[p] = (refitMs[p] as number) + performance.now() - t;
      });
      onProgress?.(seed, i);
    }
  }
  return o.policies.map((policy, p) => ({
    policy,
    seed,
    regret: regret[p] as number,
    clicks: clicks[p] as number,
    ctr: (clicks[p] as number) / o.impressions,
    oracleCtr: oracleClicks / o.impressions,
    curve: curves[p] as number[],
    bySegment: Object.fromEntries(
      WARMNESS_BUCKETS.map((b) => {
        const s = (seg[p] as SegmentTotals)[b];
        return [b, { ...s, ctr: s.impressions > 0 ? s.clicks / s.impressions : Number.NaN }];
      }),
    ) as Record<Warmness, SegmentResult>,
    priorVariances,
    refitSeconds: (refitMs[p] as number) / 1000,
    refitStats: refitTotals[p] as RefitStats,
  }));
}

/** Mean and sample standard deviation over seeds of one figure per policy. */
export function summarizeRuns(result: SimulationResult, pick: (r: PolicyRun) => number): Record<string, { mean: number; sd: number; values: number[] }> {
  const out: Record<string, { mean: number; sd: number; values: number[] }> = {};
  for (const name of result.options.policies) {
    const values = result.runs.filter((r) => r.policy === name).map(pick);
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    const sd = values.length > 1 ? Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / (values.length - 1)) : Number.NaN;
    out[name] = { mean, sd, values };
  }
  return out;
}

/** A small hand-written SVG line chart of mean cumulative regret per policy. */
export function regretSvg(result: SimulationResult, title = 'Cumulative regret (mean over seeds)'): string {
  const width = 720;
  const height = 420;
  const m = { left: 70, right: 150, top: 40, bottom: 50 };
  const colors: Record<SimulatedPolicy, string> = { thompson: '#1f77b4', exploit: '#7f7f7f', 'epsilon-greedy': '#d62728', ucb: '#2ca02c', oracle: '#000000' };
  const xs = result.curveAt;
  const series = result.options.policies.map((name) => {
    const runs = result.runs.filter((r) => r.policy === name);
    return { name, ys: xs.map((_, i) => runs.reduce((s, r) => s + (r.curve[i] ?? 0), 0) / runs.length) };
  });
  const xMax = xs[xs.length - 1] ?? 1;
  const yMax = Math.max(1e-9, ...series.flatMap((s) => s.ys)) * 1.05;
  const px = (x: number): number => m.left + (x / xMax) * (width - m.left - m.right);
  const py = (y: number): number => height - m.bottom - (y / yMax) * (height - m.top - m.bottom);
  const ticks = [0, 0.25, 0.5, 0.75, 1];
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="${width / 2 - m.right / 2}" y="22" text-anchor="middle" font-size="14">${title}</text>`,
    `<line x1="${m.left}" y1="${height - m.bottom}" x2="${width - m.right}" y2="${height - m.bottom}" stroke="black"/>`,
    `<line x1="${m.left}" y1="${m.top}" x2="${m.left}" y2="${height - m.bottom}" stroke="black"/>`,
  ];
  for (const t of ticks) {
    parts.push(`<text x="${px(t * xMax)}" y="${height - m.bottom + 18}" text-anchor="middle">${Math.round(t * xMax).toLocaleString('en-US')}</text>`);
    parts.push(`<text x="${m.left - 6}" y="${py(t * yMax) + 4}" text-anchor="end">${(t * yMax).toFixed(0)}</text>`);
    parts.push(`<line x1="${m.left}" y1="${py(t * yMax)}" x2="${width - m.right}" y2="${py(t * yMax)}" stroke="#ddd"/>`);
  }
  parts.push(`<text x="${(m.left + width - m.right) / 2}" y="${height - 12}" text-anchor="middle">impressions</text>`);
  parts.push(`<text transform="translate(16 ${(m.top + height - m.bottom) / 2}) rotate(-90)" text-anchor="middle">cumulative regret (expected clicks lost)</text>`);
  series.forEach((s, k) => {
    const d = s.ys.map((y, i) => `${i === 0 ? 'M' : 'L'}${px(xs[i] as number).toFixed(1)},${py(y).toFixed(1)}`).join(' ');
    const color = colors[s.name];
    parts.push(`<path d="M${px(0)},${py(0)} ${d.slice(1)}" fill="none" stroke="${color}" stroke-width="2"/>`);
    parts.push(`<line x1="${width - m.right + 12}" y1="${m.top + 10 + 20 * k}" x2="${width - m.right + 32}" y2="${m.top + 10 + 20 * k}" stroke="${color}" stroke-width="2"/>`);
    parts.push(`<text x="${width - m.right + 38}" y="${m.top + 14 + 20 * k}">${s.name}</text>`);
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}

export function describeSimulation(result: SimulationResult): string {
  const regret = summarizeRuns(result, (r) => r.regret);
  const ctr = summarizeRuns(result, (r) => r.ctr);
  const oracle = result.runs.reduce((s, r) => s + r.oracleCtr, 0) / result.runs.length;
  const fmt = (x: { mean: number; sd: number }): string => (Number.isNaN(x.sd) ? x.mean.toFixed(1) : `${x.mean.toFixed(1)} ± ${x.sd.toFixed(1)}`);
  const rows = result.options.policies.map((p) => [p, fmt(regret[p] as { mean: number; sd: number }), percent((ctr[p] as { mean: number }).mean)]);
  const segRows = result.options.policies.map((p) => {
    const runs = result.runs.filter((r) => r.policy === p);
    return [p, ...WARMNESS_BUCKETS.map((b) => (runs.reduce((s, r) => s + r.bySegment[b].regret, 0) / runs.length).toFixed(1))];
  });
  const impressions = WARMNESS_BUCKETS.map((b) => result.runs.filter((r) => r.policy === result.options.policies[0]).reduce((s, r) => s + r.bySegment[b].impressions, 0) / result.options.seeds.length);
  return [
    `${result.options.impressions.toLocaleString('en-US')} impressions × ${result.options.seeds.length} seed(s), ${result.options.candidatesPerRequest} eligible campaigns per request, warm-start refit every ${result.options.refitEveryImpressions.toLocaleString('en-US')} (${result.seconds.toFixed(1)} s)`,
    table(rows, ['policy', 'regret (clicks)', 'click rate']),
    `oracle click rate ${percent(oracle)}`,
    '',
    'regret by warmness of the best candidate',
    table([['impressions', ...impressions.map((x) => Math.round(x))], ...segRows], ['policy', ...WARMNESS_BUCKETS]),
  ].join('\n');
}

export function registerSimulate(program: Command): void {
  program
    .command('simulate')
    .description('simulate exploration on generated traffic with known click probabilities: Thompson sampling vs exploit-only, ε-greedy and UCB')
    .option('--impressions <n>', 'ad requests per run', integerArg(1, 100_000_000), DEFAULT_SIMULATION_OPTIONS.impressions)
    .option('--seeds <n>', 'number of runs (seeds 1..n)', integerArg(1, 1000), 1)
    .option('--candidates <n>', 'eligible campaigns per request', integerArg(1, 10_000), DEFAULT_SIMULATION_OPTIONS.candidatesPerRequest)
    .option('--refit-every <n>', 'impressions between warm-start refits', integerArg(1, 100_000_000), DEFAULT_SIMULATION_OPTIONS.refitEveryImpressions)
    .option('--variance-scale <x>', "Thompson sampling's factor on the posterior variance", numberArg(1e-6, 100), DEFAULT_SIMULATION_OPTIONS.varianceScale)
    .option('--epsilon <x>', 'ε for ε-greedy', numberArg(0, 1), DEFAULT_SIMULATION_OPTIONS.epsilon)
    .option('--campaigns <n>', 'campaigns in the generated traffic', integerArg(2, 1_000_000), 200)
    .option('--svg <file>', 'write the cumulative-regret chart as SVG')
    .option('--json <file>', 'write the full result as JSON')
    .action((o: { impressions: number; seeds: number; candidates: number; refitEvery: number; varianceScale: number; epsilon: number; campaigns: number; svg?: string; json?: string }) => {
      const result = runSimulation({
        impressions: o.impressions,
        seeds: Array.from({ length: o.seeds }, (_, i) => i + 1),
        candidatesPerRequest: o.candidates,
        refitEveryImpressions: o.refitEvery,
        varianceScale: o.varianceScale,
        epsilon: o.epsilon,
        traffic: { campaigns: o.campaigns },
      });
      console.log(describeSimulation(result));
      if (o.svg !== undefined) writeFileSync(o.svg, regretSvg(result));
      if (o.json !== undefined) writeFileSync(o.json, `${JSON.stringify(result, null, 1)}\n`);
    });
}
