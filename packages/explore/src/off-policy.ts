import { checkInteger, checkKnownKeys, checkRange, invalidArgument, type SeededRng } from '@laserkit/core';

/**
 * A log of bandit feedback seen from one target policy: per row the reward of the logged
 * action, the logging policy's probability of it, and the target policy's probability of it.
 * The direct method and doubly robust also need a reward model q̂(x, a).
 */
export interface LoggedFeedback {
  readonly count: number;
  /** r_i */
  readonly reward: Float64Array;
  /** π_b(a_i | x_i) > 0: the logged propensity. */
  readonly loggingPropensity: Float64Array;
  /** π_e(a_i | x_i): the target policy's probability of the logged action. */
  readonly targetProbability: Float64Array;
  /** q̂(x_i, a_i): the reward model at the logged action (DM, DR). */
  readonly predictedReward?: Float64Array;
  /** Σ_a π_e(a | x_i) q̂(x_i, a): the reward model's value of the target policy on row i (DM, DR). */
  readonly predictedTargetValue?: Float64Array;
}

export const OFF_POLICY_ESTIMATORS = ['ips', 'snips', 'dm', 'dr'] as const;
export type OffPolicyEstimator = (typeof OFF_POLICY_ESTIMATORS)[number];

export interface OffPolicyOptions {
  /** Which estimators to compute. @default all four */
  readonly estimators?: readonly OffPolicyEstimator[];
  /** Importance weights π_e/π_b are clipped to at most this (IPS, SNIPS, DR). @default Infinity */
  readonly maxWeight?: number;
  /** Bootstrap resamples of the rows for the interval; 0 = no interval. @default 1000 */
  readonly bootstrapSamples?: number;
  /** Two-sided level of the percentile bootstrap interval. @default 0.95 */
  readonly confidence?: number;
  /** Source of the bootstrap resamples. */
  readonly rng: SeededRng;
}

export interface IntervalEstimate {
  readonly estimate: number;
  /** Percentile bootstrap interval (NaN when bootstrapSamples is 0). */
  readonly ciLow: number;
  readonly ciHigh: number;
  /** Standard deviation of the bootstrap replicates. */
  readonly stdError: number;
}

/**
 * Off-policy value of a target policy from logged feedback (per row: reward r, weight
 * w = min(π_e/π_b, maxWeight), model q̂ and v̂ = Σ_a π_e q̂):
 * - IPS (Horvitz & Thompson 1952):     (1/n) Σ w r
 * - SNIPS (Swaminathan & Joachims, NIPS 2015): Σ w r / Σ w
 * - DM, direct method:                 (1/n) Σ v̂
 * - DR, doubly robust (Dudík, Langford & Li, ICML 2011, eq. 2): (1/n) Σ [v̂ + w (r - q̂)]
 * IPS and DR are unbiased when the logged propensities are right and no weight is clipped.
 * Intervals are percentile bootstraps over rows with the reward model held fixed.
 */
export function evaluateOffPolicy(log: LoggedFeedback, options: OffPolicyOptions): Partial<Record<OffPolicyEstimator, IntervalEstimate>> {
  checkKnownKeys('options', options, ['estimators', 'maxWeight', 'bootstrapSamples', 'confidence', 'rng']);
  const estimators = options.estimators ?? OFF_POLICY_ESTIMATORS;
  for (const e of estimators) if (!OFF_POLICY_ESTIMATORS.includes(e)) throw invalidArgument('estimators', e, `must be among ${OFF_POLICY_ESTIMATORS.join(', ')}`);
  const maxWeight = options.maxWeight ?? Infinity;
  if (!(maxWeight > 0)) throw invalidArgument('maxWeight', maxWeight, 'must be > 0 (Infinity = no clipping)');
  const B = checkInteger('bootstrapSamples', options.bootstrapSamples ?? 1000, 0, 1_000_000);
  const confidence = checkRange('confidence', options.confidence ?? 0.95, 0, 1, { minExclusive: true, maxExclusive: true });
  const n = checkLog(log, estimators.some((e) => e === 'dm' || e === 'dr'));
  const w = new Float64Array(n);
  for (let i = 0; i < n; i++) w[i] = Math.min(maxWeight, (log.targetProbability[i] as number) / (log.loggingPropensity[i] as number));
  const rows = new Int32Array(n);
  for (let i = 0; i < n; i++) rows[i] = i;
  const out: Partial<Record<OffPolicyEstimator, IntervalEstimate>> = {};
  const replicates = estimators.map(() => new Float64Array(B));
  for (let b = 0; b < B; b++) {
    for (let i = 0; i < n; i++) rows[i] = options.rng.nextInt(n);
    estimators.forEach((e, ei) => ((replicates[ei] as Float64Array)[b] = estimateOn(log, w, e, rows)));
  }
  for (let i = 0; i < n; i++) rows[i] = i;
  estimators.forEach((e, ei) => {
    const estimate = estimateOn(log, w, e, rows);
    const r = (replicates[ei] as Float64Array).sort();
    out[e] = B === 0 ? { estimate, ciLow: Number.NaN, ciHigh: Number.NaN, stdError: Number.NaN } : { estimate, ...percentileInterval(r, confidence), stdError: sd(r) };
  });
  return out;
}

function checkLog(log: LoggedFeedback, needsModel: boolean): number {
  if (log === null || typeof log !== 'object') throw invalidArgument('log', log, 'must be an object');
  const n = log.count;
  if (!Number.isInteger(n) || n < 1) throw invalidArgument('log.count', n, 'must be an integer >= 1');
  const fields = ['reward', 'loggingPropensity', 'targetProbability', ...(needsModel ? ['predictedReward', 'predictedTargetValue'] : [])] as const;
  for (const f of fields) {
    const x = (log as unknown as Record<string, unknown>)[f];
    if (!(x instanceof Float64Array) || x.length < n) throw invalidArgument(`log.${f}`, x, `must be a Float64Array of length >= count (${n})`, f.startsWith('predicted') ? 'the direct method and doubly robust need a reward model' : undefined);
  }
  for (let i = 0; i < n; i++) {
    const p = log.loggingPropensity[i] as number;
    if (!(p > 0 && p <= 1)) throw invalidArgument(`log.loggingPropensity[${i}]`, p, 'must be in (0, 1]', 'log propensities with a floor');
    const t = log.targetProbability[i] as number;
    if (!(t >= 0 && t <= 1)) throw invalidArgument(`log.targetProbability[${i}]`, t, 'must be in [0, 1]');
  }
  return n;
}

function estimateOn(log: LoggedFeedback, w: Float64Array, e: OffPolicyEstimator, rows: Int32Array): number {
  const n = rows.length;
  let s = 0;
  let sw = 0;
  for (let q = 0; q < n; q++) {
    const i = rows[q] as number;
    const r = log.reward[i] as number;
    const wi = w[i] as number;
    if (e === 'ips') s += wi * r;
    else if (e === 'snips') {
      s += wi * r;
      sw += wi;
    } else if (e === 'dm') s += (log.predictedTargetValue as Float64Array)[i] as number;
    else s += ((log.predictedTargetValue as Float64Array)[i] as number) + wi * (r - ((log.predictedReward as Float64Array)[i] as number));
  }
  if (e === 'snips') return sw > 0 ? s / sw : 0;
  return s / n;
}

function percentileInterval(sorted: Float64Array, confidence: number): { ciLow: number; ciHigh: number } {
  const alpha = (1 - confidence) / 2;
  return { ciLow: quantileSorted(sorted, alpha), ciHigh: quantileSorted(sorted, 1 - alpha) };
}

/** Linear interpolation between order statistics (type 7). */
export function quantileSorted(sorted: Float64Array, q: number): number {
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const h = (n - 1) * q;
  const i = Math.floor(h);
  const lo = sorted[i] as number;
  const hi = sorted[Math.min(n - 1, i + 1)] as number;
  return lo + (h - i) * (hi - lo);
}

function sd(x: Float64Array): number {
  let m = 0;
  for (const v of x) m += v;
  m /= x.length;
  let s = 0;
  for (const v of x) s += (v - m) * (v - m);
  return Math.sqrt(s / Math.max(1, x.length - 1));
}

/** A log for replay: the logged action and the action the target policy takes on the same row. */
export interface ReplayLog {
  readonly count: number;
  readonly reward: Float64Array;
  readonly loggedAction: Int32Array;
  /** The target policy's action on each row (drawn beforehand with a seeded RNG if the policy is random). */
  readonly targetAction: Int32Array;
}

export interface ReplayResult extends IntervalEstimate {
  /** Rows where the target policy agreed with the log: the sample the estimate rests on. */
  readonly matched: number;
}

/**
 * Replay (Li, Chu, Langford & Wang, WSDM 2011, Alg. 3): keep the rows where the target policy
 * picks the logged action and average their rewards. Unbiased when the log was collected by a
 * uniformly random policy; about 1/K of the rows survive for K actions.
 */
export function replayEstimate(log: ReplayLog, options: Omit<OffPolicyOptions, 'estimators' | 'maxWeight'>): ReplayResult {
  checkKnownKeys('options', options, ['bootstrapSamples', 'confidence', 'rng']);
  const n = log.count;
  if (!Number.isInteger(n) || n < 1) throw invalidArgument('log.count', n, 'must be an integer >= 1');
  for (const f of ['reward', 'loggedAction', 'targetAction'] as const) if (log[f].length < n) throw invalidArgument(`log.${f}`, log[f], `must have length >= count (${n})`);
  const B = checkInteger('bootstrapSamples', options.bootstrapSamples ?? 1000, 0, 1_000_000);
  const confidence = checkRange('confidence', options.confidence ?? 0.95, 0, 1, { minExclusive: true, maxExclusive: true });
  const kept: number[] = [];
  for (let i = 0; i < n; i++) if ((log.loggedAction[i] as number) === (log.targetAction[i] as number)) kept.push(log.reward[i] as number);
  const m = kept.length;
  const mean = (xs: ArrayLike<number>): number => {
    let s = 0;
    for (let i = 0; i < xs.length; i++) s += xs[i] as number;
    return xs.length === 0 ? Number.NaN : s / xs.length;
  };
  const estimate = mean(kept);
  if (B === 0 || m === 0) return { estimate, ciLow: Number.NaN, ciHigh: Number.NaN, stdError: Number.NaN, matched: m };
  const reps = new Float64Array(B);
  for (let b = 0; b < B; b++) {
    let s = 0;
    for (let q = 0; q < m; q++) s += kept[options.rng.nextInt(m)] as number;
    reps[b] = s / m;
  }
  reps.sort();
  return { estimate, ...percentileInterval(reps, confidence), stdError: sd(reps), matched: m };
}
