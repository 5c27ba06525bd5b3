// Self-check of the ONNX Runtime linear-scoring peer: installs onnxruntime-node on demand, checks
// its scores against a float64 JS reference, and times run() for B = 1000 rows of K = 150 slots.
// Usage: node benchmarks/lib/onnx-linear.check.mjs
import { SeededRng } from '@laserkit/core';
import { loadOnnxLinear } from './onnx-linear.mjs';

const F = 200_000;
const B = 1000;
const K = 150;
const TIMED_RUNS = 200;
const WARMUP_RUNS = 20;

const rng = new SeededRng(20_240_601);
const weights = new Float32Array(F);
for (let j = 0; j < F; j++) weights[j] = 0.1 * rng.nextNormal();
const bias = -3.2;

// Every 10th row has fewer than K active features and is padded with index 0, value 0.
const idx = new BigInt64Array(B * K);
const val = new Float32Array(B * K);
for (let b = 0; b < B; b++) {
  const active = b % 10 === 0 ? 1 + rng.nextInt(K) : K;
  for (let k = 0; k < active; k++) {
    idx[b * K + k] = BigInt(rng.nextInt(F));
    val[b * K + k] = rng.nextFloat() < 0.7 ? 1 : rng.nextFloat() * 2;
  }
}

// Reference in float64 over the same float32 inputs; `scale` is Σ|w·v| + |bias| per row.
const reference = new Float64Array(B);
const scale = new Float64Array(B);
for (let b = 0; b < B; b++) {
  let s = bias;
  let m = Math.abs(bias);
  for (let k = 0; k < K; k++) {
    const term = weights[Number(idx[b * K + k])] * val[b * K + k];
    s += term;
    m += Math.abs(term);
  }
  reference[b] = s;
  scale[b] = m;
}

const quantile = (xs, q) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))];
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
};

const t0 = performance.now();
const peer = await loadOnnxLinear({ weights, bias, K, log: (line) => console.log(line) });
const loadMs = performance.now() - t0;
if (!peer.available) {
  console.log(`onnxruntime-node peer unavailable: ${peer.reason}`);
  process.exit(1);
}
console.log(`onnxruntime-node ${peer.version}: ${peer.installMs === undefined ? 'already installed' : `installed in ${(peer.installMs / 1000).toFixed(1)} s`}; install + load + session ${(loadMs / 1000).toFixed(2)} s`);

try {
  const { scores, probabilities } = await peer.runWithProbability(idx, val, B);
  const again = await peer.run(idx, val, B);
  if (scores.length !== B || again.length !== B) throw new Error(`expected ${B} scores, got ${scores.length} and ${again.length}`);
  // Float32 arithmetic: 1e-3 relative, plus a floor of 1e-5·Σ|w·v| (≈ K float32 roundings of the
  // row's magnitude) for rows whose terms cancel to near zero.
  let worstRelative = 0;
  let failures = 0;
  for (let b = 0; b < B; b++) {
    const err = Math.abs(scores[b] - reference[b]);
    worstRelative = Math.max(worstRelative, err / Math.max(Math.abs(reference[b]), 1e-12));
    if (!(err <= 1e-3 * Math.abs(reference[b]) + 1e-5 * scale[b])) failures++;
    if (again[b] !== scores[b]) failures++;
    const p = 1 / (1 + Math.exp(-reference[b]));
    if (!(Math.abs(probabilities[b] - p) <= 1e-3 * p + 1e-6)) failures++;
  }
  if (failures > 0) throw new Error(`${failures} mismatches against the float64 reference (worst relative error ${worstRelative.toExponential(2)})`);
  console.log(`scores match the float64 reference on ${B} rows (worst relative error ${worstRelative.toExponential(2)}); sigmoid output p matches`);

  for (let i = 0; i < WARMUP_RUNS; i++) await peer.run(idx, val, B);
  const times = [];
  for (let i = 0; i < TIMED_RUNS; i++) {
    const t = performance.now();
    await peer.run(idx, val, B);
    times.push(performance.now() - t);
  }
  const timesP = [];
  for (let i = 0; i < TIMED_RUNS / 4; i++) {
    const t = performance.now();
    await peer.runWithProbability(idx, val, B);
    timesP.push(performance.now() - t);
  }
  // The same dot products in plain JS on one core, for scale (not the repository's scorer).
  const idx32 = Int32Array.from(idx, Number);
  const out = new Float32Array(B);
  const timesJs = [];
  for (let i = 0; i < TIMED_RUNS; i++) {
    const t = performance.now();
    for (let b = 0; b < B; b++) {
      let s = bias;
      for (let k = b * K, end = k + K; k < end; k++) s += weights[idx32[k]] * val[k];
      out[b] = s;
    }
    timesJs.push(performance.now() - t);
  }
  const m = median(times);
  console.log(`run(): median ${m.toFixed(3)} ms per batch of B=${B}, K=${K} over ${TIMED_RUNS} runs (${((m * 1000) / B).toFixed(3)} µs/row); p10 ${quantile(times, 0.1).toFixed(3)} ms, p90 ${quantile(times, 0.9).toFixed(3)} ms`);
  console.log(`runWithProbability(): median ${median(timesP).toFixed(3)} ms over ${timesP.length} runs`);
  console.log(`plain JS loop (float64 accumulate, Int32Array indices): median ${median(timesJs).toFixed(3)} ms (checksum ${out[0].toFixed(4)})`);
} finally {
  await peer.close();
}
