import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { integerArg } from './options.js';
import { runGenerate } from './generate-command.js';

/**
 * The main job on embedded defaults, end to end, with no external services: generate traffic
 * with a known true model and summarize it. Each capability that lands extends this job
 * (train, evaluate, score, explore).
 */
export function runDemo(dir: string, rows: number, seed: number, log: (s: string) => void = console.log): void {
  mkdirSync(dir, { recursive: true });
  log(`laserkit demo: working in ${dir}\n`);
  log('1. generate LASER-shaped traffic with a known true model');
  runGenerate({ rows, seed }, join(dir, 'traffic.tsv'), 'traffic', join(dir, 'truth.json'), log);
}

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('run the main job end to end on embedded defaults')
    .option('--dir <dir>', 'working folder for the files it writes', 'laserkit-demo')
    .option('--rows <n>', 'impressions to generate', integerArg(1, 2 ** 31 - 1), 200_000)
    .option('--seed <n>', 'random seed', integerArg(0, 0xffffffff), 1)
    .action((o: { dir: string; rows: number; seed: number }) => runDemo(resolve(o.dir), o.rows, o.seed));
}
