// The scoring benchmark's model and traffic: LASER-sized (WSDM 2014 §6: ~20K binary features with
// 20-100 active per example), full crosses over selected frequent feature pairs (as LASER), and
// per-campaign warm-start terms δ_j + x'η_j + z'ξ_j over selected user and context features.
import { SeededRng, sparseVector } from '@laserkit/core';
import { ModelPredictor } from '@laserkit/model';

export const WORKLOAD = {
  dims: { user: 16_000, ad: 3_000, context: 1_000 },
  active: { user: 50, ad: 30, context: 10 },
  ads: 1_000,
  campaigns: 300,
  users: 20_000,
  contexts: 200,
  // Crosses over the most frequent features (feature ids are drawn Zipf-like, so low ids are frequent).
  crossTop: { user: 2_000, ad: 300, context: 100 },
  crossDensity: { userAd: 0.15, userContext: 0.1, contextAd: 0.1 },
  warmSelected: { user: 200, context: 40 },
  seed: 11,
};

/** Zipf-like feature draw: index = floor(dim * u^2.5), so small indices are frequent. */
function drawVector(rng, dim, active) {
  const set = new Set();
  while (set.size < active) set.add(Math.min(dim - 1, Math.floor(dim * rng.nextFloat() ** 2.5)));
  const idx = [...set];
  return sparseVector(dim, idx, idx.map(() => 1));
}

function pairs(rng, left, right, density) {
  const l = [];
  const r = [];
  for (let a = 0; a < left; a++) {
    for (let b = 0; b < right; b++) {
      if (rng.nextFloat() < density) {
        l.push(a);
        r.push(b);
      }
    }
  }
  return { leftIndex: Int32Array.from(l), rightIndex: Int32Array.from(r) };
}

export function buildWorkload(w = WORKLOAD) {
  const rng = new SeededRng(w.seed);
  const vec = (n, sd) => Float64Array.from({ length: n }, () => sd * rng.nextNormal());
  const pos = (n, scale) => Float64Array.from({ length: n }, () => scale * (0.2 + rng.nextFloat()));
  const full = (id, l, r, density, sd) => {
    const p = pairs(rng, w.crossTop[l], w.crossTop[r], density);
    return { kind: 'full', id, ...p, weights: vec(p.leftIndex.length, sd), variances: null };
  };
  const campaigns = Array.from({ length: w.campaigns }, (_, i) => `c${i}`);
  const selUser = Int32Array.from({ length: w.warmSelected.user }, (_, i) => i);
  const selCtx = Int32Array.from({ length: w.warmSelected.context }, (_, i) => i);
  const width = 1 + selUser.length + selCtx.length;
  const model = {
    modelId: 'scoring-bench',
    modelVersion: 1,
    createdAtMs: 0,
    link: 'logistic',
    featureSpace: { kind: 'indexed', dimensions: w.dims },
    dimensions: w.dims,
    intercept: -4,
    interceptVariance: null,
    main: [
      { namespace: 'user', weights: vec(w.dims.user, 0.15), variances: null },
      { namespace: 'ad', weights: vec(w.dims.ad, 0.15), variances: null },
      { namespace: 'context', weights: vec(w.dims.context, 0.2), variances: null },
    ],
    crosses: [full('userAd', 'user', 'ad', w.crossDensity.userAd, 0.1), full('userContext', 'user', 'context', w.crossDensity.userContext, 0.1), full('contextAd', 'context', 'ad', w.crossDensity.contextAd, 0.1)],
    randomEffects: [
      {
        id: 'perCampaign',
        entityType: 'campaign',
        bias: true,
        features: [
          { namespace: 'user', indices: selUser },
          { namespace: 'context', indices: selCtx },
        ],
        entityIds: campaigns,
        coefficients: vec(campaigns.length * width, 0.2),
        variances: pos(campaigns.length * width, 0.05),
      },
    ],
    termMeans: [],
    metadata: {},
    metrics: {},
  };
  const ads = Array.from({ length: w.ads }, (_, j) => ({ id: `ad${j}`, features: drawVector(rng, w.dims.ad, w.active.ad), entities: { campaign: campaigns[rng.nextInt(campaigns.length)] } }));
  const users = Array.from({ length: w.users }, () => drawVector(rng, w.dims.user, w.active.user));
  const contexts = Array.from({ length: w.contexts }, () => drawVector(rng, w.dims.context, w.active.context));
  // An unbiased sample of (user, context, ad) impressions.
  const sample = Array.from({ length: 4_000 }, () => {
    const ad = ads[rng.nextInt(ads.length)];
    return { user: users[rng.nextInt(users.length)], context: contexts[rng.nextInt(contexts.length)], ad: ad.features, entities: ad.entities };
  });
  calibrate(model, sample);
  const predictor = new ModelPredictor(model);
  // Term (and random-effect part) means over the sample: the scorer's stand-ins for late terms.
  const sums = new Map();
  for (const ex of sample) for (const [t, v] of termsAndParts(predictor, ex)) sums.set(t, (sums.get(t) ?? 0) + v);
  model.termMeans = [...sums].filter(([t]) => t !== 'intercept').map(([term, total]) => ({ term, mean: total / sample.length }));
  return { model, ads, users, contexts, predictor };
}

const termsAndParts = (predictor, ex) => {
  const p = predictor.predict(ex, { parts: true });
  return [...p.terms, ...p.parts];
};

/**
 * Scales each term to the spread the traffic generator gives it (its DEFAULT_TERM_SCALES, sd of
 * each term of the logit: user 0.5, ad 0.3, ...), and sets the intercept for a 2% mean click rate,
 * so the model is as informative as LASER-shaped traffic, not an arbitrary random draw.
 */
function calibrate(model, sample) {
  const target = { 'main:user': 0.5, 'main:ad': 0.3, 'main:context': 0.3, 'cross:userAd': 0.4, 'cross:userContext': 0.25, 'cross:contextAd': 0.25, 're:perCampaign:bias': 0.3, 're:perCampaign:user': 0.3, 're:perCampaign:context': 0.2 };
  const predictor = new ModelPredictor(model);
  const stats = new Map();
  for (const ex of sample) {
    for (const [t, v] of termsAndParts(predictor, ex)) {
      const s = stats.get(t) ?? { n: 0, sum: 0, sq: 0 };
      s.n++;
      s.sum += v;
      s.sq += v * v;
      stats.set(t, s);
    }
  }
  const factor = (t) => {
    const s = stats.get(t);
    const sd = Math.sqrt(Math.max(1e-12, s.sq / s.n - (s.sum / s.n) ** 2));
    return target[t] / sd;
  };
  for (const e of model.main) e.weights.forEach((w, i) => (e.weights[i] = w * factor(`main:${e.namespace}`)));
  for (const c of model.crosses) c.weights.forEach((w, i) => (c.weights[i] = w * factor(`cross:${c.id}`)));
  const b = model.randomEffects[0];
  const width = 1 + b.features.reduce((s, f) => s + f.indices.length, 0);
  const part = [factor('re:perCampaign:bias')];
  for (const f of b.features) for (let q = 0; q < f.indices.length; q++) part.push(factor(`re:perCampaign:${f.namespace}`));
  b.coefficients.forEach((w, i) => (b.coefficients[i] = w * part[i % width]));
  // Intercept: bisection on the mean of σ(s) over the sample.
  const scored = new ModelPredictor(model);
  const rest = sample.map((ex) => scored.predict(ex).score - model.intercept);
  let lo = -12;
  let hi = 4;
  for (let it = 0; it < 60; it++) {
    const mid = (lo + hi) / 2;
    const ctr = rest.reduce((a, r) => a + 1 / (1 + Math.exp(-(r + mid))), 0) / rest.length;
    if (ctr < 0.02) lo = mid;
    else hi = mid;
  }
  model.intercept = (lo + hi) / 2;
}

/**
 * The same model as one linear model over assembled features (for a generic runtime such as
 * onnxruntime): one weight per main-effect feature, per selected cross pair, and per campaign
 * warm-start coefficient. Returns the flat weights and an assembler of a (user, context, ad) row.
 */
export function linearForm(model) {
  const { user: du, ad: da, context: dc } = model.dimensions;
  const offsets = { user: 0, ad: du, context: du + da };
  let next = du + da + dc;
  const crossOffset = {};
  const pairIndex = {};
  for (const c of model.crosses) {
    crossOffset[c.id] = next;
    const m = new Map();
    for (let q = 0; q < c.leftIndex.length; q++) m.set(c.leftIndex[q] * 65_536 + c.rightIndex[q], q);
    pairIndex[c.id] = m;
    next += c.leftIndex.length;
  }
  const re = model.randomEffects[0];
  const reOffset = next;
  const width = 1 + re.features.reduce((s, f) => s + f.indices.length, 0);
  next += re.entityIds.length * width;
  const weights = new Float32Array(next);
  for (const e of model.main) weights.set(e.weights, offsets[e.namespace]);
  for (const c of model.crosses) weights.set(c.weights, crossOffset[c.id]);
  weights.set(re.coefficients, reOffset);
  const entityRow = new Map(re.entityIds.map((id, i) => [id, i]));
  const selPos = re.features.map((f) => new Map(Array.from(f.indices, (ix, q) => [ix, q])));
  const ns = { userAd: ['user', 'ad'], userContext: ['user', 'context'], contextAd: ['context', 'ad'] };

  /** Writes the active (index, value) pairs of one row; returns how many. */
  function assemble(row, outIdx, outVal, at) {
    let k = 0;
    const put = (i, v) => {
      outIdx[at + k] = BigInt(i);
      outVal[at + k] = v;
      k++;
    };
    for (const n of ['user', 'ad', 'context']) {
      const v = row[n];
      for (let p = 0; p < v.indices.length; p++) put(offsets[n] + v.indices[p], v.values[p]);
    }
    for (const c of model.crosses) {
      const [l, r] = ns[c.id];
      const a = row[l];
      const b = row[r];
      const m = pairIndex[c.id];
      for (let p = 0; p < a.indices.length; p++) {
        for (let q = 0; q < b.indices.length; q++) {
          const hit = m.get(a.indices[p] * 65_536 + b.indices[q]);
          if (hit !== undefined) put(crossOffset[c.id] + hit, a.values[p] * b.values[q]);
        }
      }
    }
    const e = entityRow.get(row.entities.campaign);
    if (e !== undefined) {
      const base = reOffset + e * width;
      put(base, 1);
      let off = 1;
      re.features.forEach((f, fi) => {
        const v = row[f.namespace];
        for (let p = 0; p < v.indices.length; p++) {
          const q = selPos[fi].get(v.indices[p]);
          if (q !== undefined) put(base + off + q, v.values[p]);
        }
        off += f.indices.length;
      });
    }
    return k;
  }
  return { weights, bias: model.intercept, assemble };
}
