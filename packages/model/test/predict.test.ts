import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { SeededRng, sparseVector, toDense } from '@laserkit/core';
import { ModelPredictor } from '../src/predict.js';
import { randomModel } from './fixtures.js';
import { randomEffectPartIds, validateModel, type GlmixModel } from '../src/model.js';

/** The score from dense algebra: every cross as a full dense matrix, every block expanded. */
function denseScore(m: GlmixModel, x: Float64Array, c: Float64Array, z: Float64Array, campaign?: string): number {
  const byNs = { user: x, ad: c, context: z };
  let s = m.intercept;
  for (const e of m.main) byNs[e.namespace].forEach((v, i) => (s += v * e.weights[i]!));
  for (const cr of m.crosses) {
    const [l, r] = cr.id === 'userAd' ? (['user', 'ad'] as const) : cr.id === 'userContext' ? (['user', 'context'] as const) : (['context', 'ad'] as const);
    const L = byNs[l];
    const R = byNs[r];
    const A = Array.from({ length: L.length }, () => new Float64Array(R.length));
    if (cr.kind === 'full') cr.weights.forEach((w, p) => (A[cr.leftIndex[p]!]![cr.rightIndex[p]!] = w));
    else for (let i = 0; i < L.length; i++) for (let j = 0; j < R.length; j++) for (let k = 0; k < cr.rank; k++) A[i]![j]! += cr.leftFactors[i * cr.rank + k]! * cr.rightFactors[j * cr.rank + k]!;
    for (let i = 0; i < L.length; i++) for (let j = 0; j < R.length; j++) s += L[i]! * A[i]![j]! * R[j]!;
  }
  for (const b of m.randomEffects) {
    const row = campaign === undefined ? -1 : b.entityIds.indexOf(campaign);
    if (row < 0) continue;
    const local: number[] = b.bias ? [1] : [];
    for (const sel of b.features) for (const ix of sel.indices) local.push(byNs[sel.namespace][ix]!);
    local.forEach((v, k) => (s += v * b.coefficients[row * local.length + k]!));
  }
  return s;
}

const sparseArb = (dim: number) =>
  fc.array(fc.tuple(fc.integer({ min: 0, max: dim - 1 }), fc.double({ min: -2, max: 2, noNaN: true })), { maxLength: dim }).map((pairs) =>
    sparseVector(dim, pairs.map((p) => p[0]), pairs.map((p) => p[1])),
  );

describe('direct prediction', () => {
  it('equals dense algebra for random models and examples, term by term summed', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e6 }), sparseArb(12), sparseArb(7), sparseArb(5), fc.constantFrom(undefined, 'c0', 'c2', 'unknown'), (seed, x, c, z, campaign) => {
        const model = randomModel(seed);
        const p = new ModelPredictor(model).predict({ user: x, ad: c, context: z, ...(campaign === undefined ? {} : { entities: { campaign } }) });
        const expected = denseScore(model, toDense(x), toDense(c), toDense(z), campaign);
        expect(p.score).toBeCloseTo(expected, 10);
        expect(p.response).toBeCloseTo(1 / (1 + Math.exp(-expected)), 12);
        expect([...p.terms.keys()]).toEqual(['intercept', 'main:user', 'main:ad', 'main:context', 'cross:userAd', 'cross:userContext', 'cross:contextAd', 're:perCampaign']);
      }),
      { numRuns: 200 },
    );
  });

  it('an unknown or missing entity contributes the prior mean 0', () => {
    const model = randomModel(1);
    const predictor = new ModelPredictor(model);
    expect(predictor.predict({ entities: { campaign: 'nope' } }).terms.get('re:perCampaign')).toBe(0);
    expect(predictor.predict({}).terms.get('re:perCampaign')).toBe(0);
    expect(predictor.predict({ entities: { campaign: 'c1' } }).terms.get('re:perCampaign')).toBe(model.randomEffects[0]!.coefficients[10]); // row 1 × width 10: its bias
  });

  it('rejects a vector of the wrong dimension', () => {
    expect(() => new ModelPredictor(randomModel(1)).predict({ user: sparseVector(3, [1]) })).toThrow("example.user.dimension (3) must equal the model's dimensions.user (12)");
  });
});

describe('random-effect parts', () => {
  it('split each random-effect term into bias, user, context (and ad) parts that sum to it', () => {
    const model = randomModel(5);
    const predictor = new ModelPredictor(model);
    const rng = new SeededRng(6);
    for (let t = 0; t < 20; t++) {
      const vec = (n: number) => sparseVector(n, [...new Set(Array.from({ length: 4 }, () => rng.nextInt(n)))].sort((a, b) => a - b), undefined);
      const p = predictor.predict({ user: vec(model.dimensions.user), context: vec(model.dimensions.context), ad: vec(model.dimensions.ad), entities: { campaign: `c${rng.nextInt(4)}` } }, { parts: true });
      for (const b of model.randomEffects) {
        const ids = randomEffectPartIds(b);
        expect(ids.length).toBeGreaterThan(1);
        const sum = ids.reduce((s, id) => s + (p.parts?.get(id) as number), 0);
        expect(sum).toBeCloseTo(p.terms.get(`re:${b.id}`) as number, 12);
      }
    }
  });

  it('a model may carry means of parts; an unknown part is rejected', () => {
    const model = randomModel(5);
    expect(() => validateModel({ ...model, termMeans: [{ term: 're:perCampaign:user', mean: 0.1 }] })).not.toThrow();
    expect(() => validateModel({ ...model, termMeans: [{ term: 're:perCampaign:ad', mean: 0.1 }] })).toThrow(/termMeans\[0\]\.term \("re:perCampaign:ad"\) must name a term of this model or a random-effect part/);
  });
});
