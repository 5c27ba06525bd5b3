// Can the user×ad cross of the quality benchmark's traffic be detected at all from its training
// rows? `npm run bench -- cross-detectability [--rows N]` (default 1M, the quality section's size;
// a few minutes).
//
// The spectral start of a low-rank cross (packages/trainer/src/laser/cross-init.ts) takes the top
// singular values of the loss gradient wrt the full cross matrix at the linear fit. The same
// traffic is generated twice, with the truth's crosses and with every cross scale set to 0 (same
// seed: same users, campaigns, features and impressions; only the click probabilities differ), and
// the fit stops right after the start. Where the two spectra are close, the crosses sit at the
// level of label noise and no estimator that starts from this gradient can tell them apart.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeTraffic } from '@laserkit/datasets';
import { fitLaser, readTrainingSet, selectRows } from '@laserkit/trainer';
import { QUALITY_TRAFFIC } from './lib/train-quality.mjs';

const RANK = 8;
// The full model's variances as the quality section tunes them at 1M rows (train.json, fullVariances).
const VARIANCES = { cold: 0.01, bias: 0.1, coefficients: 0.03, factors: 0.002 };

function parseArgs(args) {
  const o = { rows: QUALITY_TRAFFIC.rows };
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--rows') o.rows = Number(args[++i]);
    else throw new Error(`unknown argument ${args[i]}; usage: npm run bench -- cross-detectability [--rows N]`);
  }
  if (!Number.isInteger(o.rows) || o.rows < 10_000) throw new Error(`--rows (${o.rows}) must be an integer >= 10000`);
  return o;
}

export async function run(args) {
  const o = parseArgs(args);
  const dir = mkdtempSync(join(tmpdir(), 'laserkit-bench-detect-'));
  try {
    const spectra = {};
    for (const [name, scales] of [['withCrosses', {}], ['withoutCrosses', { termScales: { userAd: 0, userContext: 0, contextAd: 0 } }]]) {
      const traffic = { ...QUALITY_TRAFFIC, rows: o.rows, ...scales };
      const data = join(dir, `${name}.tsv`);
      writeTraffic(traffic, { path: data });
      const { set } = await readTrainingSet(data);
      // The quality section's training rows: the first 64%.
      const trainRows = Math.floor(Math.floor(o.rows * 0.8) * 0.8);
      const train = selectRows(set, Int32Array.from({ length: trainRows }, (_, k) => k));
      const fit = await fitLaser(train, { fixed: { main: ['user', 'ad', 'context'], lowRankCrosses: [{ id: 'userAd', rank: RANK }] }, priorVariances: VARIANCES, lbfgs: { maxIterations: 1 } });
      spectra[name] = Array.from(fit.crossStarts[0].singularValues);
      console.log(`${name}: top singular values of the user×ad gradient ${spectra[name].map((x) => x.toFixed(0)).join(', ')}`);
    }
    const ratio = spectra.withCrosses.map((x, k) => x / spectra.withoutCrosses[k]);
    return { traffic: { ...QUALITY_TRAFFIC, rows: o.rows }, trainRows: Math.floor(Math.floor(o.rows * 0.8) * 0.8), rank: RANK, variances: VARIANCES, singularValues: spectra, ratioWithOverWithout: ratio };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
