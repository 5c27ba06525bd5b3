import { execFileSync } from 'node:child_process';
import { accessSync, constants, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SeededRng } from '@laserkit/core';
import { CsrMatrixBuilder, createDataset } from '../src/data/csr-matrix.js';
import { logisticLoss } from '../src/loss/logistic.js';
import { glmObjective } from '../src/objective/glm-objective.js';
import { TronSolver, liblinearGradientTolerance } from '../src/solver/tron.js';
import { gradientNormAt } from '../src/solver/solver-result.js';
import { maxAbs, maxAbsDiff } from './helpers.js';

// Parity with liblinear's TRON (-s 0: L2-regularised logistic regression, primal):
//   min_w ½‖w‖² + C Σ_i log(1 + exp(−ỹ_i wᵀx_i)),  ỹ ∈ {−1, +1},
// which is our GlmObjective with the logistic loss on 0/1 labels, prior precision 1, row weight C
// and no intercept (-B -1).

const LIBLINEAR = 'liblinear-train';

function onPath(command: string): boolean {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    try {
      accessSync(join(dir, command), constants.X_OK);
      return true;
    } catch {
      // not in this directory
    }
  }
  return false;
}

const hasLiblinear = onPath(LIBLINEAR);
const inCI = ['true', '1'].includes(process.env.CI?.trim().toLowerCase() ?? '');
// In CI (.ci/run installs liblinear-tools) a missing peer is a failure, never a silent skip.
if (!hasLiblinear && inCI) throw new Error(`${LIBLINEAR} is not on PATH: CI must install liblinear-tools (Debian) so the parity test runs`);
if (!hasLiblinear) console.warn(`liblinear parity test skipped: ${LIBLINEAR} is not on PATH (Debian: apt-get install liblinear-tools)`);

const ROWS = 2000;
const COLS = 200;
const ACTIVE = 20;
const C = 1;
const EPS = 1e-6;

/**
 * A deterministic binary classification problem in svmlight text and as a Dataset. The rows are
 * ordered so that the file starts with `firstLabel`, which liblinear makes its +1 class.
 */
function makeProblem(seed: number, firstLabel: 0 | 1) {
  const rng = new SeededRng(seed);
  const truth = Float64Array.from({ length: COLS }, () => 0.4 * rng.nextNormal());
  const rows: { y: number; idx: number[] }[] = [];
  for (let i = 0; i < ROWS; i++) {
    const active = new Set<number>();
    while (active.size < ACTIVE) active.add(rng.nextInt(COLS));
    const idx = [...active].sort((a, b) => a - b);
    let z = -0.3;
    for (const j of idx) z += truth[j]!;
    rows.push({ y: rng.nextFloat() < 1 / (1 + Math.exp(-z)) ? 1 : 0, idx });
  }
  const first = rows.findIndex((r) => r.y === firstLabel);
  [rows[0], rows[first]] = [rows[first]!, rows[0]!];
  const builder = new CsrMatrixBuilder({ cols: COLS });
  for (const r of rows) builder.addRow(r.idx);
  const text = rows.map((r) => `${r.y} ${r.idx.map((j) => `${j + 1}:1`).join(' ')}\n`).join('');
  return { text, dataset: createDataset({ x: builder.build(), labels: Float64Array.from(rows, (r) => r.y) }) };
}

/** Weights of a liblinear model file as coefficients for class 1 of our 0/1 labels. */
function readLiblinearModel(path: string): { weights: Float64Array; labelLine: string } {
  const lines = readFileSync(path, 'utf8').split('\n');
  const header = new Map<string, string>();
  let k = 0;
  for (; k < lines.length && lines[k] !== 'w'; k++) {
    const line = lines[k]!;
    const space = line.indexOf(' ');
    header.set(line.slice(0, space), line.slice(space + 1));
  }
  expect(header.get('solver_type')).toBe('L2R_LR');
  expect(header.get('nr_class')).toBe('2');
  expect(Number(header.get('bias'))).toBeLessThan(0);
  const nrFeature = Number(header.get('nr_feature'));
  // The first label in the "label" line is liblinear's +1 class: wᵀx > 0 predicts it.
  const positive = Number((header.get('label') ?? '').split(' ')[0]);
  const sign = positive === 1 ? 1 : -1;
  const w = new Float64Array(COLS);
  for (let j = 0; j < nrFeature; j++) w[j] = sign * Number(lines[k + 1 + j]!.trim());
  return { weights: w, labelLine: header.get('label') ?? '' };
}

const dir = mkdtempSync(join(tmpdir(), 'laserkit-liblinear-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe(`liblinear parity (TRON vs ${LIBLINEAR} -s 0)`, () => {
  it.skipIf(!hasLiblinear).each([
    [1, '1 0'],
    [0, '0 1'],
  ] as const)('reaches the same L2-regularised logistic regression optimum as liblinear (file starts with label %i)', (firstLabel, labelLine) => {
    const { text, dataset } = makeProblem(20240601, firstLabel);
    const dataPath = join(dir, `train-${firstLabel}.svm`);
    const modelPath = join(dir, `train-${firstLabel}.model`);
    writeFileSync(dataPath, text);
    execFileSync(LIBLINEAR, ['-s', '0', '-c', String(C), '-e', String(EPS), '-B', '-1', '-q', dataPath, modelPath], { stdio: 'pipe' });
    const model = readLiblinearModel(modelPath);
    expect(model.labelLine).toBe(labelLine);
    const theirs = model.weights;

    // C Σ loss is a row weight of C on every row.
    const objective = glmObjective(createDataset({ ...dataset, weights: new Float64Array(ROWS).fill(C) }), logisticLoss, { priorPrecision: 1 });
    // liblinear's stopping rule: ‖∇f(w)‖ <= eps·max(min(#pos, #neg), 1)/l · ‖∇f(0)‖, from w = 0.
    const tolerance = liblinearGradientTolerance(EPS, dataset.labels);
    const result = new TronSolver({ gradientTolerance: tolerance }).minimize(objective);
    const ours = result.weights;

    const fOurs = objective.value(ours);
    const fTheirs = objective.value(theirs);
    const relativeObjectiveGap = Math.abs(fOurs - fTheirs) / Math.abs(fTheirs);
    const weightGap = maxAbsDiff(ours, theirs);
    const gradientTheirs = gradientNormAt(objective, theirs);
    console.log(
      `liblinear parity (label ${labelLine}): f(ours) = ${fOurs.toPrecision(15)}, f(liblinear) = ${fTheirs.toPrecision(15)}, ` +
        `relative gap ${relativeObjectiveGap.toExponential(2)}; max |w_ours − w_liblinear| = ${weightGap.toExponential(2)} ` +
        `(max |w| = ${maxAbs(ours).toFixed(3)}); ‖∇f‖ ours ${result.gradientNorm.toExponential(2)} vs liblinear ${gradientTheirs.toExponential(2)} ` +
        `(threshold ${result.gradientThreshold.toExponential(2)}); TRON ${result.status} in ${result.iterations} iterations, ${result.hessianVectorProducts} Hv`,
    );

    expect(result.status).toBe('converged');
    expect(relativeObjectiveGap).toBeLessThan(1e-6);
    expect(weightGap).toBeLessThan(1e-4);
    // Same stopping rule, so liblinear's point is as stationary as ours (up to CG path differences).
    expect(gradientTheirs).toBeLessThan(10 * result.gradientThreshold);
  });
});
