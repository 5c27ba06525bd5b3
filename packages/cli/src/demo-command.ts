import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { createTraffic, type TrafficOptions } from '@laserkit/datasets';
import { integerArg } from './options.js';
import { runGenerate } from './generate-command.js';
import { runScore, writeScoringFilesFromTraffic } from './score-command.js';
import { describeSimulation, runSimulation } from './simulate-command.js';
import { DEFAULT_TRAIN_CONFIG, runEvaluate, runTrain } from './train-command.js';

/** Traffic small enough to train in seconds, with feature spaces the rows can actually teach. */
export function demoTraffic(rows: number, seed: number): TrafficOptions {
  return { rows, seed, users: 20_000, campaigns: 200, userDimension: 2_000, adDimension: 500 };
}

/**
 * The main job on embedded defaults, end to end, with no external services: generate traffic
 * with a known true model, train LASER's model on it, and evaluate the written artifact. Each
 * capability that lands extends this job (score, explore).
 */
export async function runDemo(dir: string, rows: number, seed: number, log: (s: string) => void = console.log): Promise<void> {
  mkdirSync(dir, { recursive: true });
  log(`laserkit demo: working in ${dir}\n`);
  log('1. generate LASER-shaped traffic with a known true model');
  const data = join(dir, 'traffic.tsv');
  const generated = runGenerate(demoTraffic(rows, seed), data, 'traffic', join(dir, 'truth.json'), log);
  log('\n2. train: cold-start GLM (TRON) + per-campaign warm-start effects, prior variances tuned on the latest 20% of rows');
  const model = join(dir, 'model.avro');
  await runTrain(data, model, { ...DEFAULT_TRAIN_CONFIG, tuning: { cold: [0.01, 0.03, 0.1], bias: [0.1, 0.3], coefficients: [0.01, 0.03] } }, log);
  log(`(the true model's own AUC on all rows: ${generated.summary.truth.auc.toFixed(4)})`);
  log('\n3. evaluate the artifact as written, on all rows');
  await runEvaluate(model, data, undefined, log);

  log('\n4. score: rank every campaign for each of the last 1,000 impressions with the deadline-bounded scorer');
  const ads = join(dir, 'ads.jsonl');
  const requests = join(dir, 'requests.jsonl');
  const rowsUsed = await writeScoringFilesFromTraffic(data, ads, requests, 1_000);
  const scored = await runScore(model, ads, requests, { out: join(dir, 'ranked.jsonl'), top: 10, deadlineMs: 10 }, log);
  // The generator knows every impression's true click probability: how good is the top-ranked ad?
  const truth = createTraffic(demoTraffic(rows, seed));
  let top = 0;
  let mean = 0;
  let best = 0;
  scored.results.forEach((res, i) => {
    const r = rowsUsed[i] as (typeof rowsUsed)[number];
    const p = (adId: string) => 1 / (1 + Math.exp(-truth.logit(r.user, Number(adId.slice(1)), r.contextFeatures)));
    const all = res.ranked.map((a) => p(a.adId));
    top += all[0] as number;
    mean += all.reduce((a, b) => a + b, 0) / all.length;
    best += Math.max(...all);
  });
  const n = scored.results.length;
  log(`true click probability of the top-ranked campaign ${(top / n).toFixed(4)}, of an average candidate ${(mean / n).toFixed(4)}, of the best candidate ${(best / n).toFixed(4)} (lift ${(top / mean).toFixed(2)}×)`);

  log('\n5. explore: a short simulation of Thompson sampling against exploit-only, ε-greedy and UCB on traffic with known click probabilities');
  log(describeSimulation(runSimulation({ impressions: 50_000, refitEveryImpressions: 10_000, traffic: { campaigns: 200 } })));
}

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('run the main job end to end on embedded defaults: generate, train, evaluate, score, explore')
    .option('--dir <dir>', 'working folder for the files it writes', 'laserkit-demo')
    .option('--rows <n>', 'impressions to generate', integerArg(1, 2 ** 31 - 1), 200_000)
    .option('--seed <n>', 'random seed', integerArg(0, 0xffffffff), 1)
    .action(async (o: { dir: string; rows: number; seed: number }) => runDemo(resolve(o.dir), o.rows, o.seed));
}
