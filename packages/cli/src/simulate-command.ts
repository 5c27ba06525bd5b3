import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { SeededRng, checkInteger, checkKnownKeys, checkPositive, checkRange, invalidArgument } from '@laserkit/core';
import { createTraffic, sigmoid, warmnessOf, WARMNESS_BUCKETS, type TrafficOptions, type Warmness } from '@laserkit/datasets';
import { EpsilonGreedyPolicy, ExploitOnlyPolicy, ThompsonSamplingPolicy, UcbPolicy, type Candidates, type Policy } from '@laserkit/explore';
import { integerArg, numberArg } from './options.js';
import { percent, table } from './format.js';

export const SIMULATED_POLICIES = ['thompson', 'exploit', 'epsilon-greedy', 'ucb'] as const;
export type SimulatedPolicy = (typeof SIMULATED_POLICIES)[number];

export interface SimulationOptions {
  /** Ad requests per run; each shows one ad. @default 100000 */
  readonly impressions?: number;
  /** One run per seed (traffic, candidate sets and clicks all follow it). @default [1] */
  readonly seeds?: readonly number[];
  /** @default all four */
  readonly policies?: readonly SimulatedPolicy[];
  /** Eligible campaigns per request, drawn by the traffic's campaign shares. @default 10 */
  readonly candidatesPerRequest?: number;
  /** Impressions between warm-start refits. @default 20000 */
  readonly refitEveryImpressions?: number;
  /** Coordinate-Newton sweeps per refit (warm-started from the previous fit). @default 2 */
  readonly sweepsPerRefit?: number;
  /** Standard deviation of the per-campaign error of the cold-start score (see runSimulation). @default 0.2 */
  readonly coldErrorSd?: number;
  /** Prior variance of δ_j. @default 0.5 */
  readonly biasPriorVariance?: number;
  /** Prior variance of each ξ_j coefficient. @default 0.02 */
  readonly contextPriorVariance?: number;
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
  sweepsPerRefit: 2,
  coldErrorSd: 0.2,
  biasPriorVariance: 0.5,
  contextPriorVariance: 0.02,
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
  if (!Array.isArray(o.policies) || o.policies.length === 0) throw invalidArgument('policies', o.policies, `must be a non-empty array of ${SIMULATED_POLICIES.join(', ')}`);
  for (const p of o.policies) if (!SIMULATED_POLICIES.includes(p)) throw invalidArgument('policies', p, `must be one of ${SIMULATED_POLICIES.join(', ')}`);
  checkInteger('candidatesPerRequest', o.candidatesPerRequest, 1, 10_000);
  checkInteger('refitEveryImpressions', o.refitEveryImpressions, 1, 100_000_000);
  checkInteger('sweepsPerRefit', o.sweepsPerRefit, 1, 100);
  checkRange('coldErrorSd', o.coldErrorSd, 0, 10);
  checkPositive('biasPriorVariance', o.biasPriorVariance);
  checkPositive('contextPriorVariance', o.contextPriorVariance);
  checkPositive('varianceScale', o.varianceScale);
  checkRange('epsilon', o.epsilon, 0, 1);
  checkRange('ucbWidth', o.ucbWidth, 0, 100);
  checkInteger('curvePoints', o.curvePoints, 1, 10_000);
  return o;
}

function makePolicy(name: SimulatedPolicy, o: ResolvedSimulationOptions): Policy {
  if (name === 'thompson') return new ThompsonSamplingPolicy({ varianceScale: o.varianceScale });
  if (name === 'exploit') return new ExploitOnlyPolicy();
  if (name === 'epsilon-greedy') return new EpsilonGreedyPolicy({ epsilon: o.epsilon });
  return new UcbPolicy({ width: o.ucbWidth });
}

/**
 * Per-campaign warm-start posteriors over δ_j (bias) and ξ_j (one coefficient per context value),
 * refit from the impressions a policy has served, with the cold-start score as a fixed offset
 * (LASER, WSDM 2014, §3.2 and §5). The fit is cyclic block-coordinate Newton on the L2-penalised
 * log-likelihood (within a one-hot context field the Hessian is diagonal, so each field's step is
 * exact for its block), warm-started from the previous refit. The posterior is the diagonal Laplace
 * approximation at the mode: v = 1 / (Σ p(1-p) x² + 1/v0).
 */
class WarmStartModel {
  readonly bias: Float64Array;
  readonly biasVar: Float64Array;
  readonly ctx: Float64Array;
  readonly ctxVar: Float64Array;
  // The impression log: offset (cold score), context values, label, campaign.
  private offset = new Float64Array(1 << 16);
  private zs = new Int32Array(1 << 18);
  private label = new Uint8Array(1 << 16);
  private campaign = new Int32Array(1 << 16);
  private rows = 0;

  constructor(
    readonly campaigns: number,
    readonly contextDimension: number,
    readonly fields: number,
    readonly fieldOffsets: Int32Array,
    readonly biasPrior: number,
    readonly ctxPrior: number,
  ) {
    this.bias = new Float64Array(campaigns);
    this.biasVar = new Float64Array(campaigns).fill(biasPrior);
    this.ctx = new Float64Array(campaigns * contextDimension);
    this.ctxVar = new Float64Array(campaigns * contextDimension).fill(ctxPrior);
  }

  add(campaign: number, offset: number, z: Int32Array, label: number): void {
    if (this.rows === this.offset.length) {
      const grow = <T extends Float64Array | Int32Array | Uint8Array>(a: T, n: number): T => {
        const b = new (a.constructor as new (n: number) => T)(n);
        b.set(a);
        return b;
      };
      const n = this.offset.length * 2;
      this.offset = grow(this.offset, n);
      this.label = grow(this.label, n);
      this.campaign = grow(this.campaign, n);
      this.zs = grow(this.zs, n * this.fields);
    }
    const r = this.rows++;
    this.offset[r] = offset;
    this.label[r] = label;
    this.campaign[r] = campaign;
    this.zs.set(z, r * this.fields);
  }

  /** Mean and variance of the warm-start part of campaign j's score in context z. */
  warm(j: number, z: Int32Array): { mean: number; variance: number } {
    let mean = this.bias[j] as number;
    let variance = this.biasVar[j] as number;
    const base = j * this.contextDimension;
    for (let f = 0; f < this.fields; f++) {
      mean += this.ctx[base + (z[f] as number)] as number;
      variance += this.ctxVar[base + (z[f] as number)] as number;
    }
    return { mean, variance };
  }

  refit(sweeps: number): void {
    const n = this.rows;
    const C = this.campaigns;
    const D = this.contextDimension;
    const F = this.fields;
    // Group rows by campaign (counting sort).
    const start = new Int32Array(C + 1);
    for (let r = 0; r < n; r++) start[(this.campaign[r] as number) + 1] = (start[(this.campaign[r] as number) + 1] as number) + 1;
    for (let j = 0; j < C; j++) start[j + 1] = (start[j + 1] as number) + (start[j] as number);
    const order = new Int32Array(n);
    const fill = start.slice(0, C);
    for (let r = 0; r < n; r++) {
      const j = this.campaign[r] as number;
      order[fill[j] as number] = r;
      fill[j] = (fill[j] as number) + 1;
    }
    const eta = new Float64Array(n);
    const g = new Float64Array(D);
    const h = new Float64Array(D);
    for (let j = 0; j < C; j++) {
      const a = start[j] as number;
      const b = start[j + 1] as number;
      if (a === b) continue;
      const base = j * D;
      for (let q = a; q < b; q++) {
        const r = order[q] as number;
        let s = (this.offset[r] as number) + (this.bias[j] as number);
        for (let f = 0; f < F; f++) s += this.ctx[base + (this.zs[r * F + f] as number)] as number;
        eta[q] = s;
      }
      for (let sweep = 0; sweep < sweeps; sweep++) {
        // δ_j
        let gb = (this.bias[j] as number) / this.biasPrior;
        let hb = 1 / this.biasPrior;
        for (let q = a; q < b; q++) {
          const p = sigmoid(eta[q] as number);
          gb += p - (this.label[order[q] as number] as number);
          hb += p * (1 - p);
        }
        const db = -gb / hb;
        this.bias[j] = (this.bias[j] as number) + db;
        for (let q = a; q < b; q++) eta[q] = (eta[q] as number) + db;
        // ξ_j, one context field at a time.
        for (let f = 0; f < F; f++) {
          const lo = this.fieldOffsets[f] as number;
          const hi = f + 1 < F ? (this.fieldOffsets[f + 1] as number) : D;
          for (let t = lo; t < hi; t++) {
            g[t] = (this.ctx[base + t] as number) / this.ctxPrior;
            h[t] = 1 / this.ctxPrior;
          }
          for (let q = a; q < b; q++) {
            const r = order[q] as number;
            const t = this.zs[r * F + f] as number;
            const p = sigmoid(eta[q] as number);
            g[t] = (g[t] as number) + p - (this.label[r] as number);
            h[t] = (h[t] as number) + p * (1 - p);
          }
          for (let t = lo; t < hi; t++) {
            const d = -(g[t] as number) / (h[t] as number);
            this.ctx[base + t] = (this.ctx[base + t] as number) + d;
            g[t] = d;
          }
          for (let q = a; q < b; q++) eta[q] = (eta[q] as number) + (g[this.zs[(order[q] as number) * F + f] as number] as number);
        }
      }
      // Laplace: the diagonal of the Hessian at the final linear predictors.
      let hb = 1 / this.biasPrior;
      for (let t = 0; t < D; t++) h[t] = 1 / this.ctxPrior;
      for (let q = a; q < b; q++) {
        const p = sigmoid(eta[q] as number);
        const w = p * (1 - p);
        hb += w;
        const r = order[q] as number;
        for (let f = 0; f < F; f++) {
          const t = this.zs[r * F + f] as number;
          h[t] = (h[t] as number) + w;
        }
      }
      this.biasVar[j] = 1 / hb;
      for (let t = 0; t < D; t++) this.ctxVar[base + t] = 1 / (h[t] as number);
    }
  }
}

/**
 * Runs the exploration simulation: LASER-shaped traffic with known click probabilities (from
 * @laserkit/datasets); each request brings a user and a context, `candidatesPerRequest` distinct
 * campaigns are eligible (drawn by the traffic's campaign shares), every policy picks one of them
 * from its own warm-start posteriors and sees a click drawn from the true probability (the same
 * uniform draw for every policy: common random numbers). Regret per impression is the best true
 * click probability among the candidates minus that of the shown one.
 *
 * The cold-start model is the truth's own cold-start part (intercept, main effects, crosses) with a
 * fixed per-campaign Gaussian error of sd `coldErrorSd`, standing in for a cold model fit once on
 * an earlier log; it is not refit. The warm-start part (δ_j + z'ξ_j; the truth's x'η_j is left to
 * the noise) is refit every `refitEveryImpressions` from what each policy served.
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

function runSeed(o: ResolvedSimulationOptions, seed: number, curveAt: readonly number[], onProgress?: (seed: number, done: number) => void): PolicyRun[] {
  const traffic = createTraffic({ ...o.traffic, rows: o.impressions, seed });
  const truth = traffic.truth;
  const C = truth.campaigns;
  const D = truth.contextDimension;
  const W = truth.warmUserFeatures;
  const fieldOffsets = traffic.population.contextFieldOffsets;
  const F = fieldOffsets.length;
  const K = Math.min(o.candidatesPerRequest, C);
  const rng = new SeededRng(seed).fork('simulation');
  const coldError = new Float64Array(C);
  for (let j = 0; j < C; j++) coldError[j] = o.coldErrorSd * rng.nextNormal();
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
  const models = o.policies.map(() => new WarmStartModel(C, D, F, fieldOffsets, o.biasPriorVariance, o.contextPriorVariance));
  const eligible = new Float64Array(C);
  const cand = new Int32Array(K);
  const pTrue = new Float64Array(K);
  const cold = new Float64Array(K);
  const mean = new Float64Array(K);
  const variance = new Float64Array(K);
  const candidates: Candidates = { count: K, mean, variance, link: 'logistic' };
  const regret = new Float64Array(P);
  const clicks = new Float64Array(P);
  let oracleClicks = 0;
  const curves = o.policies.map(() => [] as number[]);
  const seg = o.policies.map(() => Object.fromEntries(WARMNESS_BUCKETS.map((b) => [b, { impressions: 0, clicks: 0, regret: 0 }])) as Record<Warmness, { impressions: number; clicks: number; regret: number }>);
  let nextCurve = 0;
  let i = 0;
  for (const row of traffic.rows()) {
    const z = row.contextFeatures;
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
      const logit = traffic.logit(row.user, j, z);
      let warmTrue = truth.delta[j] as number;
      for (const f of row.userFeatures) {
        if (f >= W) break;
        warmTrue += truth.eta[j * W + f] as number;
      }
      for (let f = 0; f < F; f++) warmTrue += truth.xi[j * D + (z[f] as number)] as number;
      cold[c] = logit - warmTrue + (coldError[j] as number);
      pTrue[c] = sigmoid(logit);
      if ((pTrue[c] as number) > (pTrue[best] as number)) best = c;
    }
    const bestP = pTrue[best] as number;
    const bucket = warmnessOf((eligible[cand[best] as number] as number) / K);
    const u = rng.nextFloat();
    if (u < bestP) oracleClicks++;
    for (let p = 0; p < P; p++) {
      const model = models[p] as WarmStartModel;
      for (let c = 0; c < K; c++) {
        const w = model.warm(cand[c] as number, z);
        mean[c] = (cold[c] as number) + w.mean;
        variance[c] = w.variance;
      }
      const d = (policies[p] as Policy).decide(candidates, { k: 1, rng: policyRngs[p] as SeededRng });
      const c = d.slate[0] as number;
      const label = u < (pTrue[c] as number) ? 1 : 0;
      const r = bestP - (pTrue[c] as number);
      regret[p] = (regret[p] as number) + r;
      clicks[p] = (clicks[p] as number) + label;
      const s = (seg[p] as Record<Warmness, { impressions: number; clicks: number; regret: number }>)[bucket];
      s.impressions++;
      s.clicks += label;
      s.regret += r;
      model.add(cand[c] as number, cold[c] as number, z, label);
    }
    for (let c = 0; c < K; c++) eligible[cand[c] as number] = (eligible[cand[c] as number] as number) + 1;
    i++;
    if (i === curveAt[nextCurve]) {
      for (let p = 0; p < P; p++) (curves[p] as number[]).push(regret[p] as number);
      nextCurve++;
    }
    if (i % o.refitEveryImpressions === 0 && i < o.impressions) {
      for (const m of models) m.refit(o.sweepsPerRefit);
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
        const s = (seg[p] as Record<Warmness, { impressions: number; clicks: number; regret: number }>)[b];
        return [b, { ...s, ctr: s.impressions > 0 ? s.clicks / s.impressions : Number.NaN }];
      }),
    ) as Record<Warmness, SegmentResult>,
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
  const colors: Record<SimulatedPolicy, string> = { thompson: '#1f77b4', exploit: '#7f7f7f', 'epsilon-greedy': '#d62728', ucb: '#2ca02c' };
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
