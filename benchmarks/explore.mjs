// Exploration: `npm run bench -- explore [--impressions N] [--seeds N] [--no-sim] [--no-sensitivity] [--no-obd]`.
//
// 1. Cost over exploit-only ranking for 1,000 candidates: Thompson sampling's decide() (a draw per
//    candidate, the ranking and the exact top-1 propensity) against ExploitOnlyPolicy.decide(), in
//    µs per candidate, interleaved rounds on the same 32 requests, the fastest round of each kept.
//    Requests are LASER-like (means: logits around a 2 % click rate, sd 0.5; warm-start variances
//    log-uniform from 5e-4 (hot campaigns) to 0.5 (the prior)), plus a dense worst case where every
//    candidate is competitive (means sd 0.05, variances 0.5).
// 2. Regret at 1M impressions: Thompson sampling (variance scale 0.1), exploit-only, ε-greedy
//    (ε = 0.05) and UCB (1 sd) on generated LASER traffic (runSimulation in the CLI package), one
//    process per seed, two at a time; mean and sd over seeds, by warmness segment, and an SVG chart.
//    The scoring model is well specified: a fixed cold-start part (the truth's, plus the mean δ and
//    a per-campaign N(0, 0.2²) error) and per-campaign warm-start posteriors δ_j + x'η_j + z'ξ_j
//    refit every impressions/20 by coordinate Newton with the generator's priors and diagonal
//    Laplace variances (WarmStartPosterior). No policy parameter is tuned on these seeds.
// 3. Sensitivity of the regret ratios to the simulation's settings (Thompson sampling's variance
//    scale, the refit interval, candidates per request, campaigns), 300k impressions × 3 seeds
//    each: where, if anywhere, exploration pays in this traffic.
// 4. The Open Bandit Dataset off-policy table (lib/explore-obd.mjs).
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SeededRng } from '@laserkit/core';
import { ExploitOnlyPolicy, ThompsonSamplingPolicy } from '@laserkit/explore';
import { regretSvg, summarizeRuns } from '@laserkit/cli';
import { runObd } from './lib/explore-obd.mjs';
import { previousResults } from './lib/previous-results.mjs';

const here = dirname(fileURLToPath(import.meta.url));

function parseArgs(args) {
  const o = { impressions: 1_000_000, seeds: 5, sim: true, obd: true, sensitivity: true };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--no-sim') o.sim = false;
    else if (a === '--no-sensitivity') o.sensitivity = false;
    else if (a === '--no-obd') o.obd = false;
    else if (a === '--impressions') o.impressions = Number(args[++i]);
    else if (a === '--seeds') o.seeds = Number(args[++i]);
    else throw new Error(`unknown argument ${a}; usage: npm run bench -- explore [--impressions N] [--seeds N] [--no-sim] [--no-sensitivity] [--no-obd]`);
  }
  for (const k of ['impressions', 'seeds']) if (!Number.isInteger(o[k]) || o[k] < 1) throw new Error(`--${k} (${o[k]}) must be a positive integer`);
  return o;
}

function requests(seed, count, n, dense) {
  const rng = new SeededRng(seed);
  return Array.from({ length: count }, () => {
    const mean = new Float64Array(n);
    const variance = new Float64Array(n);
    for (let j = 0; j < n; j++) {
      mean[j] = Math.log(0.02 / 0.98) + (dense ? 0.05 : 0.5) * rng.nextNormal();
      variance[j] = dense ? 0.5 : 0.5 * Math.exp(-rng.nextFloat() * Math.log(1000));
    }
    return { count: n, mean, variance, link: 'logistic' };
  });
}

function timePolicy(policy, reqs, seconds) {
  const rng = new SeededRng(1);
  let decisions = 0;
  let sink = 0;
  const t0 = performance.now();
  let t = t0;
  while (t - t0 < seconds * 1000) {
    for (const r of reqs) sink += policy.decide(r, { k: 1, rng }).propensity;
    decisions += reqs.length;
    t = performance.now();
  }
  if (!(sink > 0)) throw new Error('no decisions');
  return ((t - t0) * 1000) / (decisions * reqs[0].count);
}

function speed() {
  const n = 1000;
  const out = {};
  for (const [name, dense] of [['laserLike', false], ['dense', true]]) {
    const reqs = requests(name === 'dense' ? 2 : 1, 32, n, dense);
    const ts = new ThompsonSamplingPolicy();
    const ex = new ExploitOnlyPolicy();
    timePolicy(ts, reqs, 0.3); // warm-up
    timePolicy(ex, reqs, 0.3);
    const rounds = { thompson: [], exploit: [] };
    for (let r = 0; r < 5; r++) {
      rounds.thompson.push(timePolicy(ts, reqs, 0.6));
      rounds.exploit.push(timePolicy(ex, reqs, 0.3));
    }
    const best = (xs) => Math.min(...xs);
    out[name] = { candidates: n, usPerCandidateThompson: best(rounds.thompson), usPerCandidateExploit: best(rounds.exploit), rounds };
    out[name].thompsonOverExploit = out[name].usPerCandidateThompson / out[name].usPerCandidateExploit;
    out[name].extraUsPerCandidate = out[name].usPerCandidateThompson - out[name].usPerCandidateExploit;
  }
  return out;
}

function runWorker(options) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(here, 'lib', 'explore-sim-worker.mjs'), JSON.stringify(options)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`simulation worker exited with ${code}`))));
  });
}

/** Runs one simulation per seed, two processes at a time, and merges them into one SimulationResult (plus the per-seed results). */
async function simulateSeeds(options, seeds) {
  const results = [];
  const t0 = performance.now();
  const queue = [...seeds];
  const parallel = Math.min(2, os.cpus().length);
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (queue.length > 0) {
        const seed = queue.shift();
        console.log(`simulation seed ${seed} started`);
        results.push(await runWorker({ ...options, seeds: [seed] }));
      }
    }),
  );
  results.sort((a, b) => a.options.seeds[0] - b.options.seeds[0]);
  return { results, merged: { options: { ...results[0].options, seeds }, curveAt: results[0].curveAt, runs: results.flatMap((r) => r.runs), seconds: (performance.now() - t0) / 1000 } };
}

/** Mean and sample sd. */
function spread(xs) {
  const m = xs.reduce((a, x) => a + x, 0) / xs.length;
  return { mean: m, sd: xs.length > 1 ? Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1)) : null, perSeed: xs };
}

/** Seeds share traffic, candidates and click draws across policies (common random numbers), so per-seed ratios are paired. */
function pairedRatio(result, a, b) {
  const perSeed = (p) => result.runs.filter((r) => r.policy === p).sort((x, y) => x.seed - y.seed).map((r) => r.regret);
  const ra = perSeed(a);
  const rb = perSeed(b);
  return spread(ra.map((x, i) => x / rb[i]));
}

// Each variant changes one setting of the headline run (scaled to 300k impressions).
const SENSITIVITY_VARIANTS = [
  ['headline settings', {}],
  ['variance scale 0.3', { varianceScale: 0.3 }],
  ['variance scale 1', { varianceScale: 1 }],
  ['refit every 3,000', { refitEveryImpressions: 3_000 }],
  ['100 candidates per request', { candidatesPerRequest: 100 }],
  ['200 campaigns', { traffic: { campaigns: 200 } }],
  // Only δ_j left to learn: nothing about the user or the context tells a campaign's unknown part apart.
  ['no per-campaign user or context effects (true η = ξ = 0)', { traffic: { termScales: { warmUser: 0, warmContext: 0 } } }],
];

async function sensitivity() {
  const impressions = 300_000;
  const seeds = [101, 102, 103];
  const base = { impressions, candidatesPerRequest: 10, refitEveryImpressions: impressions / 20, curvePoints: 10 };
  const out = { impressions, seeds, variants: [] };
  for (const [name, change] of SENSITIVITY_VARIANTS) {
    const { merged } = await simulateSeeds({ ...base, ...change }, seeds);
    const reg = summarizeRuns(merged, (r) => r.regret);
    const v = { name, change, regret: Object.fromEntries(Object.entries(reg).map(([p, x]) => [p, { mean: x.mean, sd: x.sd }])) };
    v.thompsonOverEpsilonGreedy = pairedRatio(merged, 'thompson', 'epsilon-greedy');
    v.thompsonOverUcb = pairedRatio(merged, 'thompson', 'ucb');
    v.thompsonOverExploitOnly = pairedRatio(merged, 'thompson', 'exploit');
    v.bestPolicy = Object.entries(reg).reduce((a, b) => (b[1].mean < a[1].mean ? b : a))[0];
    console.log(`sensitivity, ${name}: thompson/ε-greedy ${v.thompsonOverEpsilonGreedy.mean.toFixed(3)}, thompson/ucb ${v.thompsonOverUcb.mean.toFixed(3)}, thompson/exploit ${v.thompsonOverExploitOnly.mean.toFixed(3)}, lowest regret: ${v.bestPolicy}`);
    out.variants.push(v);
  }
  return out;
}

async function regret(o) {
  const base = { impressions: o.impressions, candidatesPerRequest: 10, refitEveryImpressions: Math.max(1, Math.round(o.impressions / 20)) };
  const seeds = Array.from({ length: o.seeds }, (_, i) => i + 1);
  const { results, merged } = await simulateSeeds(base, seeds);
  writeFileSync(join(here, 'results', 'explore-regret.svg'), regretSvg(merged, `Cumulative regret, ${o.impressions.toLocaleString('en-US')} impressions, mean of ${seeds.length} seeds`));
  const reg = summarizeRuns(merged, (r) => r.regret);
  const ctr = summarizeRuns(merged, (r) => r.ctr);
  const segments = {};
  for (const p of merged.options.policies) {
    const runs = merged.runs.filter((r) => r.policy === p);
    segments[p] = Object.fromEntries(
      Object.keys(runs[0].bySegment).map((b) => {
        const imp = runs.reduce((s, r) => s + r.bySegment[b].impressions, 0);
        const clk = runs.reduce((s, r) => s + r.bySegment[b].clicks, 0);
        const values = runs.map((r) => r.bySegment[b].regret);
        const mean = values.reduce((a, x) => a + x, 0) / values.length;
        const sd = values.length > 1 ? Math.sqrt(values.reduce((a, x) => a + (x - mean) ** 2, 0) / (values.length - 1)) : null;
        return [b, { regretMean: mean, regretSd: sd, impressionsMean: imp / runs.length, ctr: imp > 0 ? clk / imp : null }];
      }),
    );
  }
  const key = { thompson: 'thompson', exploit: 'exploitOnly', 'epsilon-greedy': 'epsilonGreedy', ucb: 'ucb' };
  const resolved = results[0].options;
  const setup = {
    ...base,
    trafficCampaigns: resolved.traffic.campaigns ?? 1000,
    sweepsPerRefit: resolved.sweepsPerRefit,
    refitTolerance: resolved.refitTolerance,
    coldErrorSd: resolved.coldErrorSd,
    varianceScale: resolved.varianceScale,
    epsilon: resolved.epsilon,
    ucbWidth: resolved.ucbWidth,
    coldStart: "the truth's cold-start part + mean of the true δ_j + a fixed per-campaign N(0, coldErrorSd²) error; not refit",
    warmStart: "per campaign δ_j + x'η_j (the truth's warm user features) + z'ξ_j (context), Gaussian priors, coordinate Newton with the cold score as offset, diagonal Laplace variances",
    priors: "generator: η and ξ at the generator's coefficient variances, δ at the variance of the true δ_j over campaigns + coldErrorSd²",
    priorVariancesBySeed: Object.fromEntries(results.map((r) => [r.options.seeds[0], r.runs[0].priorVariances])),
  };
  const out = { seeds, impressions: o.impressions, setup, wallSeconds: merged.seconds, loadAverage: os.loadavg(), oracleCtr: merged.runs.reduce((s, r) => s + r.oracleCtr, 0) / merged.runs.length };
  for (const [p, k] of Object.entries(key)) {
    out[k] = reg[p].mean;
    out[`${k}Sd`] = reg[p].sd;
    out[`${k}PerSeed`] = reg[p].values;
    out[`${k}Ctr`] = ctr[p].mean;
    out[`${k}CtrSd`] = ctr[p].sd;
    const runs = merged.runs.filter((r) => r.policy === p);
    const sum = (f) => runs.reduce((s, r) => s + f(r), 0);
    out[`${k}Refit`] = { secondsPerSeed: sum((r) => r.refitSeconds) / runs.length, campaignRefitsPerSeed: sum((r) => r.refitStats.campaigns) / runs.length, sweepsPerCampaignRefit: sum((r) => r.refitStats.sweeps) / sum((r) => r.refitStats.campaigns), stoppedAtSweepLimit: sum((r) => r.refitStats.unconverged) / sum((r) => r.refitStats.campaigns) };
  }
  out.thompsonOverEpsilonGreedy = out.thompson / out.epsilonGreedy;
  out.thompsonOverUcb = out.thompson / out.ucb;
  out.thompsonOverExploitOnly = out.thompson / out.exploitOnly;
  out.pairedRatios = { thompsonOverEpsilonGreedy: pairedRatio(merged, 'thompson', 'epsilon-greedy'), thompsonOverUcb: pairedRatio(merged, 'thompson', 'ucb'), thompsonOverExploitOnly: pairedRatio(merged, 'thompson', 'exploit') };
  out.goals = { thompsonAtMost07EpsilonGreedy: out.thompsonOverEpsilonGreedy <= 0.7, thompsonBelowUcb: out.thompson < out.ucb };
  out.bySegment = segments;
  out.curve = { at: merged.curveAt, mean: Object.fromEntries(merged.options.policies.map((p) => [p, merged.curveAt.map((_, i) => merged.runs.filter((r) => r.policy === p).reduce((s, r) => s + r.curve[i], 0) / seeds.length)])) };
  return out;
}

export async function run(args) {
  const o = parseArgs(args);
  const figures = {};
  console.log('speed: 1,000 candidates per request');
  const sp = speed();
  console.table(Object.fromEntries(Object.entries(sp).map(([k, v]) => [k, { thompsonUs: v.usPerCandidateThompson.toFixed(4), exploitUs: v.usPerCandidateExploit.toFixed(4), ratio: v.thompsonOverExploit.toFixed(1) }])));
  figures.usPerCandidateThompson = sp.laserLike.usPerCandidateThompson;
  figures.usPerCandidateExploit = sp.laserLike.usPerCandidateExploit;
  figures.usPerCandidateGoal = 1;
  figures.speed = sp;
  if (o.obd) {
    const obd = runObd({ bootstrapSamples: 2000 });
    const pooled = obd.byScope['men+women'];
    figures.obd = { scope: 'men+women', truth: pooled.truth, truthStdError: pooled.truthStdError, estimators: pooled.estimators, loggedPropensityMeanAbsDiff: obd.loggedPropensityMeanAbsDiff, byCampaign: { men: obd.byScope.men, women: obd.byScope.women } };
    console.log(`OBD (random logs -> BTS), truth ${pooled.truth} ± ${pooled.truthStdError.toFixed(5)}`);
    console.table(Object.fromEntries(Object.entries(pooled.estimators).map(([k, e]) => [k, { estimate: e.estimate.toFixed(5), ci: `[${e.ciLow.toFixed(5)}, ${e.ciHigh.toFixed(5)}]`, relError: e.relError.toFixed(3), covers: e.covers }])));
  }
  // A skipped part keeps the previous run's figures, marked with the run they came from.
  const previous = previousResults('explore');
  for (const [part, key] of [['obd', 'obd'], ['sim', 'regret'], ['sensitivity', 'sensitivity']]) {
    if (!o[part] && previous?.[key] !== undefined) figures[key] = { ...previous[key], fromRun: previous[key].fromRun ?? previous.started };
  }
  if (o.sim) {
    figures.regret = await regret(o);
    const r = figures.regret;
    console.table({ thompson: r.thompson, exploitOnly: r.exploitOnly, epsilonGreedy: r.epsilonGreedy, ucb: r.ucb });
    console.log(`thompson / epsilon-greedy ${r.thompsonOverEpsilonGreedy.toFixed(3)}, thompson / ucb ${r.thompsonOverUcb.toFixed(3)}; wrote benchmarks/results/explore-regret.svg`);
  }
  if (o.sensitivity) figures.sensitivity = await sensitivity();
  return figures;
}
