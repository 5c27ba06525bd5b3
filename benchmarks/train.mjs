// L2-regularised logistic regression, ours (TRON on the GLM objective, one thread and data-parallel
// over both cores) against liblinear (`liblinear-train -s 0`) and scikit-learn (lbfgs), side by side
// in one run. `npm run bench -- train [--rows N] [--parity-rows N] [--repeats N] [--no-sklearn] [--no-quality] [--quality-rows N]`.
//
// 1. Parity: generated LASER traffic (main effects only, svmlight), the objective
//    ½‖w‖² + Σ logloss (precision 1, no intercept, labels 0/1), liblinear's stopping rule; at
//    liblinear's default -e 0.01 and at -e 1e-6; held-out log loss computed here from both weight
//    vectors.
// 2. Speed and memory: 1M rows × 100k features, about 50 non-zeros per row (396 MB of svmlight).
//    - liblinear: wall time of `liblinear-train` (process start, parsing the text, training, writing
//      the model) and its peak RSS. Its training time alone is estimated as that wall time minus
//      the wall time of the same command with -e 1e30, which stops after the first function and
//      gradient evaluation (liblinear prints no timing of its own).
//    - ours: a child node process per variant (so its RSS is ours alone): reading the same
//      svmlight file with readTrainingSet (a byte-level parser writing straight into typed arrays
//      on shared memory), then building the objective (for the parallel one: starting the workers,
//      which read those arrays without a copy), then TRON. Peak RSS of the whole process. Node's
//      start-up (~0.05 s) is not in our seconds.
//    - scikit-learn: load_svmlight_file and LogisticRegression.fit, timed separately.
// 3. The objective's own calls on 8M non-zeros: Hv and f/∇f per call for every threading mode,
//    and the per-call overhead of the worker hand-off.
// 4. Out of core: StreamingGlmObjective on the same file (each call a pass over the file in
//    chunks of rows): seconds of its validating first pass, of one f/∇f and one Hv, and the peak
//    RSS of the process, which stays far below the in-memory runs' whatever the file size.
// 5. Quality on generated traffic with a known true model (benchmarks/lib/train-quality.mjs): the
//    AUC ladder and the full model's distance from the truth. `quality` is the compact traffic
//    (--quality-rows, default 4M: about 25 training clicks per true parameter, enough for the
//    truth to be learnable); `qualityHighDimensional` is 1M rows of the high-dimensional traffic
//    (about 0.25 clicks per parameter, where no fit gets near the truth). About 80 minutes for both,
//    most of it the compact traffic's cross fits, which run on one thread.
//
// With --no-quality (or --no-sklearn) the quality sections (or scikit-learn's figures) of the
// previous results file are kept, marked with the run it comes from, rather than dropped.
//
// The speed runs are repeated (--repeats, default 2, interleaved) and the fastest of each kept:
// these machines are shared, and other workloads take a core away at times (see
// loadAverages[].effectiveCores in the results). Generated data is cached under
// benchmarks/work/train/ (gitignored) and reused when the generator options match.
import { previousResults } from './lib/previous-results.mjs';
import { COMPACT_TRAFFIC, QUALITY_TRAFFIC, runQuality } from './lib/train-quality.mjs';
import { spawn, spawnSync } from 'node:child_process';
import { clearInterval, setInterval } from 'node:timers';
import { Worker } from 'node:worker_threads';
import { accessSync, constants, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { delimiter, dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { writeTraffic } from '@laserkit/datasets';
import * as trainer from '@laserkit/trainer';
import {
  CsrMatrix,
  ParallelGlmObjective,
  TronSolver,
  TwiceDifferentiableGlmObjective,
  createDataset,
  liblinearGradientTolerance,
  logisticLoss,
  readTrainingSet,
} from '@laserkit/trainer';

const here = dirname(fileURLToPath(import.meta.url));
const workDir = join(here, 'work', 'train');
const repoRoot = join(here, '..');
const LIBLINEAR = 'liblinear-train';
const TIME = '/usr/bin/time';
const SPEED_TRAFFIC = { seed: 1, userDimension: 90_000, adDimension: 9_960 };
const PARITY_TRAFFIC = { seed: 7 };
const EPS = 0.01;
const TIGHT_EPS = 1e-6;

function parseArgs(args) {
  const o = { rows: 1_000_000, parityRows: 100_000, repeats: 2, sklearn: true, quality: true, qualityRows: 4_000_000 };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--no-sklearn') o.sklearn = false;
    else if (a === '--no-quality') o.quality = false;
    else if (a === '--rows') o.rows = Number(args[++i]);
    else if (a === '--parity-rows') o.parityRows = Number(args[++i]);
    else if (a === '--repeats') o.repeats = Number(args[++i]);
    else if (a === '--quality-rows') o.qualityRows = Number(args[++i]);
    else throw new Error(`unknown argument ${a}; usage: npm run bench -- train [--rows N] [--parity-rows N] [--repeats N] [--no-sklearn] [--no-quality] [--quality-rows N]`);
  }
  for (const k of ['rows', 'parityRows', 'repeats', 'qualityRows']) if (!Number.isInteger(o[k]) || o[k] < 1) throw new Error(`--${k} (${o[k]}) must be a positive integer`);
  return o;
}

function onPath(command) {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    try {
      accessSync(join(dir, command), constants.X_OK);
      return true;
    } catch {
      // not here
    }
  }
  return false;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const round = (x, digits = 3) => (x === null || x === undefined || !Number.isFinite(x) ? x : Number(x.toPrecision(digits + 3)));

/** Generated traffic as svmlight, cached by its options. */
function svmlightData(name, traffic) {
  mkdirSync(workDir, { recursive: true });
  const path = join(workDir, `${name}.svm`);
  const metaPath = join(workDir, `${name}.json`);
  const key = JSON.stringify(traffic);
  if (existsSync(path) && existsSync(metaPath)) {
    const meta = JSON.parse(readFileSync(metaPath, 'utf8'));
    if (meta.key === key) return { path, ...meta.summary, generatedSeconds: null };
  }
  const t0 = performance.now();
  const s = writeTraffic(traffic, { path, format: 'svmlight' });
  const generatedSeconds = (performance.now() - t0) / 1000;
  const dimension = s.dimensions.user + s.dimensions.ad + s.dimensions.context;
  const summary = { rows: s.rows, bytes: s.bytes, dimension, meanActiveFeatures: s.meanActiveFeatures, ctr: s.ctr };
  writeFileSync(metaPath, `${JSON.stringify({ key, summary })}\n`);
  return { path, ...summary, generatedSeconds };
}

/** Splits an svmlight file by lines: the first `trainRows` rows and the rest. */
function splitLines(path, trainRows) {
  const lines = readFileSync(path, 'utf8').split('\n').filter((l) => l.length > 0);
  const trainPath = path.replace(/\.svm$/, '.train.svm');
  const testPath = path.replace(/\.svm$/, '.test.svm');
  writeFileSync(trainPath, `${lines.slice(0, trainRows).join('\n')}\n`);
  writeFileSync(testPath, `${lines.slice(trainRows).join('\n')}\n`);
  return { trainPath, testPath, testRows: lines.length - trainRows };
}

/** Coefficients of a liblinear model for class 1 of 0/1 labels (its first label is its +1 class). */
function readLiblinearModel(path, dimension) {
  const lines = readFileSync(path, 'utf8').split('\n');
  const header = new Map();
  let k = 0;
  for (; k < lines.length && lines[k] !== 'w'; k++) {
    const space = lines[k].indexOf(' ');
    header.set(lines[k].slice(0, space), lines[k].slice(space + 1));
  }
  if (header.get('solver_type') !== 'L2R_LR' || Number(header.get('bias')) >= 0) throw new Error(`unexpected liblinear model ${path}`);
  const sign = Number(header.get('label').split(' ')[0]) === 1 ? 1 : -1;
  const w = new Float64Array(dimension);
  const nrFeature = Number(header.get('nr_feature'));
  for (let j = 0; j < nrFeature; j++) w[j] = sign * Number(lines[k + 1 + j].trim());
  return w;
}

/** Runs a command, measuring wall time and peak RSS (GNU time -v, else polling /proc VmHWM). */
async function measure(command, args, { captureStdout = true } = {}) {
  const useTime = existsSync(TIME);
  const argv = useTime ? ['-v', command, ...args] : args;
  const load = os.loadavg()[0];
  const t0 = performance.now();
  const child = spawn(useTime ? TIME : command, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => {
    if (captureStdout) stdout += d;
  });
  child.stderr.on('data', (d) => (stderr += d));
  let polledKiB = 0;
  const poll = useTime
    ? null
    : setInterval(() => {
        try {
          const m = /VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
          if (m) polledKiB = Math.max(polledKiB, Number(m[1]));
        } catch {
          // exited
        }
      }, 20);
  const code = await new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', resolve);
  });
  const wallSeconds = (performance.now() - t0) / 1000;
  if (poll !== null) clearInterval(poll);
  if (code !== 0) throw new Error(`${command} ${args.join(' ')} exited with ${code}: ${stderr.slice(-2000)}`);
  let peakRssBytes = polledKiB * 1024;
  let cpuSeconds = null;
  if (useTime) {
    const m = /Maximum resident set size \(kbytes\): (\d+)/.exec(stderr);
    peakRssBytes = m ? Number(m[1]) * 1024 : null;
    const user = /User time \(seconds\): ([\d.]+)/.exec(stderr);
    const system = /System time \(seconds\): ([\d.]+)/.exec(stderr);
    if (user && system) cpuSeconds = Number(user[1]) + Number(system[1]);
  }
  return { wallSeconds, cpuSeconds, peakRssBytes, rssSource: useTime ? 'GNU time -v (ru_maxrss)' : 'VmHWM polled every 20 ms', stdout, stderr, loadAverageAtStart: load };
}

function liblinearIterations(stdout) {
  const iters = [...stdout.matchAll(/^iter\s+(\d+).*?f ([\d.e+-]+).*?CG\s+(\d+)/gm)];
  return { iterations: iters.length, cgIterations: iters.reduce((s, m) => s + Number(m[3]), 0), lastPrintedObjective: iters.length > 0 ? Number(iters.at(-1)[2]) : null };
}

async function runLiblinear(dataPath, eps, modelPath) {
  const r = await measure(LIBLINEAR, ['-s', '0', '-c', '1', '-e', String(eps), '-B', '-1', dataPath, modelPath]);
  return { wallSeconds: r.wallSeconds, cpuSeconds: r.cpuSeconds, peakRssBytes: r.peakRssBytes, rssSource: r.rssSource, loadAverageAtStart: r.loadAverageAtStart, ...liblinearIterations(r.stdout) };
}

async function readDataset(path, dimension, maxRows) {
  const { set } = await readTrainingSet(path, { format: 'svmlight', dimensions: { user: dimension }, ...(maxRows === undefined ? {} : { maxRows }) });
  return createDataset({ x: set.features.user, labels: set.labels });
}

function meanLogLoss(ds, w) {
  let sum = 0;
  for (let i = 0; i < ds.x.rows; i++) {
    const z = ds.x.rowDot(i, w);
    // log(1 + e^z) − y z, stable for either sign of z
    sum += (z > 0 ? z : 0) - ds.labels[i] * z + Math.log1p(Math.exp(-Math.abs(z)));
  }
  return sum / ds.x.rows;
}

async function parity(options) {
  const testRows = Math.round(options.parityRows / 4);
  const data = svmlightData(`parity-${options.parityRows}`, { ...PARITY_TRAFFIC, rows: options.parityRows + testRows });
  const { trainPath, testPath } = splitLines(data.path, options.parityRows);
  const train = await readDataset(trainPath, data.dimension);
  const test = await readDataset(testPath, data.dimension);
  const reference = new TwiceDifferentiableGlmObjective(train, logisticLoss, { priorPrecision: 1 });
  const ours = await ParallelGlmObjective.create(train, logisticLoss, { priorPrecision: 1 });
  const out = { rows: train.x.rows, heldOutRows: test.x.rows, features: data.dimension, nnz: train.x.nnz, threads: ours.threads, runs: {} };
  for (const [name, eps] of [
    ['default', EPS],
    ['tight', TIGHT_EPS],
  ]) {
    const modelPath = join(workDir, `parity-${name}.model`);
    const lib = await runLiblinear(trainPath, eps, modelPath);
    const theirs = readLiblinearModel(modelPath, data.dimension);
    const t0 = performance.now();
    const result = new TronSolver({ gradientTolerance: liblinearGradientTolerance(eps, train.labels) }).minimize(ours);
    const seconds = (performance.now() - t0) / 1000;
    const fOurs = reference.value(result.weights);
    const fTheirs = reference.value(theirs);
    const llOurs = meanLogLoss(test, result.weights);
    const llTheirs = meanLogLoss(test, theirs);
    out.runs[name] = {
      eps,
      objectiveOurs: fOurs,
      objectiveLiblinear: fTheirs,
      objectiveRelDiff: Math.abs(fOurs - fTheirs) / Math.abs(fTheirs),
      heldOutLogLossOurs: llOurs,
      heldOutLogLossLiblinear: llTheirs,
      logLossAbsDiff: Math.abs(llOurs - llTheirs),
      oursStatus: result.status,
      oursIterations: result.iterations,
      oursHessianVectorProducts: result.hessianVectorProducts,
      oursSeconds: seconds,
      liblinearIterations: lib.iterations,
      liblinearCgIterations: lib.cgIterations,
      liblinearWallSeconds: lib.wallSeconds,
    };
  }
  await ours.close();
  return out;
}

/** Our side of the speed run, in a child process: `node train.mjs child <json>`. */
async function child({ data, dimension, eps, mode, liblinearModel }) {
  const cpu = () => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1e6;
  };
  const c0 = cpu();
  const t0 = performance.now();
  let dataset = await readDataset(data, dimension);
  const labels = dataset.labels;
  const t1 = performance.now();
  const c1 = cpu();
  const objective = mode === 'single' ? new TwiceDifferentiableGlmObjective(dataset, logisticLoss, { priorPrecision: 1 }) : await ParallelGlmObjective.create(dataset, logisticLoss, { priorPrecision: 1 });
  // The parallel objective holds the rows itself (the reader's shared arrays, not a copy).
  if (mode !== 'single') dataset = null;
  const t2 = performance.now();
  const result = new TronSolver({ gradientTolerance: liblinearGradientTolerance(eps, labels) }).minimize(objective);
  const t3 = performance.now();
  const c3 = cpu();
  const peakRssBytes = Number(/VmHWM:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))[1]) * 1024;
  // Untimed: the objective at liblinear's weights, for the table.
  const objectiveAtLiblinear = liblinearModel === null ? null : objective.value(readLiblinearModel(liblinearModel, dimension));
  if (mode !== 'single') await objective.close();
  const report = {
    mode,
    threads: mode === 'single' ? 0 : objective.threads,
    callerShare: mode === 'single' ? true : objective.callerShare,
    readSeconds: (t1 - t0) / 1000,
    setupSeconds: (t2 - t1) / 1000,
    trainSeconds: (t3 - t2) / 1000,
    totalSeconds: (t3 - t0) / 1000,
    readCpuSeconds: c1 - c0,
    trainCpuSeconds: c3 - c1,
    status: result.status,
    iterations: result.iterations,
    hessianVectorProducts: result.hessianVectorProducts,
    functionEvaluations: result.functionEvaluations,
    objective: result.objective,
    gradientNorm: result.gradientNorm,
    gradientThreshold: result.gradientThreshold,
    objectiveAtLiblinearWeights: objectiveAtLiblinear,
    peakRssBytesAtEndOfTraining: peakRssBytes,
  };
  process.stdout.write(`\n${JSON.stringify(report)}\n`);
}

/** StreamingGlmObjective: exported by the package index once it lists it, else from the compiled module. */
async function streamingObjectiveClass() {
  if (trainer.StreamingGlmObjective !== undefined) return trainer.StreamingGlmObjective;
  const url = pathToFileURL(join(repoRoot, 'packages', 'trainer', 'dist', 'objective', 'streaming-glm-objective.js')).href;
  return (await import(url)).StreamingGlmObjective;
}

/** Out-of-core side, in a child process: `node train.mjs streaming <json>`. */
async function streamingChild({ data, dimension }) {
  const StreamingGlmObjective = await streamingObjectiveClass();
  const t0 = performance.now();
  const objective = StreamingGlmObjective.open(data, logisticLoss, { priorPrecision: 1, featureDimension: dimension });
  const t1 = performance.now();
  const n = objective.dimension;
  const w = new Float64Array(n).fill(0.001);
  const g = new Float64Array(n);
  objective.valueAndGradient(w, g);
  const t2 = performance.now();
  objective.hessianVector(g, new Float64Array(n));
  const t3 = performance.now();
  const peakRssBytes = Number(/VmHWM:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))[1]) * 1024;
  const report = {
    rows: objective.rowCount,
    chunkRows: objective.chunkRows,
    firstPassSeconds: (t1 - t0) / 1000,
    valueAndGradientSeconds: (t2 - t1) / 1000,
    hessianVectorSeconds: (t3 - t2) / 1000,
    maxRowsResident: objective.stats.maxRowsResident,
    peakRssBytesInProcess: peakRssBytes,
  };
  process.stdout.write(`\n${JSON.stringify(report)}\n`);
}

async function runStreaming(data) {
  const config = { data: data.path, dimension: data.dimension };
  const r = await measure(process.execPath, [fileURLToPath(import.meta.url), 'streaming', JSON.stringify(config)]);
  const report = JSON.parse(r.stdout.trim().split('\n').at(-1));
  return { ...report, processWallSeconds: r.wallSeconds, peakRssBytes: r.peakRssBytes, rssSource: r.rssSource, loadAverageAtStart: r.loadAverageAtStart };
}

/** scikit-learn's figures from the last run that measured them (a results file holds them directly, or a skipped run's previousRun), or null. */
function previousSklearn(previous) {
  const sk = previous?.sklearn ?? null;
  if (sk === null) return null;
  if (sk.result === null) return sk.previousRun ?? null;
  return { started: previous.started, result: sk, ratioVsSklearnLbfgs: previous.speed?.ratioVsSklearnLbfgs ?? null, note: 'from the last run that measured scikit-learn; not comparable run to run' };
}

async function runOurs(data, mode, liblinearModel) {
  const config = { data: data.path, dimension: data.dimension, eps: EPS, mode, liblinearModel };
  const r = await measure(process.execPath, [fileURLToPath(import.meta.url), 'child', JSON.stringify(config)]);
  const report = JSON.parse(r.stdout.trim().split('\n').at(-1));
  return { ...report, processWallSeconds: r.wallSeconds, processCpuSeconds: r.cpuSeconds, peakRssBytes: r.peakRssBytes, rssSource: r.rssSource, loadAverageAtStart: r.loadAverageAtStart };
}

/** A Python with scikit-learn: the system one if it has it, else a venv under benchmarks/work/. */
function sklearnPython() {
  const probe = (py) => spawnSync(py, ['-c', 'import sklearn, scipy, numpy'], { stdio: 'ignore' }).status === 0;
  for (const py of ['python3', '/usr/bin/python3']) if (probe(py)) return { python: py, installed: null };
  const venv = join(here, 'work', 'venv');
  const py = join(venv, 'bin', 'python');
  if (existsSync(py) && probe(py)) return { python: py, installed: null };
  const mk = spawnSync('python3', ['-m', 'venv', venv], { encoding: 'utf8' });
  if (mk.status !== 0) return { python: null, reason: `python3 -m venv failed: ${(mk.stderr ?? mk.error?.message ?? '').slice(-500)}` };
  console.log('installing scikit-learn into benchmarks/work/venv ...');
  const pip = spawnSync(py, ['-m', 'pip', 'install', '--quiet', 'scikit-learn'], { encoding: 'utf8' });
  if (pip.status !== 0 || !probe(py)) return { python: null, reason: `pip install scikit-learn failed: ${(pip.stderr ?? '').slice(-500)}` };
  return { python: py, installed: 'benchmarks/work/venv' };
}

async function runSklearn(data) {
  const env = sklearnPython();
  if (env.python === null) return { result: null, reason: env.reason };
  try {
    const r = await measure(env.python, [join(here, 'peers', 'sklearn_lbfgs.py'), data.path, String(data.dimension), String(EPS)]);
    const report = JSON.parse(r.stdout.trim().split('\n').at(-1));
    return { result: { ...report, processWallSeconds: r.wallSeconds, processCpuSeconds: r.cpuSeconds, peakRssBytes: r.peakRssBytes, python: relative(repoRoot, env.python) || env.python, loadAverageAtStart: r.loadAverageAtStart }, reason: null };
  } catch (e) {
    return { result: null, reason: String(e.message ?? e).slice(0, 1000) };
  }
}

/** Per-call cost of the objective on the first rows of the speed data, in every threading mode. */
async function objectiveCalls(data) {
  const ds = await readDataset(data.path, data.dimension, 160_000);
  const n = ds.x.cols;
  const w = new Float64Array(n).fill(0.001);
  const v = Float64Array.from({ length: n }, (_, j) => Math.sin(j));
  const g = new Float64Array(n);
  const out = new Float64Array(n);
  const timeMs = (f, reps) => {
    f();
    const xs = [];
    for (let r = 0; r < reps; r++) {
      const t0 = performance.now();
      f();
      xs.push(performance.now() - t0);
    }
    return median(xs);
  };
  const modes = [
    { name: 'single-threaded TwiceDifferentiableGlmObjective', make: async () => new TwiceDifferentiableGlmObjective(ds, logisticLoss, { priorPrecision: 1 }) },
    { name: 'parallel, threads 0', make: () => ParallelGlmObjective.create(ds, logisticLoss, { priorPrecision: 1, threads: 0 }) },
    { name: 'parallel, 1 worker + caller', make: () => ParallelGlmObjective.create(ds, logisticLoss, { priorPrecision: 1, threads: 1, callerShare: true }) },
    { name: 'parallel, 2 workers, caller waits', make: () => ParallelGlmObjective.create(ds, logisticLoss, { priorPrecision: 1, threads: 2, callerShare: false }) },
    { name: 'parallel, default', make: () => ParallelGlmObjective.create(ds, logisticLoss, { priorPrecision: 1 }) },
  ];
  const rows = [];
  for (const m of modes) {
    const o = await m.make();
    o.valueAndGradient(w, g);
    rows.push({
      mode: m.name,
      threads: o.threads ?? 0,
      callerShare: o.callerShare ?? true,
      hessianVectorMs: timeMs(() => o.hessianVector(v, out), 15),
      valueAndGradientMs: timeMs(() => o.valueAndGradient(w, g), 7),
    });
    await o.close?.();
  }
  // The hand-off alone: two rows, so the kernels cost nothing; n = 100k (copy of v, zeroing and
  // summing the partial vectors) and n = 8 (the Atomics round trip only).
  const overhead = [];
  for (const cols of [n, 8]) {
    const tiny = createDataset({ x: new CsrMatrix(2, cols, new Int32Array([0, 1, 2]), new Int32Array([0, 1]), null), labels: new Float64Array([0, 1]) });
    const tw = new Float64Array(cols);
    const tg = new Float64Array(cols);
    for (const [threads, callerShare] of [
      [0, true],
      [1, true],
      [2, false],
    ]) {
      const o = await ParallelGlmObjective.create(tiny, logisticLoss, { priorPrecision: 1, threads, callerShare });
      o.valueAndGradient(tw, tg);
      const reps = cols > 1000 ? 2000 : 20000;
      const t0 = performance.now();
      for (let r = 0; r < reps; r++) o.hessianVector(tw, tg);
      overhead.push({ dimension: cols, threads: o.threads, callerShare, perCallMicroseconds: ((performance.now() - t0) / reps) * 1000 });
      await o.close();
    }
  }
  return { rows: ds.x.rows, nnz: ds.x.nnz, features: n, modes: rows, overhead };
}

/**
 * CPU throughput this process can get from two threads at once, in cores: the time of a fixed
 * spin loop in one worker thread, times 2, over the time of the same loop in two at once. About 2
 * on a quiet 2-core machine; about 1 while another workload keeps a core busy (Linux autogroups
 * share the CPUs between process groups, whatever the nice values).
 */
async function effectiveCores() {
  const code = `const { parentPort } = require('node:worker_threads'); const t0 = performance.now(); let s = 0; for (let i = 0; i < 2e8; i++) s += Math.sqrt(i); parentPort.postMessage([performance.now() - t0, s]);`;
  const spin = () =>
    new Promise((resolve, reject) => {
      const w = new Worker(code, { eval: true });
      w.once('message', (m) => resolve(m[0]));
      w.once('error', reject);
    });
  const one = await spin();
  const two = await Promise.all([spin(), spin()]);
  return Math.round((200 * one) / Math.max(...two)) / 100;
}

export async function run(args) {
  const options = parseArgs(args);
  if (!onPath(LIBLINEAR)) throw new Error(`${LIBLINEAR} is not on PATH (Debian: apt-get install liblinear-tools)`);
  const started = performance.now();
  const loadAverages = [];
  const note = async (stage) => loadAverages.push({ stage, loadAverage1m: os.loadavg()[0], effectiveCores: await effectiveCores(), atSeconds: round((performance.now() - started) / 1000) });

  await note('start');
  console.log(`parity: ${options.parityRows.toLocaleString('en-US')} rows ...`);
  const parityResult = await parity(options);
  await note('parity done');

  console.log(`speed: generating ${options.rows.toLocaleString('en-US')} rows (cached under benchmarks/work/train) ...`);
  const data = svmlightData(`speed-${options.rows}`, { ...SPEED_TRAFFIC, rows: options.rows });
  await note('data ready');

  const libModel = join(workDir, 'speed.model');
  const runs = { liblinear: [], liblinearParseOnly: [], oursParallel: [], oursSingle: [] };
  for (let r = 0; r < options.repeats; r++) {
    console.log(`speed: round ${r + 1}/${options.repeats}: liblinear ...`);
    runs.liblinear.push(await runLiblinear(data.path, EPS, libModel));
    await note(`liblinear ${r + 1}`);
    console.log('speed: ours, both cores ...');
    runs.oursParallel.push(await runOurs(data, 'parallel', libModel));
    await note(`ours parallel ${r + 1}`);
    console.log('speed: ours, one thread ...');
    runs.oursSingle.push(await runOurs(data, 'single', libModel));
    await note(`ours single ${r + 1}`);
    console.log('speed: liblinear parse only (-e 1e30) ...');
    runs.liblinearParseOnly.push(await runLiblinear(data.path, 1e30, join(workDir, 'speed-parse-only.model')));
    await note(`liblinear parse-only ${r + 1}`);
  }
  const pick = (xs, key) => xs.reduce((best, x) => (x[key] < best[key] ? x : best));
  const lib = pick(runs.liblinear, 'wallSeconds');
  const libParse = pick(runs.liblinearParseOnly, 'wallSeconds');
  const par = pick(runs.oursParallel, 'totalSeconds');
  const single = pick(runs.oursSingle, 'totalSeconds');
  const libTrainSeconds = lib.wallSeconds - libParse.wallSeconds;

  let sklearn = { result: null, reason: 'skipped (--no-sklearn)' };
  if (options.sklearn) {
    console.log('speed: scikit-learn ...');
    sklearn = await runSklearn(data);
    await note('sklearn');
  }
  console.log('objective calls on 160k rows ...');
  const calls = await objectiveCalls(data);
  await note('objective calls');
  console.log('out of core: StreamingGlmObjective, one first pass, one f/∇f, one Hv ...');
  const streaming = await runStreaming(data);
  await note('streaming');
  const previous = previousResults('train');

  const sk = sklearn.result;
  const figures = {
    parity: {
      ...parityResult,
      objectiveRelDiff: parityResult.runs.default.objectiveRelDiff,
      objectiveRelDiffTight: parityResult.runs.tight.objectiveRelDiff,
      logLossAbsDiff: parityResult.runs.default.logLossAbsDiff,
      logLossAbsDiffTight: parityResult.runs.tight.logLossAbsDiff,
    },
    data: { ...data, path: undefined, nnzPerRow: data.meanActiveFeatures },
    speed: {
      what: {
        liblinear: 'wall time of liblinear-train -s 0 -c 1 -e 0.01 -B -1: process start, parsing the svmlight text, training, writing the model',
        liblinearTrainingOnly: 'liblinear wall time minus the wall time of the same command with -e 1e30 (parse, one f/∇f, model write): an estimate, liblinear reports no timing',
        ours: 'readTrainingSet on the same svmlight file + building the objective (parallel: shared-memory copy, worker start) + TRON with liblinear stopping rule; node start-up excluded',
        oursTrainingOnly: 'building the objective + TRON',
        sklearn: 'LogisticRegression(solver=lbfgs, C=1, fit_intercept=False, tol = liblinear threshold / n on the ∞-norm).fit; loading (load_svmlight_file) reported separately',
        bestOf: 'each figure is the fastest of the --repeats rounds (all rounds are under runs); the speed-up of "both cores" needs the second core free: see loadAverages[].effectiveCores',
      },
      liblinearSeconds: lib.wallSeconds,
      liblinearParseOnlySeconds: libParse.wallSeconds,
      liblinearTrainingSecondsEstimate: libTrainSeconds,
      oursBothCoresSeconds: par.totalSeconds,
      oursSingleThreadSeconds: single.totalSeconds,
      oursBothCoresTrainingSeconds: par.setupSeconds + par.trainSeconds,
      oursSingleThreadTrainingSeconds: single.setupSeconds + single.trainSeconds,
      oursReadSeconds: { bothCores: par.readSeconds, singleThread: single.readSeconds },
      cpuSeconds: {
        what: 'user + system CPU seconds (all threads); less sensitive than wall time to other load on the machine',
        liblinear: lib.cpuSeconds,
        liblinearParseOnly: libParse.cpuSeconds,
        oursBothCoresRead: par.readCpuSeconds,
        oursBothCoresTraining: par.trainCpuSeconds,
        oursSingleThreadRead: single.readCpuSeconds,
        oursSingleThreadTraining: single.trainCpuSeconds,
        sklearnProcess: sk?.processCpuSeconds ?? null,
      },
      sklearnFitSeconds: sk?.fitSeconds ?? null,
      sklearnLoadSeconds: sk?.loadSeconds ?? null,
      ratioVsLiblinear: par.totalSeconds / lib.wallSeconds,
      ratioVsLiblinearSingleThread: single.totalSeconds / lib.wallSeconds,
      trainingOnlyRatioVsLiblinear: (par.setupSeconds + par.trainSeconds) / libTrainSeconds,
      trainingOnlyRatioVsLiblinearSingleThread: (single.setupSeconds + single.trainSeconds) / libTrainSeconds,
      ratioVsSklearnLbfgs: sk === null ? null : (par.setupSeconds + par.trainSeconds) / sk.fitSeconds,
      ratioVsSklearnLbfgsIncludingLoading: sk === null ? null : par.totalSeconds / (sk.loadSeconds + sk.fitSeconds),
      ratioVsSklearnLbfgsNote: 'ratioVsSklearnLbfgs compares training alone (ours both cores: objective build + TRON; scikit-learn: fit); ...IncludingLoading adds reading on both sides',
    },
    memory: {
      liblinearPeakRssBytes: lib.peakRssBytes,
      oursBothCoresPeakRssBytes: par.peakRssBytes,
      oursSingleThreadPeakRssBytes: single.peakRssBytes,
      sklearnPeakRssBytes: sk?.peakRssBytes ?? null,
      rssRatioVsLiblinear: par.peakRssBytes / lib.peakRssBytes,
      rssRatioVsLiblinearSingleThread: single.peakRssBytes / lib.peakRssBytes,
      rssSource: lib.rssSource,
    },
    iterations: {
      liblinear: { newton: lib.iterations, cg: lib.cgIterations, lastPrintedObjective: lib.lastPrintedObjective },
      oursBothCores: { newton: par.iterations, hessianVectorProducts: par.hessianVectorProducts, status: par.status },
      oursSingleThread: { newton: single.iterations, hessianVectorProducts: single.hessianVectorProducts, status: single.status },
      sklearn: sk === null ? null : { lbfgs: sk.iterations },
    },
    objectives: {
      oursBothCores: par.objective,
      oursSingleThread: single.objective,
      liblinear: par.objectiveAtLiblinearWeights,
      sklearn: sk?.objective ?? null,
      oursVsLiblinearRelDiff: Math.abs(par.objective - par.objectiveAtLiblinearWeights) / par.objectiveAtLiblinearWeights,
      sklearnVsLiblinearRelDiff: sk === null ? null : Math.abs(sk.objective - par.objectiveAtLiblinearWeights) / par.objectiveAtLiblinearWeights,
      note: 'all evaluated in double precision on the same objective ½‖w‖² + Σ logloss; scikit-learn stops on the ∞-norm of the gradient (L-BFGS-B pgtol), a looser rule than the 2-norm at the same threshold, so its fit may end at a higher objective',
    },
    sklearn:
      sk === null
        ? {
            result: null,
            reason: sklearn.reason,
            previousRun: previousSklearn(previous),
          }
        : sk,
    streaming: {
      what: 'StreamingGlmObjective over the same svmlight file (out of core: each call parses the file in chunks of rows and evaluates them); logistic, precision 1; one process',
      ...streaming,
      rssRatioVsLiblinear: streaming.peakRssBytes / lib.peakRssBytes,
    },
    runs,
    objectiveCalls: calls,
    loadAverages,
    totalSeconds: (performance.now() - started) / 1000,
  };
  if (options.quality) {
    // The offline AUC ladder on generated traffic with a known true model (benchmarks/lib/train-quality.mjs):
    // on the compact traffic, where the training clicks suffice to learn the truth's parameters, and
    // on the high-dimensional one, where they do not (about 0.25 training clicks per true parameter).
    const rows = options.qualityRows;
    console.log(`quality: ${rows.toLocaleString('en-US')} rows of compact generated traffic, tuning and the model variants ...`);
    figures.quality = { traffic: 'compact', ...(await runQuality(console.log, { ...COMPACT_TRAFFIC, rows })) };
    await note('quality done');
    console.log('quality: 1M rows of high-dimensional generated traffic ...');
    figures.qualityHighDimensional = { traffic: 'quality', ...(await runQuality(console.log, QUALITY_TRAFFIC)) };
    await note('high-dimensional quality done');
  } else {
    // Keep the last measured quality figures rather than overwrite them with nothing.
    const carry = (kept) => (kept === null || kept === undefined ? null : { ...kept, carriedOver: kept.carriedOver ?? { from: previous.started, note: 'not re-run (--no-quality): the figures of the last run that measured quality' } });
    figures.quality = carry(previous?.quality);
    figures.qualityHighDimensional = carry(previous?.qualityHighDimensional);
  }
  printTable(figures);
  return figures;
}

function printTable(f) {
  const s = f.speed;
  const m = f.memory;
  const mb = (b) => (b === null || b === undefined ? 'n/a' : `${Math.round(b / 2 ** 20)} MiB`);
  const sec = (x) => (x === null || x === undefined ? 'n/a' : `${x.toFixed(2)} s`);
  const p = f.parity;
  console.log(`\nparity (${p.rows.toLocaleString('en-US')} rows × ${p.features.toLocaleString('en-US')} features, held-out ${p.heldOutRows.toLocaleString('en-US')}):`);
  console.table(
    Object.entries(p.runs).map(([name, r]) => ({
      run: `${name} (-e ${r.eps})`,
      'f ours': r.objectiveOurs.toPrecision(10),
      'f liblinear': r.objectiveLiblinear.toPrecision(10),
      'rel diff': r.objectiveRelDiff.toExponential(2),
      'held-out logloss ours': r.heldOutLogLossOurs.toFixed(6),
      'liblinear': r.heldOutLogLossLiblinear.toFixed(6),
      '|diff|': r.logLossAbsDiff.toExponential(2),
      'iters ours/lib': `${r.oursIterations}/${r.liblinearIterations}`,
    })),
  );
  console.log(`speed and memory (${f.data.rows.toLocaleString('en-US')} rows × ${f.data.dimension.toLocaleString('en-US')} features, ${f.data.nnzPerRow.toFixed(1)} nnz/row):`);
  console.table([
    { who: 'liblinear -s 0 (1 thread)', 'read+train': sec(s.liblinearSeconds), read: `~${sec(s.liblinearParseOnlySeconds)}`, train: `~${sec(s.liblinearTrainingSecondsEstimate)}`, 'peak RSS': mb(m.liblinearPeakRssBytes), iterations: `${f.iterations.liblinear.newton} (CG ${f.iterations.liblinear.cg})`, ratio: '1.00' },
    { who: `ours, both cores (${f.runs.oursParallel[0]?.threads} worker${f.runs.oursParallel[0]?.threads === 1 ? '' : 's'}${f.runs.oursParallel[0]?.callerShare ? ' + caller' : ''})`, 'read+train': sec(s.oursBothCoresSeconds), read: sec(s.oursReadSeconds.bothCores), train: sec(s.oursBothCoresTrainingSeconds), 'peak RSS': mb(m.oursBothCoresPeakRssBytes), iterations: `${f.iterations.oursBothCores.newton} (Hv ${f.iterations.oursBothCores.hessianVectorProducts})`, ratio: s.ratioVsLiblinear.toFixed(2) },
    { who: 'ours, one thread', 'read+train': sec(s.oursSingleThreadSeconds), read: sec(s.oursReadSeconds.singleThread), train: sec(s.oursSingleThreadTrainingSeconds), 'peak RSS': mb(m.oursSingleThreadPeakRssBytes), iterations: `${f.iterations.oursSingleThread.newton} (Hv ${f.iterations.oursSingleThread.hessianVectorProducts})`, ratio: s.ratioVsLiblinearSingleThread.toFixed(2) },
    {
      who: 'scikit-learn lbfgs',
      'read+train': f.sklearn.result === null ? 'n/a' : sec(s.sklearnLoadSeconds + s.sklearnFitSeconds),
      read: sec(s.sklearnLoadSeconds),
      train: sec(s.sklearnFitSeconds),
      'peak RSS': mb(m.sklearnPeakRssBytes),
      iterations: f.iterations.sklearn?.lbfgs ?? 'n/a',
      ratio: f.sklearn.result === null ? `n/a: ${f.sklearn.reason}` : ((s.sklearnLoadSeconds + s.sklearnFitSeconds) / s.liblinearSeconds).toFixed(2),
    },
  ]);
  console.log(
    `ratios: ours both cores / liblinear ${s.ratioVsLiblinear.toFixed(2)} (training only ${s.trainingOnlyRatioVsLiblinear.toFixed(2)}); one thread ${s.ratioVsLiblinearSingleThread.toFixed(2)} (training only ${s.trainingOnlyRatioVsLiblinearSingleThread.toFixed(2)}); ` +
      `vs scikit-learn fit ${s.ratioVsSklearnLbfgs === null ? 'n/a' : s.ratioVsSklearnLbfgs.toFixed(2)}; peak RSS / liblinear ${m.rssRatioVsLiblinear.toFixed(2)}`,
  );
  console.log(`objective calls on ${f.objectiveCalls.nnz.toLocaleString('en-US')} non-zeros (median ms per call):`);
  console.table(f.objectiveCalls.modes.map((r) => ({ mode: r.mode, threads: r.threads, 'Hv ms': r.hessianVectorMs.toFixed(2), 'f,∇f ms': r.valueAndGradientMs.toFixed(2) })));
  console.table(f.objectiveCalls.overhead.map((r) => ({ dimension: r.dimension, threads: r.threads, callerShare: r.callerShare, 'µs per Hv call': r.perCallMicroseconds.toFixed(1) })));
  const st = f.streaming;
  console.log(
    `out of core (StreamingGlmObjective, ${st.chunkRows.toLocaleString('en-US')} rows per chunk): first pass ${sec(st.firstPassSeconds)}, f,∇f ${sec(st.valueAndGradientSeconds)}, Hv ${sec(st.hessianVectorSeconds)}; peak RSS ${mb(st.peakRssBytes)} (${st.rssRatioVsLiblinear.toFixed(2)} × liblinear's)`,
  );
  console.log(`total ${f.totalSeconds.toFixed(0)} s; 1-minute load average during the run: ${f.loadAverages.map((l) => l.loadAverage1m.toFixed(1)).join(', ')}`);
  console.log(`cores this benchmark could use at once (2 = both free; about 1 while another workload keeps a core busy): ${f.loadAverages.map((l) => l.effectiveCores).join(', ')}`);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  if (process.argv[2] === 'child') await child(JSON.parse(process.argv[3]));
  else if (process.argv[2] === 'streaming') await streamingChild(JSON.parse(process.argv[3]));
  else {
    console.error('run it as `npm run bench -- train` (this file runs directly only as its own child process)');
    process.exitCode = 2;
  }
}
