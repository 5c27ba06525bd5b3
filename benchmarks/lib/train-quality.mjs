// Quality of the LASER model on generated traffic with a known true model: the shape of LASER's
// offline AUC ladder (WSDM 2014, Table 2: per-campaign CTR 0.672 < cold start 0.757 < full 0.778)
// and the distance of the full model from the truth's own AUC.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { auc, logLoss } from '@laserkit/core';
import { readTrafficFile, writeTraffic } from '@laserkit/datasets';
import { LASER_PER_CAMPAIGN_EFFECT, entityCtrBaseline, predictSet, readTrainingSet, selectRows, trainLaserModel } from '@laserkit/trainer';

/** The generated data: 1M impressions over feature spaces small enough for 800k rows to teach. */
export const QUALITY_TRAFFIC = { rows: 1_000_000, seed: 5, users: 50_000, campaigns: 300, userDimension: 2_000, adDimension: 500 };

const PER_CAMPAIGN = LASER_PER_CAMPAIGN_EFFECT;

export async function runQuality(log = console.log) {
  const dir = mkdtempSync(join(tmpdir(), 'laserkit-bench-quality-'));
  try {
    const data = join(dir, 'traffic.tsv');
    writeTraffic(QUALITY_TRAFFIC, { path: data });
    const cut = Math.floor(QUALITY_TRAFFIC.rows * 0.8);
    const pTrue = new Float64Array(QUALITY_TRAFFIC.rows - cut);
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
    const full = await trainLaserModel(train, tune, { tuning, fixed: { main: ['user', 'ad', 'context'] }, randomEffects: [PER_CAMPAIGN] });
    const tFull = (performance.now() - t0) / 1000 - tCold;
    // The same full model with LASER's second-order crosses, low-rank (rank 4) and fit jointly by
    // L-BFGS; the variances found above are reused, with a factor variance between the values that
    // overfit (0.01) and that keep the factors at zero (0.001) on a 240k-row trial.
    const crosses = [
      { id: 'userAd', rank: 4 },
      { id: 'userContext', rank: 4 },
      { id: 'contextAd', rank: 4 },
    ];
    const t1 = performance.now();
    const crossed = await trainLaserModel(train, tune, {
      fixed: { main: ['user', 'ad', 'context'], lowRankCrosses: crosses },
      randomEffects: [PER_CAMPAIGN],
      priorVariances: { ...full.variances, factors: 0.003 },
      lbfgs: { maxIterations: 150 },
    });
    const tCrossed = (performance.now() - t1) / 1000;
    const lbfgsResult = crossed.fit.crossResults[0];

    const pBase = entityCtrBaseline(train, test, 'campaign');
    const pCold = predictSet(cold.model, test);
    const pFull = predictSet(full.model, test);
    const pCrossed = predictSet(crossed.model, test);
    const quality = {
      data: { ...QUALITY_TRAFFIC, heldOutRows: test.rows, heldOutClicks: test.labels.reduce((a, b) => a + b, 0), split: 'time order: first 64% train, next 16% tune the prior variances, latest 20% test' },
      aucBaseline: auc(pBase, test.labels),
      aucCold: auc(pCold, test.labels),
      aucFull: auc(pFull, test.labels),
      aucFullWithCrosses: auc(pCrossed, test.labels),
      aucTruth: auc(pTrue, test.labels),
      logLossBaseline: logLoss(pBase, test.labels),
      logLossCold: logLoss(pCold, test.labels),
      logLossFull: logLoss(pFull, test.labels),
      logLossFullWithCrosses: logLoss(pCrossed, test.labels),
      logLossTruth: logLoss(pTrue, test.labels),
      crossesSolver: { status: lbfgsResult?.status, iterations: lbfgsResult?.iterations, message: lbfgsResult?.message },
      coldVariances: cold.variances,
      fullVariances: full.variances,
      seconds: { coldWithTuning: tCold, fullWithTuning: tFull, fullWithCrosses: tCrossed },
      coldModel: 'intercept + main effects (user, ad, context); no crosses',
      fullModel: 'cold start + per-campaign bias, top-32 user features and all context features',
      fullWithCrossesModel: 'full model + low-rank (rank 4) userAd, userContext and contextAd crosses, factor variance 0.003, L-BFGS capped at 150 iterations',
    };
    quality.ladderHolds = quality.aucBaseline < quality.aucCold && quality.aucCold < quality.aucFull;
    quality.bestFull = Math.max(quality.aucFull, quality.aucFullWithCrosses);
    quality.fullMinusTruth = quality.bestFull - quality.aucTruth;
    quality.withinGoal = Math.abs(quality.fullMinusTruth) <= 0.005;
    log(`quality (held-out AUC): per-campaign CTR ${quality.aucBaseline.toFixed(4)} < cold ${quality.aucCold.toFixed(4)} < full ${quality.aucFull.toFixed(4)} (with low-rank crosses ${quality.aucFullWithCrosses.toFixed(4)}); truth ${quality.aucTruth.toFixed(4)} (best full - truth ${quality.fullMinusTruth.toFixed(4)}, goal within 0.005)`);
    return quality;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
