import { SeededRng } from '@laserkit/core';
import { resolveTrafficOptions, type ResolvedTrafficOptions, type TrafficOptions } from './traffic-options.js';

/**
 * The true model behind generated traffic, in LASER's form (WSDM 2014, eq. 1-6):
 *
 *   s = ω + x'α + c'β + z'γ + x'A c + x'C z + z'B c + δ_j + x'η_j + z'ξ_j,   p = σ(s)
 *
 * Cross matrices are stored factorized (A = U Vᵀ, rank k) so the truth stays small at any
 * dimension. Row-major layouts: `userAdU[f * k + r]` is U[f, r]; `eta[j * warmUserFeatures + f]`
 * is η_j[f]; `xi[j * contextDimension + t]` is ξ_j[t].
 */
export interface TrueModel {
  readonly userDimension: number;
  readonly adDimension: number;
  readonly contextDimension: number;
  readonly campaigns: number;
  readonly crossRank: number;
  readonly warmUserFeatures: number;
  readonly intercept: number;
  readonly alpha: Float64Array;
  readonly beta: Float64Array;
  readonly gamma: Float64Array;
  readonly userAdU: Float64Array;
  readonly userAdV: Float64Array;
  readonly userContextU: Float64Array;
  readonly userContextV: Float64Array;
  readonly contextAdU: Float64Array;
  readonly contextAdV: Float64Array;
  readonly delta: Float64Array;
  readonly eta: Float64Array;
  readonly xi: Float64Array;
}

/** One impression. Feature vectors are binary: the arrays hold the active indices, sorted. */
export interface TrafficRow {
  readonly index: number;
  readonly label: 0 | 1;
  readonly campaign: number;
  readonly user: number;
  /** The true click probability σ(s). */
  readonly pTrue: number;
  readonly userFeatures: Int32Array;
  readonly adFeatures: Int32Array;
  readonly contextFeatures: Int32Array;
}

/** Who exists and how traffic falls on them. */
export interface TrafficPopulation {
  readonly userFeatureOffsets: Int32Array;
  readonly userFeatureIndices: Int32Array;
  readonly adFeatureOffsets: Int32Array;
  readonly adFeatureIndices: Int32Array;
  /** Share of impressions each campaign receives (sums to 1). */
  readonly campaignShare: Float64Array;
  /** The click rate each campaign was calibrated to. */
  readonly campaignTargetCtr: Float64Array;
  /** Start index of each context field in z. */
  readonly contextFieldOffsets: Int32Array;
}

export interface Traffic {
  readonly options: ResolvedTrafficOptions;
  readonly truth: TrueModel;
  readonly population: TrafficPopulation;
  /** The true logit of an impression. */
  logit(user: number, campaign: number, contextFeatures: ArrayLike<number>): number;
  /** All rows, in order; every call starts the same stream again. */
  rows(): Generator<TrafficRow, void, undefined>;
}

/** Builds the true model and the population; rows are produced lazily by `rows()`. */
export function createTraffic(options: TrafficOptions = {}): Traffic {
  const o = resolveTrafficOptions(options);
  const root = new SeededRng(o.seed);
  const k = o.crossRank;
  const contextDimension = o.contextFields.reduce((a, b) => a + b, 0);
  const fields = o.contextFields.length;

  // Population: users and campaigns draw features by Zipf popularity over feature ids, so low
  // ids are common, and the first `warmUserFeatures` user ids are the popular ones LASER would select.
  const popRng = root.fork('population');
  const users = drawFeatureSets(popRng, o.users, o.userDimension, o.activeUserFeatures, o.featureSkew);
  const ads = drawFeatureSets(popRng, o.campaigns, o.adDimension, o.activeAdFeatures, o.featureSkew);
  const campaignCdf = zipfCdf(o.campaigns, o.campaignSkew);
  const campaignByRank = popRng.shuffle(Array.from({ length: o.campaigns }, (_, i) => i));
  const userCdf = zipfCdf(o.users, o.userSkew);
  const userByRank = popRng.shuffle(Array.from({ length: o.users }, (_, i) => i));
  const contextFieldOffsets = new Int32Array(fields);
  const contextCdfs: Float64Array[] = [];
  let offset = 0;
  o.contextFields.forEach((card, f) => {
    contextFieldOffsets[f] = offset;
    offset += card;
    const w = Array.from({ length: card }, () => popRng.nextGamma(1));
    contextCdfs.push(cdfOf(w));
  });
  const campaignShare = new Float64Array(o.campaigns);
  for (let r = 0; r < o.campaigns; r++) campaignShare[campaignByRank[r] as number] = (campaignCdf[r] as number) - (r === 0 ? 0 : (campaignCdf[r - 1] as number));

  // Coefficients: scales chosen so each term's standard deviation is the configured one.
  const coefRng = root.fork('coefficients');
  const s = o.termScales;
  const mU = o.activeUserFeatures;
  const mA = o.activeAdFeatures;
  const gaussian = (n: number, sd: number): Float64Array => {
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) out[i] = sd * coefRng.nextNormal();
    return out;
  };
  const crossSd = (target: number, m1: number, m2: number): number => (k === 0 ? 0 : Math.sqrt(target / (Math.sqrt(k) * Math.sqrt(m1 * m2))));
  const meanWarmActive = meanCountBelow(users, o.warmUserFeatures);
  const truthBase = {
    userDimension: o.userDimension,
    adDimension: o.adDimension,
    contextDimension,
    campaigns: o.campaigns,
    crossRank: k,
    warmUserFeatures: o.warmUserFeatures,
    intercept: logit(Math.sqrt(o.ctrMin * o.ctrMax)),
    alpha: gaussian(o.userDimension, s.user / Math.sqrt(mU)),
    beta: gaussian(o.adDimension, s.ad / Math.sqrt(mA)),
    gamma: gaussian(contextDimension, s.context / Math.sqrt(fields)),
    userAdU: gaussian(o.userDimension * k, crossSd(s.userAd, mU, mA)),
    userAdV: gaussian(o.adDimension * k, crossSd(s.userAd, mU, mA)),
    userContextU: gaussian(o.userDimension * k, crossSd(s.userContext, mU, fields)),
    userContextV: gaussian(contextDimension * k, crossSd(s.userContext, mU, fields)),
    contextAdU: gaussian(contextDimension * k, crossSd(s.contextAd, fields, mA)),
    contextAdV: gaussian(o.adDimension * k, crossSd(s.contextAd, fields, mA)),
    eta: gaussian(o.campaigns * o.warmUserFeatures, s.warmUser / Math.sqrt(Math.max(meanWarmActive, 1))),
    xi: gaussian(o.campaigns * contextDimension, s.warmContext / Math.sqrt(fields)),
  };
  const delta = new Float64Array(o.campaigns);
  const truth: TrueModel = { ...truthBase, delta };

  // Per-entity partial sums, so a row costs O(k + active features) rather than O(dimensions).
  const [userMain, userAdProj, userCtxProj] = entitySums(users, truth.alpha, truth.userAdU, truth.userContextU, k);
  const [adMain, adUserProj, adCtxProj] = entitySums(ads, truth.beta, truth.userAdV, truth.contextAdV, k);

  const W = o.warmUserFeatures;
  const logitOf = (i: number, j: number, z: ArrayLike<number>): number => {
    let score = truth.intercept + (userMain[i] as number) + (adMain[j] as number) + (delta[j] as number);
    for (let r = 0; r < k; r++) {
      let zc = 0;
      let zb = 0;
      for (let t = 0; t < z.length; t++) {
        const zi = z[t] as number;
        zc += truth.userContextV[zi * k + r] as number;
        zb += truth.contextAdU[zi * k + r] as number;
      }
      score += (userAdProj[i * k + r] as number) * (adUserProj[j * k + r] as number);
      score += (userCtxProj[i * k + r] as number) * zc;
      score += zb * (adCtxProj[j * k + r] as number);
    }
    for (let t = 0; t < z.length; t++) {
      const zi = z[t] as number;
      score += (truth.gamma[zi] as number) + (truth.xi[j * contextDimension + zi] as number);
    }
    // η_j acts on the user's active features among the first W (indices are sorted).
    for (let p = users.offsets[i] as number; p < (users.offsets[i + 1] as number); p++) {
      const f = users.indices[p] as number;
      if (f >= W) break;
      score += truth.eta[j * W + f] as number;
    }
    return score;
  };

  const drawContext = (rng: SeededRng, out: Int32Array): void => {
    for (let f = 0; f < fields; f++) out[f] = (contextFieldOffsets[f] as number) + sampleCdf(contextCdfs[f] as Float64Array, rng.nextFloat());
  };

  // Calibrate δ_j so that each campaign's expected click rate over its traffic equals a target
  // drawn log-uniformly from [ctrMin, ctrMax]; the expectation is taken over a fixed sample of
  // (user, context) draws from the traffic distribution.
  const calRng = root.fork('calibration');
  const calibrationDraws = 500;
  const calUsers = new Int32Array(calibrationDraws);
  const calContexts = new Int32Array(calibrationDraws * fields);
  for (let d = 0; d < calibrationDraws; d++) {
    calUsers[d] = userByRank[sampleCdf(userCdf, calRng.nextFloat())] as number;
    drawContext(calRng, calContexts.subarray(d * fields, (d + 1) * fields));
  }
  const campaignTargetCtr = new Float64Array(o.campaigns);
  const rest = new Float64Array(calibrationDraws);
  for (let j = 0; j < o.campaigns; j++) {
    const target = Math.exp(Math.log(o.ctrMin) + calRng.nextFloat() * (Math.log(o.ctrMax) - Math.log(o.ctrMin)));
    campaignTargetCtr[j] = target;
    delta[j] = 0;
    for (let d = 0; d < calibrationDraws; d++) rest[d] = logitOf(calUsers[d] as number, j, calContexts.subarray(d * fields, (d + 1) * fields));
    delta[j] = solveShift(rest, target);
  }

  const population: TrafficPopulation = {
    userFeatureOffsets: users.offsets,
    userFeatureIndices: users.indices,
    adFeatureOffsets: ads.offsets,
    adFeatureIndices: ads.indices,
    campaignShare,
    campaignTargetCtr,
    contextFieldOffsets,
  };

  function* rows(): Generator<TrafficRow, void, undefined> {
    const rng = root.fork('impressions');
    for (let index = 0; index < o.rows; index++) {
      const campaign = campaignByRank[sampleCdf(campaignCdf, rng.nextFloat())] as number;
      const user = userByRank[sampleCdf(userCdf, rng.nextFloat())] as number;
      const contextFeatures = new Int32Array(fields);
      drawContext(rng, contextFeatures);
      const pTrue = sigmoid(logitOf(user, campaign, contextFeatures));
      const label = rng.nextFloat() < pTrue ? 1 : 0;
      yield {
        index,
        label,
        campaign,
        user,
        pTrue,
        userFeatures: users.indices.subarray(users.offsets[user] as number, users.offsets[user + 1] as number),
        adFeatures: ads.indices.subarray(ads.offsets[campaign] as number, ads.offsets[campaign + 1] as number),
        contextFeatures,
      };
    }
  }

  return { options: o, truth, population, logit: logitOf, rows };
}

export function sigmoid(s: number): number {
  return s >= 0 ? 1 / (1 + Math.exp(-s)) : Math.exp(s) / (1 + Math.exp(s));
}

function logit(p: number): number {
  return Math.log(p / (1 - p));
}

/** The shift d with mean σ(rest + d) = target; the mean is increasing in d, so bisection converges. */
function solveShift(rest: Float64Array, target: number): number {
  let lo = -30;
  let hi = 30;
  for (let it = 0; it < 60; it++) {
    const mid = 0.5 * (lo + hi);
    let m = 0;
    for (let d = 0; d < rest.length; d++) m += sigmoid((rest[d] as number) + mid);
    if (m / rest.length < target) lo = mid;
    else hi = mid;
  }
  return 0.5 * (lo + hi);
}

/** Cumulative distribution of Zipf weights 1/(rank+1)^s over n ranks. */
function zipfCdf(n: number, exponent: number): Float64Array {
  return cdfOf(Array.from({ length: n }, (_, r) => 1 / Math.pow(r + 1, exponent)));
}

function cdfOf(weights: ArrayLike<number>): Float64Array {
  const cdf = new Float64Array(weights.length);
  let total = 0;
  for (let i = 0; i < weights.length; i++) total += weights[i] as number;
  let acc = 0;
  for (let i = 0; i < weights.length; i++) {
    acc += (weights[i] as number) / total;
    cdf[i] = acc;
  }
  cdf[weights.length - 1] = 1;
  return cdf;
}

/** Smallest i with u < cdf[i] (binary search). */
function sampleCdf(cdf: Float64Array, u: number): number {
  let lo = 0;
  let hi = cdf.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (u < (cdf[mid] as number)) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

interface FeatureSets {
  readonly offsets: Int32Array;
  readonly indices: Int32Array;
}

/** Each entity draws between half and 1.5× `meanActive` distinct features by Zipf popularity. */
function drawFeatureSets(rng: SeededRng, entities: number, dimension: number, meanActive: number, skew: number): FeatureSets {
  const cdf = zipfCdf(dimension, skew);
  const offsets = new Int32Array(entities + 1);
  const chunks: Int32Array[] = [];
  const seen = new Set<number>();
  const lowCount = Math.max(1, Math.ceil(meanActive / 2));
  const highCount = Math.min(dimension, Math.floor(meanActive * 1.5));
  for (let e = 0; e < entities; e++) {
    const count = lowCount + rng.nextInt(highCount - lowCount + 1);
    seen.clear();
    while (seen.size < count) seen.add(sampleCdf(cdf, rng.nextFloat()));
    const chunk = Int32Array.from(seen).sort();
    chunks.push(chunk);
    offsets[e + 1] = (offsets[e] as number) + chunk.length;
  }
  const indices = new Int32Array(offsets[entities] as number);
  chunks.forEach((c, e) => indices.set(c, offsets[e] as number));
  return { offsets, indices };
}

/** Per entity: Σ main[f], and Σ A[f, ·] and Σ B[f, ·] (rank k) over its active features f. */
function entitySums(sets: FeatureSets, main: Float64Array, factorsA: Float64Array, factorsB: Float64Array, k: number): [Float64Array, Float64Array, Float64Array] {
  const n = sets.offsets.length - 1;
  const sumMain = new Float64Array(n);
  const sumA = new Float64Array(n * k);
  const sumB = new Float64Array(n * k);
  for (let e = 0; e < n; e++) {
    for (let p = sets.offsets[e] as number; p < (sets.offsets[e + 1] as number); p++) {
      const f = sets.indices[p] as number;
      sumMain[e] = (sumMain[e] as number) + (main[f] as number);
      for (let r = 0; r < k; r++) {
        sumA[e * k + r] = (sumA[e * k + r] as number) + (factorsA[f * k + r] as number);
        sumB[e * k + r] = (sumB[e * k + r] as number) + (factorsB[f * k + r] as number);
      }
    }
  }
  return [sumMain, sumA, sumB];
}

function meanCountBelow(sets: FeatureSets, bound: number): number {
  let total = 0;
  for (let i = 0; i < sets.indices.length; i++) if ((sets.indices[i] as number) < bound) total++;
  return total / (sets.offsets.length - 1);
}
