import { describe, expect, it } from 'vitest';
import { SeededRng } from '@laserkit/core';
import { WARMNESS_BUCKETS } from '@laserkit/datasets';
import { WarmStartPosterior, runSimulation, type PolicyRun, type WarmStartLayout } from '../src/simulate-command.js';

const SMALL = { impressions: 3000, refitEveryImpressions: 1000, candidatesPerRequest: 5, traffic: { campaigns: 40, users: 500 } } as const;

/** Everything a run reports except wall times. */
function comparable(r: PolicyRun): unknown {
  return { ...r, refitSeconds: undefined };
}

describe('runSimulation', () => {
  it('is a function of the seed: same seed, identical runs; another seed, different clicks', () => {
    const a = runSimulation({ ...SMALL, seeds: [3] });
    const b = runSimulation({ ...SMALL, seeds: [3] });
    const c = runSimulation({ ...SMALL, seeds: [4] });
    expect(a.runs.map(comparable)).toEqual(b.runs.map(comparable));
    expect(a.runs.map((r) => r.regret)).not.toEqual(c.runs.map((r) => r.regret));
  });

  it('regret is non-negative overall and by segment; the oracle policy has none and clicks at the oracle rate', () => {
    const res = runSimulation({ ...SMALL, seeds: [5], policies: ['oracle', 'thompson', 'exploit', 'epsilon-greedy', 'ucb'] });
    for (const r of res.runs) {
      expect(r.regret).toBeGreaterThanOrEqual(0);
      let impressions = 0;
      for (const b of WARMNESS_BUCKETS) {
        expect(r.bySegment[b].regret).toBeGreaterThanOrEqual(-1e-12);
        impressions += r.bySegment[b].impressions;
      }
      expect(impressions).toBe(SMALL.impressions);
      expect(r.curve.at(-1)).toBeCloseTo(r.regret, 9);
    }
    const oracle = res.runs.find((r) => r.policy === 'oracle');
    expect(oracle?.regret).toBe(0);
    expect(oracle?.ctr).toBe(oracle?.oracleCtr);
    // Exploring or not, a learning policy on 3,000 impressions loses something against the oracle.
    for (const r of res.runs) if (r.policy !== 'oracle') expect(r.regret).toBeGreaterThan(0);
  });
});

describe('WarmStartPosterior', () => {
  // One campaign, 3 warm user features, context fields of 3 and 2 values.
  const users = 60;
  const rng = new SeededRng(11);
  const offsets = new Int32Array(users + 1);
  const indices: number[] = [];
  for (let u = 0; u < users; u++) {
    for (let f = 0; f < 3; f++) if (rng.nextFloat() < 0.4) indices.push(f);
    offsets[u + 1] = indices.length;
  }
  const layout: WarmStartLayout = { campaigns: 2, warmUserFeatures: 3, contextDimension: 5, contextFieldOffsets: Int32Array.of(0, 3), userWarmOffsets: offsets, userWarmIndices: Int32Array.from(indices) };
  const prior = { bias: 1, warmUser: 0.25, context: 0.25 };
  const P = 1 + 3 + 5;
  // Campaign 1's true coefficients [δ, η0..2, ξ0..4]; campaign 0 gets no data.
  const truth = [-0.6, 0.5, -0.4, 0.3, 0.2, -0.3, 0.1, 0.25, -0.25];
  const score = (coef: ArrayLike<number>, base: number, u: number, z: Int32Array): number => {
    let s = coef[base] as number;
    for (let q = offsets[u] as number; q < (offsets[u + 1] as number); q++) s += coef[base + 1 + (indices[q] as number)] as number;
    return s + (coef[base + 4 + (z[0] as number)] as number) + (coef[base + 4 + (z[1] as number)] as number);
  };
  const rows: { u: number; z: Int32Array; offset: number; y: number }[] = [];
  const data = new SeededRng(12);
  for (let r = 0; r < 30_000; r++) {
    const u = data.nextInt(users);
    const z = Int32Array.of(data.nextInt(3), 3 + data.nextInt(2));
    const offset = -1 + 0.5 * data.nextNormal();
    const p = 1 / (1 + Math.exp(-(offset + score(truth, 0, u, z))));
    rows.push({ u, z, offset, y: data.nextFloat() < p ? 1 : 0 });
  }

  function fit(sweeps: number, chunks = 1): { model: WarmStartPosterior; converged: boolean } {
    const model = new WarmStartPosterior(layout, prior);
    let converged = false;
    const per = Math.ceil(rows.length / chunks);
    for (let c = 0; c < chunks; c++) {
      for (const r of rows.slice(c * per, (c + 1) * per)) model.add(1, r.u, r.z, r.offset, r.y);
      converged = model.refit(sweeps, 1e-9).unconverged === 0;
    }
    return { model, converged };
  }

  it('finds the posterior mode: the gradient of the log-posterior vanishes and the variances are 1/diag(H)', () => {
    const { model, converged } = fit(500);
    expect(converged).toBe(true);
    const g = new Float64Array(P);
    const h = new Float64Array(P);
    for (let t = 0; t < P; t++) {
      const v0 = t === 0 ? prior.bias : t < 4 ? prior.warmUser : prior.context;
      g[t] = (model.mode[P + t] as number) / v0;
      h[t] = 1 / v0;
    }
    for (const r of rows) {
      const p = 1 / (1 + Math.exp(-(r.offset + score(model.mode, P, r.u, r.z))));
      const active = [0, ...Array.from(indices.slice(offsets[r.u], offsets[r.u + 1]), (f) => 1 + f), 4 + (r.z[0] as number), 4 + (r.z[1] as number)];
      for (const t of active) {
        g[t] = (g[t] as number) + p - r.y;
        h[t] = (h[t] as number) + p * (1 - p);
      }
    }
    for (let t = 0; t < P; t++) {
      expect(Math.abs(g[t] as number)).toBeLessThan(1e-4);
      expect(model.variance[P + t]).toBeCloseTo(1 / (h[t] as number), 10);
    }
    // Campaign 0 saw nothing: prior mode and prior variances.
    for (let t = 0; t < P; t++) expect(model.mode[t]).toBe(0);
    expect(Array.from(model.variance.subarray(0, 4))).toEqual([1, 0.25, 0.25, 0.25]);
  });

  it('recovers a known campaign effect: fitted warm-start scores close to the true ones over every user and context', () => {
    const { model } = fit(500);
    let worst = 0;
    let total = 0;
    let count = 0;
    for (let u = 0; u < users; u++) {
      for (let a = 0; a < 3; a++) {
        for (let b = 3; b < 5; b++) {
          const z = Int32Array.of(a, b);
          const err = Math.abs(score(model.mode, P, u, z) - score(truth, 0, u, z));
          worst = Math.max(worst, err);
          total += err;
          count++;
        }
      }
    }
    // 30,000 rows at click rates around 0.3: the statistical error of a score is a few hundredths.
    expect(total / count).toBeLessThan(0.05);
    expect(worst).toBeLessThan(0.15);
  });

  it('warm-started refits after each chunk of data reach the same mode as one fit on all of it', () => {
    const once = fit(500).model;
    const chunked = fit(3, 6).model;
    const more = fit(500, 6).model;
    for (let t = 0; t < P; t++) expect(more.mode[P + t]).toBeCloseTo(once.mode[P + t] as number, 6);
    // Three sweeps per refit, warm-started, stay close to the mode.
    for (let t = 0; t < P; t++) expect(Math.abs((chunked.mode[P + t] as number) - (once.mode[P + t] as number))).toBeLessThan(0.05);
  });
});
