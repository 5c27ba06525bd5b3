import { LaserError, ManualClock, SeededRng, emptySparseVector, type SparseVector } from '@laserkit/core';
import { ModelPredictor, randomEffectWidth, type GlmixModel, type TermId } from '@laserkit/model';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InProcessTier, TieredCache } from '@laserkit/cache';
import { ExploitOnlyPolicy, ThompsonSamplingPolicy, TrafficRamp } from '@laserkit/explore';
import { Scorer, type AdInput, type PolicyCandidates, type RankingPolicy, type VectorSource } from '../src/index.js';
import { randomAds, randomModel, randomVector } from './random-model.js';

function closeTo(actual: number, expected: number, tol = 1e-9): void {
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(expected)));
}

function direct(model: GlmixModel, ad: AdInput, user: SparseVector | undefined, context: SparseVector | undefined, member: string | undefined) {
  return new ModelPredictor(model).predict({
    ...(user === undefined ? {} : { user }),
    ...(context === undefined ? {} : { context }),
    ad: ad.features,
    entities: { ...ad.entities, ...(member === undefined ? {} : { member }) },
  });
}

/** A keyed source whose fetch the test resolves by hand. */
function deferredSource(key: string) {
  let resolve!: (v: SparseVector) => void;
  let reject!: (e: unknown) => void;
  let calls = 0;
  const promise = new Promise<SparseVector>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  const source: VectorSource = {
    key,
    get: () => {
      calls++;
      return promise;
    },
  };
  return { source, resolve, reject, calls: () => calls };
}

const flush = async (): Promise<void> => {
  for (let i = 0; i < 10; i++) await Promise.resolve();
};

describe('Scorer exactness', () => {
  it('the cached, factorized score equals direct computation from the model within 1e-9, term by term', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 1_000_000 }), fc.boolean(), fc.boolean(), fc.boolean(), async (seed, withUser, withContext, keyed) => {
        const model = randomModel(seed);
        const rng = new SeededRng(seed + 1);
        const ads = randomAds(rng, 5 + rng.nextInt(30), model.dimensions.ad);
        const user = withUser ? randomVector(rng, model.dimensions.user) : undefined;
        const context = withContext ? randomVector(rng, model.dimensions.context, 0.5) : undefined;
        const member = rng.nextFloat() < 0.7 ? `m${rng.nextInt(4)}` : undefined; // m3 is unknown
        const scorer = new Scorer({ model, ads });
        // A random subset of the ads, in random order.
        const candidates = ads.filter(() => rng.nextFloat() < 0.8).map((a) => a.id);
        if (candidates.length === 0) candidates.push('ad0');
        candidates.sort(() => rng.nextFloat() - 0.5);
        const asInput = (v: SparseVector | undefined, key: string) => (v === undefined ? undefined : keyed ? { key, get: () => Promise.resolve(v) } : v);
        const u = asInput(user, `u${seed}`);
        const c = asInput(context, `c${seed}`);
        // Twice: the second request reads the cached partials.
        for (let round = 0; round < 2; round++) {
          const res = await scorer.rank({ candidates, ...(u === undefined ? {} : { user: u }), ...(c === undefined ? {} : { context: c }), ...(member === undefined ? {} : { entities: { member } }), explain: true });
          expect(res.substituted).toEqual([]);
          expect(res.ranked).toHaveLength(candidates.length);
          for (const r of res.ranked) {
            const ad = ads.find((a) => a.id === r.adId) as AdInput;
            expect(candidates[r.position]).toBe(r.adId);
            const want = direct(model, ad, user, context, member);
            closeTo(r.score, want.score);
            closeTo(r.response, want.response);
            for (const [term, value] of want.terms) closeTo((res.terms?.get(term) as Float64Array)[r.position] as number, value);
          }
          for (let i = 1; i < res.ranked.length; i++) expect((res.ranked[i - 1]?.score as number) >= (res.ranked[i]?.score as number)).toBe(true);
        }
      }),
      { numRuns: 60, seed: 4242 },
    );
  });
});

describe('Scorer deadlines and failures', () => {
  const model = randomModel(7);
  const ads = randomAds(new SeededRng(8), 20, model.dimensions.ad);
  const candidates = ads.map((a) => a.id);
  const user = randomVector(new SeededRng(9), model.dimensions.user);
  const context = randomVector(new SeededRng(10), model.dimensions.context, 0.5);
  const userTerms = (m: GlmixModel): TermId[] => {
    const t: TermId[] = [];
    if (m.main.some((e) => e.namespace === 'user')) t.push('main:user');
    for (const c of m.crosses) if (c.id === 'userAd' || c.id === 'userContext') t.push(`cross:${c.id}`);
    for (const b of m.randomEffects) if (b.features.some((f) => f.namespace === 'user')) t.push(`re:${b.id}`);
    return t;
  };

  it('substitutes the means of late terms at the deadline, fills the cache in the background, and is exact on the next request', async () => {
    const clock = new ManualClock(1000);
    const scorer = new Scorer({ model, ads, clock, defaultDeadlineMs: 10, computeReserveMs: 1 });
    const d = deferredSource('user:u1');
    const pending = scorer.rank({ user: d.source, context, candidates, entities: { member: 'm1' }, explain: true });
    await flush();
    clock.advance(9);
    const late = await pending;
    expect(late.fallbacks).toEqual([{ namespace: 'user', reason: 'deadline' }]);
    expect(userTerms(model).length).toBeGreaterThan(1);
    expect([...late.substituted].sort()).toEqual(userTerms(model).sort());
    const means = new Map(model.termMeans.map((m) => [m.term, m.mean]));
    const known = (i: number) => ['c0', 'c1', 'c2', 'c3'].includes(ads[i]?.entities?.campaign ?? '');
    for (const t of late.substituted) {
      const values = late.terms?.get(t) as Float64Array;
      values.forEach((v, i) => expect(v).toBe(t.startsWith('re:perCampaign') && !known(i) ? 0 : (means.get(t) ?? 0)));
    }

    d.resolve(user); // the provider answers after the deadline
    await flush();
    const next = await scorer.rank({ user: d.source, context, candidates, entities: { member: 'm1' } });
    expect(next.substituted).toEqual([]);
    expect(d.calls()).toBe(1);
    for (const r of next.ranked) closeTo(r.score, direct(model, ads[r.position] as AdInput, user, context, 'm1').score);
  });

  it('replaces only the late part of a random-effect term when the model carries that part\'s mean', async () => {
    const withParts: GlmixModel = { ...model, termMeans: [...model.termMeans, { term: 're:perCampaign:user', mean: 0.25 }] };
    const clock = new ManualClock(0);
    const scorer = new Scorer({ model: withParts, ads, clock, defaultDeadlineMs: 10 });
    const pending = scorer.rank({ user: deferredSource('late-user').source, context, candidates, explain: true });
    await flush();
    clock.advance(10);
    const late = await pending;
    expect(late.substituted).toContain('re:perCampaign:user');
    expect(late.substituted).not.toContain('re:perCampaign');
    const predictor = new ModelPredictor(withParts);
    for (let i = 0; i < candidates.length; i++) {
      const ad = ads[i] as AdInput;
      const p = predictor.predict({ context, ad: ad.features, entities: ad.entities ?? {} }, { parts: true });
      const known = (p.parts?.get('re:perCampaign:bias') ?? 0) + (p.parts?.get('re:perCampaign:context') ?? 0) + (p.parts?.get('re:perCampaign:ad') ?? 0);
      // An ad of an unseen campaign has the term exactly 0, late or not.
      const inCampaign = withParts.randomEffects[0]?.entityIds.includes(ad.entities?.campaign ?? '') === true;
      closeTo((late.terms?.get('re:perCampaign') as Float64Array)[i] as number, inCampaign ? known + 0.25 : 0);
    }
  });

  it('never throws when a backend fails: failed inputs fall back to means, and an open breaker stops calling the backend', async () => {
    const clock = new ManualClock(0);
    const scorer = new Scorer({ model, ads, clock, breaker: { failureThreshold: 2, cooldownMs: 1000 } });
    let calls = 0;
    const failing = (key: string): VectorSource => ({
      key,
      get: () => {
        calls++;
        return Promise.reject(new Error('ECONNREFUSED'));
      },
    });
    const reasons: string[] = [];
    for (let i = 0; i < 5; i++) {
      const r = await scorer.rank({ user: failing(`u${i}`), candidates });
      reasons.push(r.fallbacks[0]?.reason ?? 'none');
      expect(r.ranked).toHaveLength(candidates.length);
    }
    expect(reasons).toEqual(['error', 'error', 'circuit-open', 'circuit-open', 'circuit-open']);
    expect(calls).toBe(2);
    clock.advance(1000); // the probe goes through and succeeds: the breaker closes
    const ok = await scorer.rank({ user: { key: 'u-ok', get: () => user }, candidates });
    expect(ok.fallbacks).toEqual([]);
  });

  it('a source that returns a malformed vector is a failing backend, not a bad request', async () => {
    const scorer = new Scorer({ model, ads });
    const r = await scorer.rank({ user: { key: 'bad', get: () => emptySparseVector(3) }, candidates });
    expect(r.fallbacks).toEqual([{ namespace: 'user', reason: 'error' }]);
  });

  it('throws only on a bad request, naming the field, the value and the constraint', async () => {
    const scorer = new Scorer({ model, ads, limits: { maxCandidates: 5, maxActiveFeatures: 3 } });
    const bad = async (req: unknown, pattern: RegExp) => {
      const e = await scorer.rank(req as never).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(LaserError);
      expect((e as LaserError).code).toBe('INVALID_ARGUMENT');
      expect((e as Error).message).toMatch(pattern);
    };
    await bad({ candidates: [] }, /request\.candidates .*must not be empty/);
    await bad({ candidates: candidates.slice(0, 6) }, /request\.candidates .*at most 5 ads \(limits\.maxCandidates\)/);
    await bad({ candidates: ['ad1', 'nope'] }, /request\.candidates\[1\] \("nope"\) must be the id of an ad registered/);
    await bad({ candidates: ['ad1'], deadlineMs: 0 }, /request\.deadlineMs \(0\) must be a finite number > 0/);
    await bad({ candidates: ['ad1'], user: emptySparseVector(5) }, /request\.user\.dimension \(5\) must equal the model's dimensions\.user \(30\)/);
    await bad({ candidates: ['ad1'], user }, /request\.user\.indices .*at most 3 active features/);
    await bad({ candidates: ['ad1', 'ad2'], bids: [1] }, /request\.bids .*one bid per candidate/);
  });
});

describe('Scorer model swaps', () => {
  it('a request in flight finishes on the model it started with; the previous model can be restored', async () => {
    const m1 = randomModel(21);
    const m2 = { ...randomModel(22), modelId: 'random-22', modelVersion: 2 };
    const ads = randomAds(new SeededRng(23), 15, m1.dimensions.ad);
    const user = randomVector(new SeededRng(24), m1.dimensions.user);
    const scorer = new Scorer({ model: m1, ads });
    const d = deferredSource('u-swap');
    const inFlight = scorer.rank({ user: d.source, candidates: ads.map((a) => a.id), deadlineMs: 5_000 });
    await flush();
    scorer.setModel(m2);
    d.resolve(user);
    const first = await inFlight;
    expect(first.modelVersion).toBe(`${m1.modelId}@${m1.modelVersion}`);
    for (const r of first.ranked) closeTo(r.score, direct(m1, ads[r.position] as AdInput, user, undefined, undefined).score);
    const second = await scorer.rank({ user, candidates: ads.map((a) => a.id) });
    expect(second.modelVersion).toBe('random-22@2');
    for (const r of second.ranked) closeTo(r.score, direct(m2, ads[r.position] as AdInput, user, undefined, undefined).score);
    expect(scorer.restorePreviousModel()).toBe(true);
    expect(scorer.modelVersion).toBe(`${m1.modelId}@${m1.modelVersion}`);
  });

  it('ads added or changed are re-materialized', async () => {
    const model = randomModel(31);
    const rng = new SeededRng(32);
    const ads = randomAds(rng, 4, model.dimensions.ad);
    const scorer = new Scorer({ model, ads });
    const changed: AdInput = { ...(ads[0] as AdInput), features: randomVector(rng, model.dimensions.ad, 0.5) };
    scorer.upsertAds([changed, { id: 'new', features: randomVector(rng, model.dimensions.ad), entities: { campaign: 'c2' } }]);
    const r = await scorer.rank({ candidates: ['ad0', 'new'], explain: true });
    closeTo(r.ranked.find((x) => x.adId === 'ad0')?.score as number, direct(model, changed, undefined, undefined, undefined).score);
    scorer.removeAds(['new']);
    await expect(scorer.rank({ candidates: ['new'] })).rejects.toThrow(/registered/);
  });
});

describe('Scorer with a policy', () => {
  it('hands the policy the mode scores and the warm-start posterior variance Σ x² v of each candidate', async () => {
    const model = randomModel(41);
    const ads = randomAds(new SeededRng(42), 12, model.dimensions.ad);
    const user = randomVector(new SeededRng(43), model.dimensions.user);
    const context = randomVector(new SeededRng(44), model.dimensions.context, 0.5);
    let seen: PolicyCandidates | undefined;
    const policy: RankingPolicy = {
      name: 'spy',
      decide(c, { k }) {
        seen = { ...c, mean: c.mean.slice(), variance: c.variance.slice() };
        return { slate: Int32Array.from({ length: k }, (_, i) => i), scores: c.mean.slice(0, k), propensity: 1, slatePropensity: 1, slatePropensityStdError: 0, policy: 'spy' };
      },
    };
    const scorer = new Scorer({ model, ads, policy });
    const res = await scorer.rank({ user, context, candidates: ads.map((a) => a.id), slateSize: 2 });
    expect(res.decision?.adIds).toEqual(['ad0', 'ad1']);
    for (let i = 0; i < ads.length; i++) {
      const ad = ads[i] as AdInput;
      closeTo(seen?.mean[i] as number, direct(model, ad, user, context, undefined).score);
      // Reference: the per-campaign (ad-side) blocks only; request-side blocks are not drawn.
      let v = 0;
      for (const b of model.randomEffects.filter((x) => x.entityType === 'campaign' || x.entityType === 'advertiser')) {
        const row = b.entityIds.indexOf(ad.entities?.[b.entityType] ?? '');
        if (row < 0) continue;
        const w = randomEffectWidth(b);
        let off = 0;
        if (b.bias) v += b.variances?.[row * w] as number;
        off = b.bias ? 1 : 0;
        for (const sel of b.features) {
          const vec = sel.namespace === 'user' ? user : sel.namespace === 'context' ? context : ad.features;
          sel.indices.forEach((f, q) => {
            const at = vec.indices.indexOf(f);
            if (at >= 0) v += (vec.values[at] as number) ** 2 * (b.variances?.[row * w + off + q] as number);
          });
          off += sel.indices.length;
        }
      }
      closeTo(seen?.variance[i] as number, v, 1e-12);
    }
  });
});

describe('Scorer with a shared tier', () => {
  it('a late user is scored from partials another node left in the shared tier; only terms needing the vector fall back', async () => {
    const base = randomModel(51);
    const model: GlmixModel = {
      ...base,
      main: [...base.main.filter((m) => m.namespace !== 'user'), { namespace: 'user', weights: new Float64Array(base.dimensions.user).fill(0.1), variances: null }],
      crosses: [{ kind: 'lowRank', id: 'userAd', rank: 2, leftFactors: Float64Array.from({ length: base.dimensions.user * 2 }, (_, i) => Math.sin(i)), rightFactors: Float64Array.from({ length: base.dimensions.ad * 2 }, (_, i) => Math.cos(i)) }],
      randomEffects: base.randomEffects.slice(0, 1),
      termMeans: [],
    };
    const ads = randomAds(new SeededRng(52), 10, model.dimensions.ad);
    const user = randomVector(new SeededRng(53), model.dimensions.user);
    const shared = new InProcessTier();
    const nodeA = new Scorer({ model, ads, cache: new TieredCache({ local: new InProcessTier(), shared }) });
    await nodeA.rank({ user: { key: 'user:7', get: () => user }, candidates: ['ad0'] });
    await flush();

    const clock = new ManualClock(0);
    const nodeB = new Scorer({ model, ads, clock, cache: new TieredCache({ local: new InProcessTier({ clock }), shared }) });
    const pending = nodeB.rank({ user: deferredSource('user:7').source, candidates: ads.map((a) => a.id), explain: true });
    await flush();
    clock.advance(10);
    const res = await pending;
    expect(res.fallbacks).toEqual([{ namespace: 'user', reason: 'deadline' }]);
    expect(res.substituted).toEqual(['re:perCampaign']); // x'η_j needs the vector itself
    const tiers = nodeB.stats().cache;
    expect(tiers.map((t) => t.tier)).toEqual(['in-process', 'in-process']);
    // The shared tier (one object for both nodes here): node A's first lookup missed, node B's hit.
    expect(tiers[1]?.byTerm['main:user']).toEqual({ hits: 1, misses: 1 });
    for (const r of res.ranked) {
      const want = direct(model, ads[r.position] as AdInput, user, undefined, undefined);
      closeTo((res.terms?.get('main:user') as Float64Array)[r.position] as number, want.terms.get('main:user') as number);
      closeTo((res.terms?.get('cross:userAd') as Float64Array)[r.position] as number, want.terms.get('cross:userAd') as number);
    }
  });
});

describe('Scorer model swaps under load', () => {
  it('every answer is consistent with the one model version it reports, while versions swap', async () => {
    const models = [randomModel(61), { ...randomModel(62), modelId: 'random-62', modelVersion: 5 }];
    const ads = randomAds(new SeededRng(63), 25, 12);
    const users = Array.from({ length: 8 }, (_, i) => randomVector(new SeededRng(70 + i), 30));
    const scorer = new Scorer({ model: models[0] as GlmixModel, ads });
    const byVersion = new Map(models.map((m) => [`${m.modelId}@${m.modelVersion}`, m]));
    const inFlight: Promise<unknown>[] = [];
    for (let i = 0; i < 200; i++) {
      const u = i % users.length;
      const delay = i % 3;
      const source: VectorSource = { key: `u${u}-${i}`, get: () => new Promise((r) => setTimeout(() => r(users[u] as SparseVector), delay)) };
      inFlight.push(
        scorer.rank({ user: source, candidates: ads.map((a) => a.id), deadlineMs: 5_000 }).then((res) => {
          const m = byVersion.get(res.modelVersion) as GlmixModel;
          for (const r of res.ranked) closeTo(r.score, direct(m, ads[r.position] as AdInput, users[u], undefined, undefined).score);
        }),
      );
      if (i % 10 === 0) scorer.setModel(models[(i / 10) % 2] as GlmixModel);
      if (i % 7 === 0) await new Promise((r) => setTimeout(r, 1));
    }
    await Promise.all(inFlight);
    expect(scorer.counters.requests).toBe(200);
  });
});

describe('Scorer with the explore layer', () => {
  const model = randomModel(81);
  const ads = randomAds(new SeededRng(82), 30, model.dimensions.ad);
  const user = randomVector(new SeededRng(83), model.dimensions.user);

  it('Thompson sampling through a traffic ramp: each user stays in one arm, decisions carry the arm and the exact propensity', async () => {
    const thompson = new ThompsonSamplingPolicy();
    const ramp = new TrafficRamp({ arms: [{ name: 'control', policy: new ExploitOnlyPolicy(), percent: 90 }, { name: 'thompson', policy: thompson, percent: 10 }] });
    let seen: PolicyCandidates | undefined;
    const spy = { name: 'spy', decide: (c: PolicyCandidates, o: { k: number; rng: SeededRng }) => ((seen = { ...c, mean: c.mean.slice(), variance: c.variance.slice() }), thompson.decide(c, o)) };
    const scorer = new Scorer({ model, ads, policy: ramp, rng: new SeededRng(5) });
    const arms = new Map<string, string>();
    for (let i = 0; i < 200; i++) {
      const userId = `member-${i % 60}`;
      const res = await scorer.rank({ user, candidates: ads.map((a) => a.id), userId });
      const arm = res.decision?.arm as string;
      expect(arm).toBe(ramp.armOf(userId).name);
      if (arms.has(userId)) expect(arms.get(userId)).toBe(arm);
      arms.set(userId, arm);
      expect(res.decision?.propensity).toBeGreaterThan(0);
      if (arm === 'control') expect(res.decision?.adIds[0]).toBe(res.ranked[0]?.adId);
    }
    expect(new Set(arms.values())).toEqual(new Set(['control', 'thompson']));

    // The logged propensity of a Thompson decision is the policy's exact top-1 probability.
    const direct = new Scorer({ model, ads, policy: spy, rng: new SeededRng(6) });
    const res = await direct.rank({ user, candidates: ads.map((a) => a.id) });
    const chosen = res.decision?.slate[0] as number;
    const exact = thompson.topPropensities(seen as PolicyCandidates)[chosen] as number;
    expect(Math.abs((res.decision?.propensity as number) - Math.max(exact, 1e-6))).toBeLessThan(1e-4);
  });

  it('a ramped scorer needs the user id, and says so', async () => {
    const ramp = new TrafficRamp({ arms: [{ name: 'control', policy: new ExploitOnlyPolicy(), percent: 100 }] });
    const scorer = new Scorer({ model, ads, policy: ramp });
    await expect(scorer.rank({ user, candidates: ['ad1'] })).rejects.toThrow(/request\.userId \(undefined\) must be a non-empty string: the scorer ranks through a traffic ramp/);
  });
});

describe('Scorer output', () => {
  it('limit returns the best few as objects; order and scores always cover every candidate', async () => {
    const model = randomModel(91);
    const ads = randomAds(new SeededRng(92), 40, model.dimensions.ad);
    const user = randomVector(new SeededRng(93), model.dimensions.user);
    const scorer = new Scorer({ model, ads });
    const candidates = ads.map((a) => a.id).reverse();
    const all = await scorer.rank({ user, candidates });
    const top = await scorer.rank({ user, candidates, limit: 5 });
    expect(top.ranked).toEqual(all.ranked.slice(0, 5));
    expect(top.order).toHaveLength(40);
    expect(Array.from(top.order)).toEqual(all.ranked.map((r) => r.position));
    all.ranked.forEach((r) => expect(top.scores[r.position]).toBe(r.score));
    await expect(scorer.rank({ user, candidates, limit: -1 })).rejects.toThrow(/request\.limit \(-1\) must be an integer >= 0/);
  });
});

describe('Scorer with a hung backend', () => {
  it('a fetch that never answers fails after fetchTimeoutMs, so the breaker\'s probe is released and the key can be fetched again', async () => {
    const model = randomModel(101);
    const ads = randomAds(new SeededRng(102), 5, model.dimensions.ad);
    const user = randomVector(new SeededRng(103), model.dimensions.user);
    const clock = new ManualClock(0);
    const errors: unknown[] = [];
    const scorer = new Scorer({ model, ads, clock, fetchTimeoutMs: 100, breaker: { failureThreshold: 1, cooldownMs: 50 }, onBackgroundError: (e) => errors.push(e) });
    let hang = true;
    let calls = 0;
    const source: VectorSource = { key: 'u-hung', get: () => (calls++, hang ? new Promise<SparseVector>(() => undefined) : user) };
    const first = scorer.rank({ user: source, candidates: ['ad0'], deadlineMs: 10 });
    await flush();
    clock.advance(10);
    expect((await first).fallbacks).toEqual([{ namespace: 'user', reason: 'deadline' }]);
    clock.advance(90); // the background fetch times out: a failure, the breaker opens
    await flush();
    expect(errors.some((e) => e instanceof LaserError && e.code === 'TIMEOUT')).toBe(true);
    expect(scorer.stats().breakers.user).toBe('open');
    clock.advance(50); // cooldown over: the next request probes again, and the backend is back
    hang = false;
    const again = await scorer.rank({ user: source, candidates: ['ad0'] });
    expect(again.fallbacks).toEqual([]);
    expect(calls).toBe(2);
    expect(scorer.stats().breakers.user).toBe('closed');
  });
});

describe('Scorer edge cases found in review', () => {
  const model = randomModel(111);
  const ads = randomAds(new SeededRng(112), 12, model.dimensions.ad);
  const user = randomVector(new SeededRng(113), model.dimensions.user);
  const context = randomVector(new SeededRng(114), model.dimensions.context, 0.5);
  const candidates = ads.map((a) => a.id);

  const lateUser = async (scorer: Scorer, clock: ManualClock, request: Partial<Parameters<Scorer['rank']>[0]>) => {
    const pending = scorer.rank({ user: deferredSource(`late-${Math.random()}`).source, candidates, explain: true, ...request });
    await flush();
    clock.advance(10);
    return pending;
  };

  it('a request-side random effect keeps its exact value for an unseen entity, and only its late part is replaced for a known one', async () => {
    const withParts: GlmixModel = { ...model, termMeans: [...model.termMeans, { term: 're:perMember:user', mean: 0.3 }] };
    const clock = new ManualClock(0);
    const scorer = new Scorer({ model: withParts, ads, clock });
    const unseen = await lateUser(scorer, clock, { entities: { member: 'nobody' } });
    expect(unseen.substituted).not.toContain('re:perMember');
    expect(Array.from(unseen.terms?.get('re:perMember') as Float64Array).every((v) => v === 0)).toBe(true);
    const known = await lateUser(scorer, clock, { entities: { member: 'm1' } });
    expect(known.substituted).toContain('re:perMember:user');
    const predictor = new ModelPredictor(withParts);
    candidates.forEach((_, i) => {
      const ad = ads[i] as AdInput;
      const p = predictor.predict({ ad: ad.features, entities: { ...ad.entities, member: 'm1' } }, { parts: true });
      const exactParts = (p.parts?.get('re:perMember:bias') ?? 0) + (p.parts?.get('re:perMember:ad') ?? 0);
      closeTo((known.terms?.get('re:perMember') as Float64Array)[i] as number, exactParts + 0.3);
    });
  });

  it('a retrained model with the same id and version never reads the old model\'s cached partials', async () => {
    const scorer = new Scorer({ model, ads });
    const source = (): VectorSource => ({ key: 'u-retrain', get: () => user });
    await scorer.rank({ user: source(), candidates });
    const retrained: GlmixModel = { ...model, createdAtMs: model.createdAtMs + 1, main: model.main.map((m) => ({ ...m, weights: m.weights.map((w) => w * 2) })) };
    scorer.setModel(retrained);
    const res = await scorer.rank({ user: source(), candidates });
    for (const r of res.ranked) closeTo(r.score, direct(retrained, ads[r.position] as AdInput, user, undefined, undefined).score);
  });

  it('malformed vectors are a bad request when given directly and a failing backend when a source returns them', async () => {
    const scorer = new Scorer({ model, ads });
    const outOfRange = { dimension: model.dimensions.user, indices: Int32Array.from([model.dimensions.user]), values: Float64Array.from([1]) };
    await expect(scorer.rank({ user: outOfRange, candidates })).rejects.toThrow(/request\.user\.indices\[0\] \(30\) must be strictly increasing and in \[0, 29\]/);
    const nan = { dimension: model.dimensions.user, indices: Int32Array.from([1]), values: Float64Array.from([Number.NaN]) };
    const res = await scorer.rank({ user: { key: 'u-nan', get: () => nan }, candidates });
    expect(res.fallbacks).toEqual([{ namespace: 'user', reason: 'error' }]);
    expect(res.ranked.every((r) => Number.isFinite(r.score))).toBe(true);
    expect(() => new Scorer({ model, ads: [{ id: 'bad', features: { dimension: model.dimensions.ad, indices: Int32Array.from([3, 2]), values: Float64Array.from([1, 1]) } }] })).toThrow(/ads\[0\]\.features\.indices\[1\]/);
    expect(() => new Scorer({ model: { ...model, intercept: Number.NaN }, ads })).toThrow(/intercept/);
  });

  it('the model to restore survives ad changes; vectors expire after vectorTtlMs; user and context sources may share a key', async () => {
    const clock = new ManualClock(0);
    const m2: GlmixModel = { ...randomModel(115), modelId: 'other', modelVersion: 2 };
    const scorer = new Scorer({ model, ads, clock, vectorTtlMs: 1000 });
    scorer.setModel(m2);
    scorer.upsertAds([{ ...(ads[0] as AdInput), id: 'extra' }]);
    expect(scorer.restorePreviousModel()).toBe(true);
    expect(scorer.modelVersion).toBe(`${model.modelId}@${model.modelVersion}`);
    let calls = 0;
    const shared = 'request-17';
    const u: VectorSource = { key: shared, get: () => (calls++, user) };
    const c: VectorSource = { key: shared, get: () => context };
    const first = await scorer.rank({ user: u, context: c, candidates, explain: true });
    for (const r of first.ranked) closeTo(r.score, direct(model, ads[r.position] as AdInput, user, context, undefined).score);
    await scorer.rank({ user: u, context: c, candidates });
    expect(calls).toBe(1);
    clock.advance(1001);
    await scorer.rank({ user: u, context: c, candidates });
    expect(calls).toBe(2);
  });
});
