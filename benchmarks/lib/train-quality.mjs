// Quality of the LASER model on generated traffic with a known true model: the shape of LASER's
// offline AUC ladder (WSDM 2014, Table 2: per-campaign CTR 0.672 < cold start 0.757 < full 0.778)
// and the distance of the full model from the truth's own AUC.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { auc, aucDifference, logLoss } from '@laserkit/core';
import { createTraffic, readTrafficFile, writeTraffic } from '@laserkit/datasets';
import { LASER_PER_CAMPAIGN_EFFECT, TrainingSetBuilder, entityCtrBaseline, fitLaser, predictSet, readTrainingSet, selectRows, trainLaserModel } from '@laserkit/trainer';

/** The generated data: 1M impressions over feature spaces small enough for 800k rows to teach. */
export const QUALITY_TRAFFIC = { rows: 1_000_000, seed: 5, users: 50_000, campaigns: 300, userDimension: 2_000, adDimension: 500 };

/**
 * The same generator with about 25 times the training clicks per true parameter: 30 campaigns,
 * 200 user × 100 ad features, click rates 2-10%. At sizes these machines run, it separates what the
 * amount of data limits (the quality traffic has about 0.25 training clicks per true parameter at
 * 1M rows) from what the trainer limits.
 */
export const COMPACT_TRAFFIC = { rows: 1_000_000, seed: 5, users: 20_000, campaigns: 30, userDimension: 200, adDimension: 100, ctrMin: 0.02, ctrMax: 0.1 };

const PER_CAMPAIGN = LASER_PER_CAMPAIGN_EFFECT;

/**
 * The full model's second-order crosses: low-rank (rank 4), started from the top singular directions
 * of the loss gradient wrt the full cross matrix (the spectral start) and refined jointly with the
 * linear part by L-BFGS. Which crosses is tuned like the variances: user×ad alone at each factor
 * variance, then all three pairs at the factor variance user×ad preferred. On the quality traffic at
 * 256k-640k training rows user×context and context×ad did not help (context×ad is largely absorbed
 * by the per-campaign context coefficients ξ_j); on the compact traffic they do.
 */
const USER_AD = [{ id: 'userAd', rank: 4 }];
const ALL_CROSSES = [...USER_AD, { id: 'userContext', rank: 4 }, { id: 'contextAd', rank: 4 }];
/** Factor variances tried, chosen on the tune split like LASER's three variances. 1 / variance is the
 * singular value of the gradient a direction must exceed to start (0.001 keeps every direction at zero). */
const FACTOR_VARIANCES = [0.0015, 0.002];
/** The joint L-BFGS fit's cap. At 60 the fits of 2.56M training rows stopped at the cap with the
 * tune loss still falling (the compact traffic: test AUC 0.7121 at 60 iterations, 0.7132 at 200). */
const CROSS_ITERATIONS = 300;

export async function runQuality(log = console.log, traffic = QUALITY_TRAFFIC) {
  const dir = mkdtempSync(join(tmpdir(), 'laserkit-bench-quality-'));
  try {
    const data = join(dir, 'traffic.tsv');
    writeTraffic(traffic, { path: data });
    const cut = Math.floor(traffic.rows * 0.8);
    const pTrue = new Float64Array(traffic.rows - cut);
    let i = 0;
    for await (const row of readTrafficFile(data)) {
      if (i >= cut) pTrue[i - cut] = row.pTrue;
      i++;
    }
    const { set } = await readTrainingSet(data);
    // Time order: train on the first 64%, tune on the next 16%, test on the latest 20%.
    const tuneCut = Math.floor(cut * 0.8);
    const range = (a, b) => Int32Array.from({ length: b - a }, (_, k) => a + k);
    const train = selectRows(set, range(0, tuneCut));
    const tune = selectRows(set, range(tuneCut, cut));
    const test = selectRows(set, range(cut, set.rows));

    const tuning = { cold: [0.003, 0.01, 0.03], bias: [0.1, 0.3, 1], coefficients: [0.01, 0.03, 0.1] };
    const t0 = performance.now();
    const cold = await trainLaserModel(train, tune, { tuning, fixed: { main: ['user', 'ad', 'context'] } });
    const tCold = (performance.now() - t0) / 1000;
    const warm = await trainLaserModel(train, tune, { tuning, fixed: { main: ['user', 'ad', 'context'] }, randomEffects: [PER_CAMPAIGN] });
    const tWarm = (performance.now() - t0) / 1000 - tCold;

    // The same model with low-rank crosses: the three LASER variances found above are kept, and the
    // factor variance and the set of crosses are chosen on the tune split; the full model is
    // whichever of these (and the model without crosses) has the lowest tune log loss. The test
    // rows pick nothing.
    const t1 = performance.now();
    const tuneLoss = (model) => logLoss(predictSet(model, tune), tune.labels);
    const candidates = [{ name: 'no crosses', factors: null, model: warm.model, tuneLogLoss: tuneLoss(warm.model), fit: null }];
    const fitCrossed = async (crosses, factors) => {
      const fit = await fitLaser(train, {
        fixed: { main: ['user', 'ad', 'context'], lowRankCrosses: crosses },
        randomEffects: [PER_CAMPAIGN],
        priorVariances: { ...warm.variances, factors },
        lbfgs: { maxIterations: CROSS_ITERATIONS },
      });
      const name = `low-rank ${crosses.map((c) => c.id).join(' + ')} crosses, factor variance ${factors}`;
      candidates.push({ name, crosses, factors, model: fit.model, tuneLogLoss: tuneLoss(fit.model), fit });
    };
    for (const factors of FACTOR_VARIANCES) await fitCrossed(USER_AD, factors);
    await fitCrossed(ALL_CROSSES, lowestTuneLoss(candidates.slice(1)).factors);
    const tCrossed = (performance.now() - t1) / 1000;
    const oracle = await trueCrossesCeiling(traffic, tuneCut, cut, warm.variances);
    const best = lowestTuneLoss(candidates);

    const pBase = entityCtrBaseline(train, test, 'campaign');
    const pCold = predictSet(cold.model, test);
    const pWarm = predictSet(warm.model, test);
    const pFull = predictSet(best.model, test);
    const variants = candidates.map((c) => {
      const p = predictSet(c.model, test);
      const cross = c.fit?.crossResults[0];
      return {
        model: c.name,
        tuneLogLoss: c.tuneLogLoss,
        aucTest: auc(p, test.labels),
        logLossTest: logLoss(p, test.labels),
        ...(c.fit === null ? {} : { crossStarts: c.fit.crossStarts.map((s) => ({ id: s.id, activeRank: s.activeRank, step: s.step, singularValues: s.singularValues })), crossesSolver: { status: cross?.status, iterations: cross?.iterations } }),
      };
    });
    const quality = {
      data: { ...traffic, trainClicks: sum(train.labels), trueParameters: trueParameterCount(traffic), heldOutRows: test.rows, heldOutClicks: sum(test.labels), split: 'time order: first 64% train, next 16% tune the prior variances (and pick the full model), latest 20% test' },
      aucBaseline: auc(pBase, test.labels),
      aucCold: auc(pCold, test.labels),
      aucFull: auc(pFull, test.labels),
      aucFullWithoutCrosses: auc(pWarm, test.labels),
      aucTruth: auc(pTrue, test.labels),
      logLossBaseline: logLoss(pBase, test.labels),
      logLossCold: logLoss(pCold, test.labels),
      logLossFull: logLoss(pFull, test.labels),
      logLossFullWithoutCrosses: logLoss(pWarm, test.labels),
      logLossTruth: logLoss(pTrue, test.labels),
      coldVariances: cold.variances,
      fullVariances: { ...warm.variances, ...(best.factors === null ? {} : { factors: best.factors }) },
      fullVariants: variants,
      truthTerms: truthTermAucs(traffic, cut),
      aucFullWithTrueCrosses: oracle.auc,
      fullWithTrueCrossesModel: `not a model we can train: the full model without crosses plus the truth's own cross score x'Ac + x'Cz + z'Bc as one extra feature (its fitted coefficient ${oracle.coefficient.toFixed(3)}); the ceiling of what better crosses can add, the rest of the gap to the truth being the estimation of main effects and per-campaign effects`,
      seconds: { coldWithTuning: tCold, fullWithoutCrossesWithTuning: tWarm, crossesWithFactorTuning: tCrossed },
      coldModel: 'intercept + main effects (user, ad, context); no crosses',
      fullModel: `cold start + per-campaign bias, top-32 user features and all context features${best.factors === null ? '' : ` + low-rank (rank ${best.crosses[0].rank}) ${best.crosses.map((c) => c.id).join(', ')} crosses, spectral start, factor variance ${best.factors}, L-BFGS capped at ${CROSS_ITERATIONS} iterations`} (picked on the tune split: ${best.name})`,
    };
    quality.ladderHolds = quality.aucBaseline < quality.aucCold && quality.aucCold < quality.aucFull;
    quality.fullMinusTruth = quality.aucFull - quality.aucTruth;
    // DeLong's paired standard error of that difference over the test rows: how far the gap could
    // move on another draw of test rows from the same traffic.
    quality.fullMinusTruthStandardError = aucDifference(pFull, pTrue, test.labels).standardError;
    quality.withinGoal = Math.abs(quality.fullMinusTruth) <= 0.005;
    log(
      `quality (held-out AUC): per-campaign CTR ${quality.aucBaseline.toFixed(4)} < cold ${quality.aucCold.toFixed(4)} < full ${quality.aucFull.toFixed(4)} (${best.name}; without crosses ${quality.aucFullWithoutCrosses.toFixed(4)}); truth ${quality.aucTruth.toFixed(4)} (full - truth ${quality.fullMinusTruth.toFixed(4)} ± ${quality.fullMinusTruthStandardError.toFixed(4)} (DeLong SE), goal within 0.005; the truth without crosses ${quality.truthTerms.withoutCrosses.toFixed(4)})`,
    );
    return quality;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const sum = (labels) => labels.reduce((a, b) => a + b, 0);
const lowestTuneLoss = (candidates) => candidates.reduce((a, b) => (b.tuneLogLoss < a.tuneLogLoss ? b : a));

/**
 * Free parameters of the true model (LASER eq. 1-6 as the generator draws it): main effects, the
 * three rank-k crosses' factors, and per campaign δ_j, η_j and ξ_j.
 */
function trueParameterCount(options) {
  const T = createTraffic({ ...options, rows: 0 }).truth;
  const [u, a, c, k] = [T.userDimension, T.adDimension, T.contextDimension, T.crossRank];
  return 1 + u + a + c + k * ((u + a) + (u + c) + (c + a)) + T.campaigns * (1 + T.warmUserFeatures + c);
}

/** The truth's three cross terms of one row: x'U·Vᵀc (userAd), x'U·Vᵀz (userContext), z'U·Vᵀc (contextAd). */
function trueCrossTerms(T, r) {
  const k = T.crossRank;
  const out = { userAd: 0, userContext: 0, contextAd: 0 };
  for (let rr = 0; rr < k; rr++) {
    let xu = 0;
    let xc = 0;
    let av = 0;
    let ac = 0;
    let zv = 0;
    let zc = 0;
    for (const f of r.userFeatures) {
      xu += T.userAdU[f * k + rr];
      xc += T.userContextU[f * k + rr];
    }
    for (const g of r.adFeatures) {
      av += T.userAdV[g * k + rr];
      ac += T.contextAdV[g * k + rr];
    }
    for (const z of r.contextFeatures) {
      zv += T.userContextV[z * k + rr];
      zc += T.contextAdU[z * k + rr];
    }
    out.userAd += xu * av;
    out.userContext += xc * zv;
    out.contextAd += zc * ac;
  }
  return out;
}

/** The truth's cross score of every row (x'Ac + x'Cz + z'Bc), replayed from the generator, with the rows. */
function* truthCrossScores(options) {
  const traffic = createTraffic(options);
  const T = traffic.truth;
  for (const r of traffic.rows()) {
    const c = trueCrossTerms(T, r);
    yield { row: r, crossScore: c.userAd + c.userContext + c.contextAd };
  }
}

/**
 * The full model (no crosses, the given variances) fit on data that carries the truth's cross score
 * as one extra context column: held-out AUC and that column's coefficient.
 */
async function trueCrossesCeiling(options, trainRows, firstTestRow, variances) {
  const traffic = createTraffic(options);
  const cd = traffic.truth.contextDimension;
  const builder = new TrainingSetBuilder({ dimensions: { user: options.userDimension, ad: options.adDimension, context: cd + 1 } });
  for (const { row: r, crossScore } of truthCrossScores(options)) {
    const values = new Float64Array(r.contextFeatures.length + 1).fill(1);
    values[r.contextFeatures.length] = crossScore;
    builder.add({ label: r.label, features: { user: { indices: r.userFeatures }, ad: { indices: r.adFeatures }, context: { indices: [...r.contextFeatures, cd], values } }, entities: { campaign: String(r.campaign) } });
  }
  const set = builder.build();
  const range = (a, b) => Int32Array.from({ length: b - a }, (_, k) => a + k);
  const train = selectRows(set, range(0, trainRows));
  const test = selectRows(set, range(firstTestRow, set.rows));
  const contextColumns = Array.from({ length: cd }, (_, j) => j);
  const perCampaign = { ...PER_CAMPAIGN, features: PER_CAMPAIGN.features.map((f) => (f.namespace === 'context' ? { namespace: 'context', select: contextColumns } : f)) };
  const fit = await fitLaser(train, { randomEffects: [perCampaign], priorVariances: variances });
  const context = fit.model.main.find((m) => m.namespace === 'context');
  return { auc: auc(predictSet(fit.model, test), test.labels), coefficient: context.weights[cd] };
}

/**
 * What the truth's AUC on the test rows owes to each of its terms: the AUC of the true logit with
 * that term removed (LASER eq. 1-6 as the generator draws it), and of the truth without any cross.
 * Recomputed from the generator, which replays the same rows for the same options.
 */
export function truthTermAucs(options, firstTestRow) {
  const traffic = createTraffic(options);
  const T = traffic.truth;
  const W = T.warmUserFeatures;
  const n = options.rows - firstTestRow;
  const names = ['main', 'userAd', 'userContext', 'contextAd', 'delta', 'eta', 'xi'];
  const parts = names.map(() => new Float64Array(n));
  const labels = new Float64Array(n);
  let i = 0;
  for (const r of traffic.rows()) {
    if (i >= firstTestRow) {
      const q = i - firstTestRow;
      const j = r.campaign;
      let main = T.intercept;
      for (const f of r.userFeatures) main += T.alpha[f];
      for (const g of r.adFeatures) main += T.beta[g];
      for (const z of r.contextFeatures) main += T.gamma[z];
      const { userAd: ua, userContext: uc, contextAd: ca } = trueCrossTerms(T, r);
      let eta = 0;
      for (const f of r.userFeatures) if (f < W) eta += T.eta[j * W + f];
      let xi = 0;
      for (const z of r.contextFeatures) xi += T.xi[j * T.contextDimension + z];
      [main, ua, uc, ca, T.delta[j], eta, xi].forEach((v, m) => (parts[m][q] = v));
      labels[q] = r.label;
    }
    i++;
  }
  const aucOf = (without) => {
    const p = new Float64Array(n);
    for (let q = 0; q < n; q++) {
      let s = 0;
      names.forEach((name, m) => {
        if (!without.includes(name)) s += parts[m][q];
      });
      p[q] = 1 / (1 + Math.exp(-s));
    }
    return auc(p, labels);
  };
  return {
    all: aucOf([]),
    ...Object.fromEntries(names.map((name) => [`without_${name}`, aucOf([name])])),
    withoutCrosses: aucOf(['userAd', 'userContext', 'contextAd']),
    mainAndCampaignBiasOnly: aucOf(['userAd', 'userContext', 'contextAd', 'eta', 'xi']),
  };
}
