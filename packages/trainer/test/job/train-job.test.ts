import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeTraffic } from '@laserkit/datasets';
import { loadModel } from '@laserkit/model';
import { loadTrainConfig, runTrainJob, type TrainLog } from '../../src/job/train-job.js';

const dir = mkdtempSync(join(tmpdir(), 'laserkit-job-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const data = join(dir, 'traffic.tsv');
writeTraffic({ rows: 20_000, seed: 2, users: 2_000, campaigns: 30, userDimension: 300, adDimension: 60 }, { path: data });
const config = {
  randomEffects: [{ id: 'perCampaign', entityType: 'campaign', features: [{ namespace: 'context' as const, select: 'all' as const }] }],
  priorVariances: { cold: 0.05 },
};

describe('the training job', () => {
  it('writes a loadable artifact with term means, metrics and the variances it used', async () => {
    const out = join(dir, 'model.avro');
    const logs: TrainLog[] = [];
    const result = await runTrainJob(data, { ...config, modelId: 'ctr', modelVersion: 7 }, { out, onLog: (l) => logs.push(l) });
    const model = loadModel(out);
    expect(model.modelId).toBe('ctr');
    expect(model.modelVersion).toBe(7);
    expect(model.featureSpace).toEqual({ kind: 'indexed', dimensions: { user: 300, ad: 60, context: 39 } });
    // Every term, and the parts of the random-effect term (the scorer substitutes a late part alone).
    expect(model.termMeans.map((t) => t.term).sort()).toEqual(['intercept', 'main:ad', 'main:context', 'main:user', 're:perCampaign', 're:perCampaign:bias', 're:perCampaign:context']);
    const mean = (term: string) => model.termMeans.find((t) => t.term === term)?.mean as number;
    expect(mean('re:perCampaign:bias') + mean('re:perCampaign:context')).toBeCloseTo(mean('re:perCampaign'), 12);
    expect(model.metrics['validation.auc']).toBeCloseTo(result.validation!.overall.auc, 12);
    expect(result.validation!.overall.count).toBe(4_000);
    expect(logs.map((l) => l.kind)).toEqual(expect.arrayContaining(['read', 'split', 'fit', 'done']));
    // The term means are the means of each term over held-out rows: they sum to the mean score.
    const meanScore = model.termMeans.filter((t) => t.term.split(':').length < 3).reduce((s, t) => s + t.mean, 0);
    expect(Number.isFinite(meanScore)).toBe(true);
    expect(Math.abs(1 / (1 + Math.exp(-meanScore)) - result.validation!.overall.meanPrediction)).toBeLessThan(0.02);
  });

  it('tuning picks the grid value with the lowest held-out log loss', async () => {
    const logs: TrainLog[] = [];
    const result = await runTrainJob(data, { ...config, tuning: { cold: [1e-4, 0.05], bias: [0.01, 0.3], coefficients: [0.01] } }, { onLog: (l) => logs.push(l) });
    const tried = logs.flatMap((l) => (l.kind === 'tuning' ? [l] : []));
    expect(tried).toHaveLength(4);
    const coldTrials = tried.slice(0, 2);
    const bestCold = coldTrials.reduce((a, b) => (b.validationLogLoss < a.validationLogLoss ? b : a));
    expect(result.variances.cold).toBe(bestCold.variances.cold);
    const warmTrials = tried.slice(2);
    const bestWarm = warmTrials.reduce((a, b) => (b.validationLogLoss < a.validationLogLoss ? b : a));
    expect(result.variances.bias).toBe(bestWarm.variances.bias);
  });

  it('negative down-sampling with the intercept correction keeps predictions calibrated', async () => {
    const full = await runTrainJob(data, config);
    const sampled = await runTrainJob(data, { ...config, negativeSampleRate: 0.25 });
    expect(sampled.fit.model.metadata.trainingRows).not.toBe(full.fit.model.metadata.trainingRows);
    // Observed/expected on the untouched held-out rows stays near 1 (it would be near 0.25 uncorrected).
    expect(sampled.validation!.overall.observedExpected).toBeGreaterThan(0.8);
    expect(sampled.validation!.overall.observedExpected).toBeLessThan(1.25);
  });

  it('rejects a bad config naming the field', () => {
    const path = join(dir, 'bad.json');
    writeFileSync(path, JSON.stringify({ validationFraction: 1.5 }));
    expect(() => loadTrainConfig(path)).toThrow('config.validationFraction (1.5) must be a number in [0, 1)');
    writeFileSync(path, JSON.stringify({ pases: 2 }));
    expect(() => loadTrainConfig(path)).toThrow('config.pases (2) is not a known option');
    writeFileSync(path, '{ nope');
    expect(() => loadTrainConfig(path)).toThrow(/is not valid JSON/);
  });

  it('reads a config file that starts with a UTF-8 byte order mark like the same file without it', () => {
    const plain = join(dir, 'plain.json');
    const bom = join(dir, 'bom.json');
    const text = JSON.stringify({ validationFraction: 0.3, passes: 2 });
    writeFileSync(plain, text);
    writeFileSync(bom, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)]));
    expect(loadTrainConfig(bom)).toEqual(loadTrainConfig(plain));
  });
});
