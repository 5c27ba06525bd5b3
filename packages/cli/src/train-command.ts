import { writeFileSync } from 'node:fs';
import { Option, type Command } from 'commander';
import cliProgress from 'cli-progress';
import { invalidArgument, readJsonFile, type BinaryMetrics } from '@laserkit/core';
import { loadModel, modelToJSON } from '@laserkit/model';
import {
  INPUT_FORMATS,
  LASER_PER_CAMPAIGN_EFFECT,
  evaluatePredictions,
  inferFormat,
  loadTrainConfig,
  predictSet,
  readTrainingSet,
  runStreamingTrainJob,
  runTrainJob,
  type EvaluationReport,
  type InputFormat,
  type StreamingTrainConfig,
  type TrainConfig,
  type TrainJobResult,
  type TrainLog,
} from '@laserkit/trainer';
import { table } from './format.js';

/** The default model when no config is given: LASER's cold-start main effects plus per-campaign warm-start effects. */
export const DEFAULT_TRAIN_CONFIG: TrainConfig = {
  fixed: { main: ['user', 'ad', 'context'] },
  randomEffects: [LASER_PER_CAMPAIGN_EFFECT],
  priorVariances: { cold: 0.03, bias: 0.3, coefficients: 0.03 },
  validationFraction: 0.2,
};

export function reportTable(title: string, report: EvaluationReport): string {
  const row = (name: string, m: BinaryMetrics): (string | number)[] => [name, m.count, m.positives, m.auc, m.logLoss, m.normalizedEntropy, m.observedExpected];
  const order = ['cold', 'cool', 'warm', 'hot'] as const;
  const buckets = order.flatMap((b) => (report.byWarmness[b] === undefined ? [] : [row(`${report.warmnessEntity ?? 'entity'} ${b}`, report.byWarmness[b])]));
  const rows = [row('all', report.overall), ...buckets];
  return `${title}\n${table(rows, ['rows', 'count', 'clicks', 'AUC', 'log loss', 'NE', 'O/E'])}`;
}

/** Logs a training job for a terminal: one line per stage and cold-start iteration, a bar for per-entity fits. */
export function terminalTrainLogger(log: (s: string) => void = console.log): (event: TrainLog) => void {
  let bar: cliProgress.SingleBar | undefined;
  return (e) => {
    if (e.kind === 'read') {
      log(`read ${e.rows.toLocaleString('en-US')} rows in ${e.seconds.toFixed(1)} s${e.skipped.count > 0 ? `; skipped ${e.skipped.count} invalid rows, e.g.\n  ${e.skipped.examples.join('\n  ')}` : ''}`);
    } else if (e.kind === 'split') {
      log(`train ${e.train.toLocaleString('en-US')} rows, validation ${e.validation.toLocaleString('en-US')} rows${e.sampledNegatives > 0 ? ` (${e.sampledNegatives.toLocaleString('en-US')} negatives down-sampled)` : ''}`);
    } else if (e.kind === 'tuning') {
      log(`tuning: variances cold ${e.variances.cold}, bias ${e.variances.bias}, coefficients ${e.variances.coefficients} -> validation log loss ${e.validationLogLoss.toFixed(5)}`);
    } else if (e.kind === 'done') {
      log(`done in ${e.seconds.toFixed(1)} s`);
    } else {
      const f = e.event;
      if (f.stage === 'design') log(f.message);
      else if (f.stage === 'cold') log(`  cold start pass ${f.pass} iteration ${f.record.iteration}: objective ${f.record.objective.toFixed(3)}, gradient norm ${f.record.gradientNorm.toExponential(3)}`);
      else if (f.stage === 'cold-done') log(`  cold start: ${f.result.status} after ${f.result.iterations} iterations (${f.result.message})`);
      else if (f.stage === 'crosses') {
        if (f.record.iteration % 10 === 0) log(`  low-rank crosses iteration ${f.record.iteration}: objective ${f.record.objective.toFixed(3)}, gradient norm ${f.record.gradientNorm.toExponential(3)}`);
      } else if (f.stage === 'crosses-done') log(`  low-rank crosses: ${f.result.status} after ${f.result.iterations} iterations`);
      else if (f.stage === 'entities') {
        if (process.stderr.isTTY) {
          if (bar === undefined) {
            bar = new cliProgress.SingleBar({ format: `  ${f.block} {bar} {value}/{total} entities`, stream: process.stderr }, cliProgress.Presets.shades_classic);
            bar.start(f.total, 0);
          }
          bar.update(f.done);
          if (f.done === f.total) {
            bar.stop();
            bar = undefined;
          }
        } else if (f.done === f.total) log(`  ${f.block}: fitted ${f.total} entities`);
      }
    }
  };
}

export async function runTrain(data: string, out: string, config: TrainConfig, log: (s: string) => void = console.log): Promise<TrainJobResult> {
  const result = await runTrainJob(data, config, { out, onLog: terminalTrainLogger(log) });
  for (const s of result.fit.entitySummaries) log(`  ${s.block}: ${s.entities} entities, ${s.converged} converged, ${s.maxIterations} at max iterations, ${s.notImproving} not improving`);
  log('');
  log(reportTable('training rows', result.training));
  if (result.validation !== null) log(reportTable('held-out rows (warmness by training impressions)', result.validation));
  log(`wrote ${out} (${((result.bytes ?? 0) / 1e6).toFixed(2)} MB): model ${result.model.modelId} v${result.model.modelVersion}, prior variances cold ${result.variances.cold}, bias ${result.variances.bias}, coefficients ${result.variances.coefficients}`);
  return result;
}

export async function runEvaluate(modelPath: string, data: string, format: InputFormat | undefined, log: (s: string) => void = console.log): Promise<EvaluationReport> {
  const model = loadModel(modelPath);
  const { set, skipped } = await readTrainingSet(data, { ...(format === undefined ? {} : { format }), featureSpace: model.featureSpace, dimensions: model.dimensions });
  if (skipped.count > 0) log(`skipped ${skipped.count} invalid rows`);
  const report = evaluatePredictions(predictSet(model, set), set);
  log(reportTable(`${model.modelId} v${model.modelVersion} on ${data} (warmness by impressions in this file)`, report));
  return report;
}

/**
 * The JSON of a hand-written config file, not yet validated; a UTF-8 byte order mark at its start
 * (some editors write one) is skipped. A file that cannot be read or parsed is an error naming it.
 */
export function readJsonConfig(path: string): unknown {
  return readJsonFile(path, 'config', 'INVALID_ARGUMENT');
}

export function registerTrain(program: Command): void {
  program
    .command('train')
    .description('train a LASER model (cold-start GLM + per-entity warm-start effects) and write its Avro artifact')
    .requiredOption('--data <file>', 'training data: laserkit traffic, svmlight or JSON Lines')
    .requiredOption('-o, --out <file>', 'model artifact to write (.avro)')
    .option('--config <file>', 'training config (JSON); defaults to main effects + per-campaign effects')
    .addOption(new Option('--format <format>', 'input format (default: from the file name)').choices([...INPUT_FORMATS]))
    .option('--skip-invalid', 'count and report invalid rows instead of failing')
    .option('--json <file>', 'also write the model as readable JSON')
    .option('--streaming', 'out of core, for data larger than memory: svmlight, main effects only, re-read in chunks on every pass (--config takes modelId, namespace, priorVariance, chunkRows, maxIterations)')
    .action(async (o: { data: string; out: string; config?: string; format?: InputFormat; skipInvalid?: boolean; json?: string; streaming?: boolean }) => {
      if (o.streaming === true) {
        const format = o.format ?? inferFormat(o.data);
        if (format !== 'svmlight') throw invalidArgument('--format', format, 'must be svmlight with --streaming (the out-of-core reader reads svmlight)');
        const config = { ...(o.config === undefined ? {} : (readJsonConfig(o.config) as StreamingTrainConfig)), ...(o.skipInvalid === true ? { skipInvalid: true } : {}) };
        const result = await runStreamingTrainJob(o.data, config, { out: o.out, onLog: (line) => console.log(line) });
        console.log(`wrote ${o.out} (${((result.bytes ?? 0) / 1e6).toFixed(2)} MB): ${result.rows} rows, ${result.skipped} skipped`);
        if (o.json !== undefined) writeFileSync(o.json, `${JSON.stringify(modelToJSON(result.model), null, 1)}\n`);
        return;
      }
      const config: TrainConfig = {
        ...(o.config === undefined ? DEFAULT_TRAIN_CONFIG : loadTrainConfig(o.config)),
        ...(o.format === undefined ? {} : { format: o.format }),
        ...(o.skipInvalid === true ? { skipInvalid: true } : {}),
      };
      const result = await runTrain(o.data, o.out, config);
      if (o.json !== undefined) writeFileSync(o.json, `${JSON.stringify(modelToJSON(result.model), null, 1)}\n`);
    });
  program
    .command('evaluate')
    .description('score a data file with a model and report AUC, log loss, NE and O/E, overall and by campaign warmness')
    .requiredOption('--model <file>', 'model artifact (.avro)')
    .requiredOption('--data <file>', 'labelled data')
    .addOption(new Option('--format <format>', 'input format (default: from the file name)').choices([...INPUT_FORMATS]))
    .action(async (o: { model: string; data: string; format?: InputFormat }) => {
      await runEvaluate(o.model, o.data, o.format);
    });
}
