// Off-policy evaluation on the Open Bandit Dataset sample (Saito et al., NeurIPS 2021 Datasets and
// Benchmarks): estimate the click rate of the Bernoulli Thompson sampling (BTS) policy from the
// uniform-random logs, and compare with the click rate BTS actually got in its own logs.
//
// Target policy: BTS with the Beta posteriors it ran with (explore-obd-prior.mjs). It ranks items
// by a Beta draw each and fills positions 1-3 in order, so π_e(item | position) is the probability
// that the item's draw ranks at that position, computed exactly (BetaBernoulliThompsonPolicy.
// rankPropensities). As in the dataset's own pipeline, each log row is one (impression, position)
// and the value is the expected click per row.
// Reward model for DM and DR: click rate per (item, position) in the random log, shrunk to the
// log's overall rate with 20 pseudo-impressions; fit on the same rows (not cross-fitted). IPS and
// SNIPS intervals are row bootstraps (evaluateOffPolicy); DM and DR intervals refit the reward
// model on each resample.
import { SeededRng } from '@laserkit/core';
import { loadObd, obdClickRate } from '@laserkit/datasets';
import { BetaBernoulliThompsonPolicy, evaluateOffPolicy, replayEstimate } from '@laserkit/explore';
import { OBD_BTS_PRIOR } from './explore-obd-prior.mjs';

const POSITIONS = 3;
const SHRINK = 20;

function btsActionDistribution(campaign) {
  const { alpha, beta } = OBD_BTS_PRIOR[campaign];
  // Prior Beta(1, 1) plus "successes" α-1 and "failures" β-1 gives the posterior Beta(α, β).
  const arms = { count: alpha.length, successes: Float64Array.from(alpha, (a) => a - 1), failures: Float64Array.from(beta, (b) => b - 1) };
  const policy = new BetaBernoulliThompsonPolicy();
  return { arms, policy, dist: policy.rankPropensities(arms, POSITIONS) };
}

function campaignLogs(campaign) {
  const random = loadObd({ policy: 'random', campaign });
  const bts = loadObd({ policy: 'bts', campaign });
  const { arms, policy, dist } = btsActionDistribution(campaign);
  // How close is the exact action distribution to the propensities BTS logged? (mean over its rows)
  let absDiff = 0;
  for (let r = 0; r < bts.rows; r++) absDiff += Math.abs(dist[bts.itemId[r] * POSITIONS + bts.position[r] - 1] - bts.propensity[r]);
  return { random, bts, arms, policy, dist, loggedPropensityMeanAbsDiff: absDiff / bts.rows };
}

function buildFeedback(parts) {
  const n = parts.reduce((s, p) => s + p.random.rows, 0);
  const reward = new Float64Array(n);
  const loggingPropensity = new Float64Array(n);
  const targetProbability = new Float64Array(n);
  const predictedReward = new Float64Array(n);
  const predictedTargetValue = new Float64Array(n);
  let i = 0;
  for (const { random, dist } of parts) {
    const items = random.items;
    let clicks = 0;
    for (let r = 0; r < random.rows; r++) clicks += random.click[r];
    const overall = clicks / random.rows;
    const imp = new Float64Array(items * POSITIONS);
    const clk = new Float64Array(items * POSITIONS);
    for (let r = 0; r < random.rows; r++) {
      const cell = random.itemId[r] * POSITIONS + random.position[r] - 1;
      imp[cell]++;
      clk[cell] += random.click[r];
    }
    const q = imp.map((m, cell) => (clk[cell] + SHRINK * overall) / (m + SHRINK));
    for (let r = 0; r < random.rows; r++, i++) {
      const pos = random.position[r] - 1;
      const a = random.itemId[r];
      reward[i] = random.click[r];
      loggingPropensity[i] = random.propensity[r];
      targetProbability[i] = dist[a * POSITIONS + pos];
      predictedReward[i] = q[a * POSITIONS + pos];
      let v = 0;
      for (let b = 0; b < items; b++) v += dist[b * POSITIONS + pos] * q[b * POSITIONS + pos];
      predictedTargetValue[i] = v;
    }
  }
  return { count: n, reward, loggingPropensity, targetProbability, predictedReward, predictedTargetValue };
}

/**
 * DM and DR intervals with the reward model refit on every bootstrap resample (the library's
 * evaluateOffPolicy holds the model fixed, which leaves the model's own uncertainty out of DM).
 */
function refitBootstrap(parts, bootstrapSamples, seed) {
  const rng = new SeededRng(seed).fork('refit-bootstrap');
  const rows = [];
  parts.forEach(({ random }, c) => {
    for (let r = 0; r < random.rows; r++) rows.push([c, random.itemId[r], random.position[r] - 1, random.click[r], random.propensity[r]]);
  });
  const n = rows.length;
  const dm = new Float64Array(bootstrapSamples);
  const dr = new Float64Array(bootstrapSamples);
  for (let b = 0; b < bootstrapSamples; b++) {
    const pick = Array.from({ length: n }, () => rows[rng.nextInt(n)]);
    const models = parts.map(({ random }, c) => {
      const imp = new Float64Array(random.items * POSITIONS);
      const clk = new Float64Array(random.items * POSITIONS);
      let m = 0;
      let k = 0;
      for (const [cc, a, pos, y] of pick) {
        if (cc !== c) continue;
        imp[a * POSITIONS + pos]++;
        clk[a * POSITIONS + pos] += y;
        m++;
        k += y;
      }
      const overall = m > 0 ? k / m : 0;
      const q = imp.map((x, cell) => (clk[cell] + SHRINK * overall) / (x + SHRINK));
      const v = new Float64Array(POSITIONS);
      for (let pos = 0; pos < POSITIONS; pos++) for (let a = 0; a < random.items; a++) v[pos] += parts[c].dist[a * POSITIONS + pos] * q[a * POSITIONS + pos];
      return { q, v };
    });
    let sDm = 0;
    let sDr = 0;
    for (const [c, a, pos, y, prop] of pick) {
      const { q, v } = models[c];
      const w = parts[c].dist[a * POSITIONS + pos] / prop;
      sDm += v[pos];
      sDr += v[pos] + w * (y - q[a * POSITIONS + pos]);
    }
    dm[b] = sDm / n;
    dr[b] = sDr / n;
  }
  const interval = (x) => {
    x.sort();
    const at = (p) => x[Math.min(x.length - 1, Math.max(0, Math.round(p * (x.length - 1))))];
    const mean = x.reduce((a, c) => a + c, 0) / x.length;
    return { ciLow: at(0.025), ciHigh: at(0.975), stdError: Math.sqrt(x.reduce((a, c) => a + (c - mean) ** 2, 0) / (x.length - 1)) };
  };
  return { dm: interval(dm), dr: interval(dr) };
}

function replay(parts, seed) {
  // Li et al. (WSDM 2011): draw the BTS slate for each random-log row, keep rows where it put the
  // logged item at the logged position.
  const rng = new SeededRng(seed);
  const rows = parts.reduce((s, p) => s + p.random.rows, 0);
  const reward = new Float64Array(rows);
  const loggedAction = new Int32Array(rows);
  const targetAction = new Int32Array(rows);
  let i = 0;
  for (const { random, arms } of parts) {
    const draws = new Float64Array(arms.count);
    for (let r = 0; r < random.rows; r++, i++) {
      for (let j = 0; j < arms.count; j++) draws[j] = rng.nextBeta(1 + arms.successes[j], 1 + arms.failures[j]);
      const order = Array.from(draws.keys()).sort((a, b) => draws[b] - draws[a]);
      reward[i] = random.click[r];
      loggedAction[i] = random.itemId[r];
      targetAction[i] = order[random.position[r] - 1];
    }
  }
  return replayEstimate({ count: rows, reward, loggedAction, targetAction }, { rng: rng.fork('bootstrap'), bootstrapSamples: 2000 });
}

function table(truth, truthStdError, estimates) {
  const out = {};
  for (const [name, e] of Object.entries(estimates)) {
    out[name] = { estimate: e.estimate, ciLow: e.ciLow, ciHigh: e.ciHigh, stdError: e.stdError, relError: Math.abs(e.estimate - truth) / truth, covers: e.ciLow <= truth && truth <= e.ciHigh, ...(e.matched === undefined ? {} : { matched: e.matched }) };
  }
  return { truth, truthStdError, estimators: out };
}

export function runObd({ bootstrapSamples = 2000, seed = 1 } = {}) {
  const t0 = performance.now();
  const parts = ['men', 'women'].map((c) => ({ campaign: c, ...campaignLogs(c) }));
  const result = {};
  for (const scope of [['men'], ['women'], ['men', 'women']]) {
    const ps = parts.filter((p) => scope.includes(p.campaign));
    const btsRows = ps.reduce((s, p) => s + p.bts.rows, 0);
    const truth = ps.reduce((s, p) => s + obdClickRate(p.bts) * p.bts.rows, 0) / btsRows;
    const feedback = buildFeedback(ps);
    const fixedModel = evaluateOffPolicy(feedback, { rng: new SeededRng(seed), bootstrapSamples });
    const refit = refitBootstrap(ps, bootstrapSamples, seed);
    const est = { ...fixedModel, dm: { ...fixedModel.dm, ...refit.dm }, dr: { ...fixedModel.dr, ...refit.dr } };
    const rep = replay(ps, seed);
    result[scope.join('+')] = {
      randomRows: feedback.count,
      randomClicks: feedback.reward.reduce((a, b) => a + b, 0),
      btsRows,
      btsClicks: Math.round(truth * btsRows),
      maxImportanceWeight: Math.max(...feedback.targetProbability.map((t, i) => t / feedback.loggingPropensity[i])),
      ...table(truth, Math.sqrt((truth * (1 - truth)) / btsRows), { ...est, replay: rep }),
    };
  }
  return {
    seconds: (performance.now() - t0) / 1000,
    loggedPropensityMeanAbsDiff: Object.fromEntries(parts.map((p) => [p.campaign, p.loggedPropensityMeanAbsDiff])),
    byScope: result,
  };
}
