import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import type { TrafficOptions } from '@laserkit/datasets';
import { integerArg } from './options.js';
import { runGenerate } from './generate-command.js';
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
}

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('run the main job end to end on embedded defaults: generate, train, evaluate')
    .option('--dir <dir>', 'working folder for the files it writes', 'laserkit-demo')
    .option('--rows <n>', 'impressions to generate', integerArg(1, 2 ** 31 - 1), 200_000)
    .option('--seed <n>', 'random seed', integerArg(0, 0xffffffff), 1)
    .action(async (o: { dir: string; rows: number; seed: number }) => runDemo(resolve(o.dir), o.rows, o.seed));
}
