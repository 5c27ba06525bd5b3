import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SeededRng } from '@laserkit/core';
import { ModelPredictor, loadModel } from '@laserkit/model';
import { createDataset, withInterceptColumn } from '../../src/data/csr-matrix.js';
import { readTrainingSet } from '../../src/data/readers.js';
import { runStreamingTrainJob } from '../../src/job/streaming-train-job.js';
import { logisticLoss } from '../../src/loss/logistic.js';
import { TwiceDifferentiableGlmObjective } from '../../src/objective/glm-objective.js';
import { TronSolver } from '../../src/solver/tron.js';

const dir = mkdtempSync(join(tmpdir(), 'laserkit-streaming-job-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function svmlight(rows: number, columns: number, seed: number): string {
  const rng = new SeededRng(seed);
  const truth = Float64Array.from({ length: columns }, () => rng.nextNormal());
  const lines: string[] = [];
  for (let i = 0; i < rows; i++) {
    const active = [...new Set(Array.from({ length: 6 }, () => rng.nextInt(columns)))].sort((a, b) => a - b);
    const z = -1 + active.reduce((s, j) => s + (truth[j] as number), 0);
    lines.push(`${rng.nextFloat() < 1 / (1 + Math.exp(-z)) ? 1 : 0} ${active.map((j) => `${j + 1}:1`).join(' ')}`);
  }
  const path = join(dir, `d${seed}.svm`);
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}

describe('out-of-core training job', () => {
  it('fits the same model as the in-memory objective while holding at most one chunk of rows, and writes a loadable artifact', async () => {
    const path = svmlight(3_000, 40, 1);
    const out = join(dir, 'streamed.avro');
    const result = await runStreamingTrainJob(path, { chunkRows: 250, priorVariance: 0.5, modelId: 'streamed' }, { out });
    expect(result.solver.status).toBe('converged');
    expect(result.maxRowsResident).toBeLessThanOrEqual(250);
    expect(result.passes).toBeGreaterThan(3);

    // The in-memory reference: the same objective on the whole file.
    const { set } = await readTrainingSet(path, { format: 'svmlight' });
    const x = withInterceptColumn(set.features.user);
    const objective = new TwiceDifferentiableGlmObjective(createDataset({ x, labels: set.labels }), logisticLoss, { priorPrecision: 2, priorMean: null, interceptColumn: set.features.user.cols });
    const reference = new TronSolver().minimize(objective).weights;
    const model = loadModel(out);
    const w = model.main[0]?.weights as Float64Array;
    for (let j = 0; j < w.length; j++) expect(Math.abs((w[j] as number) - (reference[j] as number))).toBeLessThan(1e-4);
    expect(Math.abs(model.intercept - (reference[w.length] as number))).toBeLessThan(1e-4);
    expect(model.main[0]?.variances?.every((v) => v > 0 && v <= 0.5)).toBe(true);

    // Its term means: the mean linear predictor over the file, as a direct prediction computes it.
    const predictor = new ModelPredictor(model);
    let sum = 0;
    for (let i = 0; i < set.rows; i++) {
      const a = set.features.user.rowPtr[i] as number;
      const b = set.features.user.rowPtr[i + 1] as number;
      const idx = Array.from(set.features.user.colIdx.subarray(a, b));
      sum += predictor.predict({ user: { dimension: w.length, indices: Int32Array.from(idx), values: new Float64Array(idx.length).fill(1) } }).terms.get('main:user') as number;
    }
    expect(model.termMeans.find((t) => t.term === 'main:user')?.mean).toBeCloseTo(sum / set.rows, 9);
  });

  it('rejects an unknown config key naming it', async () => {
    await expect(runStreamingTrainJob(svmlight(10, 5, 2), { chunkRow: 5 } as never)).rejects.toThrow(/config\.chunkRow/);
  });
});
