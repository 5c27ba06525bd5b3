import { describe, expect, it } from 'vitest';
import { SeededRng } from '@laserkit/core';
import { evaluateOffPolicy, replayEstimate, type LoggedFeedback, type OffPolicyEstimator } from '../src/off-policy.js';

// A context-free synthetic bandit with known value: K actions with click rates q, a non-uniform
// logging policy and a different target policy. V(π_e) = Σ_a π_e(a) q_a.
const q = [0.02, 0.05, 0.1, 0.03, 0.08];
const logging = [0.4, 0.3, 0.1, 0.1, 0.1];
const target = [0.05, 0.1, 0.6, 0.05, 0.2];
const truth = q.reduce((s, x, a) => s + x * (target[a] as number), 0);

function draw(rng: SeededRng, probs: readonly number[]): number {
  let u = rng.nextFloat();
  for (let a = 0; a < probs.length; a++) {
    u -= probs[a] as number;
    if (u < 0) return a;
  }
  return probs.length - 1;
}

function syntheticLog(seed: number, n: number, modelBias: number): LoggedFeedback & { action: Int32Array } {
  const rng = new SeededRng(seed);
  const reward = new Float64Array(n);
  const loggingPropensity = new Float64Array(n);
  const targetProbability = new Float64Array(n);
  const predictedReward = new Float64Array(n);
  const predictedTargetValue = new Float64Array(n);
  const action = new Int32Array(n);
  const model = q.map((x, a) => x * (1 + modelBias * (a % 2 === 0 ? 1 : -1)));
  const modelValue = model.reduce((s, x, a) => s + x * (target[a] as number), 0);
  for (let i = 0; i < n; i++) {
    const a = draw(rng, logging);
    action[i] = a;
    reward[i] = rng.nextFloat() < (q[a] as number) ? 1 : 0;
    loggingPropensity[i] = logging[a] as number;
    targetProbability[i] = target[a] as number;
    predictedReward[i] = model[a] as number;
    predictedTargetValue[i] = modelValue;
  }
  return { count: n, reward, loggingPropensity, targetProbability, predictedReward, predictedTargetValue, action };
}

function meanOverSeeds(modelBias: number, seeds: number, n: number): Record<OffPolicyEstimator, { mean: number; se: number; coverage: number }> {
  const sums: Record<string, number[]> = { ips: [], snips: [], dm: [], dr: [] };
  const covered: Record<string, number> = { ips: 0, snips: 0, dm: 0, dr: 0 };
  for (let s = 0; s < seeds; s++) {
    const est = evaluateOffPolicy(syntheticLog(1000 + s, n, modelBias), { rng: new SeededRng(s), bootstrapSamples: 200 });
    for (const [k, v] of Object.entries(est)) {
      sums[k]!.push(v.estimate);
      if (v.ciLow <= truth && truth <= v.ciHigh) covered[k]!++;
    }
  }
  const out = {} as Record<OffPolicyEstimator, { mean: number; se: number; coverage: number }>;
  for (const [k, xs] of Object.entries(sums)) {
    const m = xs.reduce((a, b) => a + b, 0) / xs.length;
    const v = xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1);
    out[k as OffPolicyEstimator] = { mean: m, se: Math.sqrt(v / xs.length), coverage: (covered[k] as number) / seeds };
  }
  return out;
}

describe('off-policy estimators on synthetic logs with a known value', () => {
  it('IPS and DR are unbiased (DR even with a wrong reward model); DM inherits the model’s bias', () => {
    const r = meanOverSeeds(0.5, 150, 2000);
    expect(Math.abs(r.ips.mean - truth)).toBeLessThan(3.5 * r.ips.se);
    expect(Math.abs(r.dr.mean - truth)).toBeLessThan(3.5 * r.dr.se);
    expect(Math.abs(r.snips.mean - truth)).toBeLessThan(3.5 * r.snips.se + 1e-4);
    // The biased model's value is off by a known amount, and DM reports it.
    const modelValue = q.reduce((s, x, a) => s + x * (1 + 0.5 * (a % 2 === 0 ? 1 : -1)) * (target[a] as number), 0);
    expect(Math.abs(r.dm.mean - modelValue)).toBeLessThan(1e-12);
    expect(Math.abs(r.dm.mean - truth)).toBeGreaterThan(0.01);
    // 95 % bootstrap intervals cover the truth about 95 % of the time.
    for (const k of ['ips', 'snips', 'dr'] as const) expect(r[k].coverage).toBeGreaterThan(0.88);
  });

  it('clipping weights trades bias for variance: clipped IPS underestimates here', () => {
    let clipped = 0;
    const seeds = 60;
    for (let s = 0; s < seeds; s++) clipped += evaluateOffPolicy(syntheticLog(s, 2000, 0), { rng: new SeededRng(s), bootstrapSamples: 0, maxWeight: 1, estimators: ['ips'] }).ips!.estimate / seeds;
    // With w ≤ 1 the estimate is Σ_a π_b(a) min(π_e/π_b, 1) q_a.
    const expected = q.reduce((acc, x, a) => acc + (logging[a] as number) * Math.min(1, (target[a] as number) / (logging[a] as number)) * x, 0);
    expect(Math.abs(clipped - expected)).toBeLessThan(0.003);
    expect(clipped).toBeLessThan(truth - 0.01);
  });

  it('replay is unbiased on uniformly random logs', () => {
    const K = q.length;
    let sum = 0;
    const seeds = 100;
    const values: number[] = [];
    for (let s = 0; s < seeds; s++) {
      const rng = new SeededRng(500 + s);
      const n = 3000;
      const reward = new Float64Array(n);
      const loggedAction = new Int32Array(n);
      const targetAction = new Int32Array(n);
      for (let i = 0; i < n; i++) {
        const a = rng.nextInt(K);
        loggedAction[i] = a;
        reward[i] = rng.nextFloat() < (q[a] as number) ? 1 : 0;
        targetAction[i] = draw(rng, target);
      }
      const r = replayEstimate({ count: n, reward, loggedAction, targetAction }, { rng: new SeededRng(s), bootstrapSamples: 0 });
      expect(r.matched).toBeGreaterThan(450);
      values.push(r.estimate);
      sum += r.estimate;
    }
    const mean = sum / seeds;
    const se = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / (seeds - 1) / seeds);
    expect(Math.abs(mean - truth)).toBeLessThan(3.5 * se);
  });

  it('rejects logs without a reward model for DM/DR, and zero propensities', () => {
    const log = syntheticLog(1, 10, 0);
    const { predictedReward: _drop, ...noModel } = log;
    expect(() => evaluateOffPolicy(noModel, { rng: new SeededRng(1) })).toThrow(/log.predictedReward/);
    expect(() => evaluateOffPolicy({ ...log, loggingPropensity: new Float64Array(10) }, { rng: new SeededRng(1) })).toThrow(/loggingPropensity\[0\]/);
  });
});
