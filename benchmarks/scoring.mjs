// Scoring one request of 1 user × 1,000 candidate ads, side by side in one run:
// 1. warm cache: our scorer with per-ad partials materialized and the user's partials cached;
//    p50/p99 latency, marginal cost per ad (1,000 vs 100 candidates), sequential requests/s on one core;
// 2. direct: the same requests scored ad by ad from the model (ModelPredictor), then sorted;
// 3. onnxruntime-node: the same model as a linear model over assembled features (if it installs);
// 4. slow features: user features read from a real Redis for every request, 5% of reads delayed by
//    50 ms, deadline 10 ms: p99 latency, answered fraction, and the expected log loss against the
//    model's own click probabilities, relative to the same run without delays.
// `npm run bench -- scoring [--requests N] [--no-onnx] [--no-redis]`
import { performance } from 'node:perf_hooks';
import { SeededRng, sparseVector } from '@laserkit/core';
import { InProcessTier } from '@laserkit/cache';
import { Scorer } from '@laserkit/scorer';
import { WORKLOAD, buildWorkload, linearForm } from './lib/scoring-workload.mjs';

function parseArgs(args) {
  const o = { requests: 3_000, onnx: true, redis: true };
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--requests') o.requests = Number(args[++i]);
    else if (args[i] === '--no-onnx') o.onnx = false;
    else if (args[i] === '--no-redis') o.redis = false;
    else throw new Error(`unknown argument ${JSON.stringify(args[i])}; known: --requests N, --no-onnx, --no-redis`);
  }
  return o;
}

const quantile = (xs, q) => {
  const s = Float64Array.from(xs).sort();
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
};
const median = (xs) => quantile(xs, 0.5);

/** Runs `fn` for each request index, sequentially; returns each latency in ms. */
async function timeEach(count, fn) {
  const out = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    const t = performance.now();
    await fn(i);
    out[i] = performance.now() - t;
  }
  return out;
}

export async function run(args) {
  const o = parseArgs(args);
  const t0 = performance.now();
  const { model, ads, users, contexts, predictor } = buildWorkload();
  console.log(`workload: ${Object.values(WORKLOAD.dims).reduce((a, b) => a + b)} features, ${model.crosses.map((c) => `${c.id} ${c.leftIndex.length} pairs`).join(', ')}, ${ads.length} ads, built in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const rng = new SeededRng(3);
  const allIds = ads.map((a) => a.id);
  // Candidates arrive in retrieval order, not catalog order: 16 shuffles of all 1,000 ads, and 16
  // random subsets of 100 for the marginal cost per ad.
  const shuffle = (xs) => {
    const out = [...xs];
    for (let i = out.length - 1; i > 0; i--) {
      const j = rng.nextInt(i + 1);
      [out[i], out[j]] = [out[j], out[i]];
    }
    return out;
  };
  const orders = Array.from({ length: 16 }, () => shuffle(allIds));
  const subsets = Array.from({ length: 16 }, () => shuffle(allIds).slice(0, 100));
  const adById = new Map(ads.map((a) => [a.id, a]));

  // 1. Warm cache: every user's vector and partials are cached before timing.
  const tm = performance.now();
  const scorer = new Scorer({ model, ads, cache: new InProcessTier({ maxEntries: 200_000 }) });
  const materializeMs = performance.now() - tm;
  const pool = 2_000;
  const userSource = (i) => ({ key: `user:${i}`, get: () => users[i] });
  const ctxSource = (i) => ({ key: `ctx:${i}`, get: () => contexts[i] });
  for (let i = 0; i < pool; i++) await scorer.rank({ user: userSource(i), context: ctxSource(i % contexts.length), candidates: subsets[0] });
  const reqs = Array.from({ length: o.requests }, () => [rng.nextInt(pool), rng.nextInt(contexts.length)]);
  const warmRank = (i, ids) => scorer.rank({ user: userSource(reqs[i][0]), context: ctxSource(reqs[i][1]), candidates: ids });
  await timeEach(300, (i) => warmRank(i, orders[i % 16])); // JIT warm-up
  const lat1000 = await timeEach(o.requests, (i) => warmRank(i, orders[i % 16]));
  const lat100 = await timeEach(o.requests, (i) => warmRank(i, subsets[i % 16]));
  const usPerAd = ((median(lat1000) - median(lat100)) / 900) * 1000;
  const tThroughput = performance.now();
  let done = 0;
  while (performance.now() - tThroughput < 3_000) {
    await warmRank(done % o.requests, orders[done % 16]);
    done++;
  }
  const requestsPerSecond = done / ((performance.now() - tThroughput) / 1000);
  const warm = { p50Ms: median(lat1000), p99Ms: quantile(lat1000, 0.99), usPerAd, requestsPerSecond, p50Ms100Ads: median(lat100), requests: o.requests, materializeMs };
  console.log(`warm: p50 ${warm.p50Ms.toFixed(3)} ms, p99 ${warm.p99Ms.toFixed(3)} ms, ${usPerAd.toFixed(3)} µs/ad marginal, ${requestsPerSecond.toFixed(0)} req/s (1 core)`);

  // 2. Direct from the model, ad by ad, then sorted: the reference the cache must beat.
  const directRank = (i) => {
    const user = users[reqs[i][0]];
    const context = contexts[reqs[i][1]];
    const scores = allIds.map((id) => {
      const ad = adById.get(id);
      return predictor.predict({ user, context, ad: ad.features, entities: ad.entities }).score;
    });
    return Int32Array.from(scores.keys()).sort((a, b) => scores[b] - scores[a]);
  };
  const directCount = Math.min(300, o.requests);
  await timeEach(20, directRank);
  const latDirect = await timeEach(directCount, directRank);
  const lat1000Same = lat1000.slice(0, directCount);
  const direct = { p50Ms: median(latDirect), usPerAd: (median(latDirect) / allIds.length) * 1000 };
  const ratioVsDirect = direct.p50Ms / median(lat1000Same);
  console.log(`direct: p50 ${direct.p50Ms.toFixed(3)} ms → cached path ${ratioVsDirect.toFixed(1)}× faster`);

  // Exactness on the benchmark's own model: cached scores equal direct ones.
  let maxAbsDiff = 0;
  for (let i = 0; i < 20; i++) {
    const res = await warmRank(i, allIds);
    const user = users[reqs[i][0]];
    const context = contexts[reqs[i][1]];
    for (const r of res.ranked) {
      const ad = adById.get(r.adId);
      maxAbsDiff = Math.max(maxAbsDiff, Math.abs(r.score - predictor.predict({ user, context, ad: ad.features, entities: ad.entities }).score));
    }
  }

  // 3. onnxruntime-node over assembled features.
  let onnx = { available: false, reason: 'skipped (--no-onnx)' };
  let ratioVsOnnxruntime = null;
  if (o.onnx) {
    const { loadOnnxLinear } = await import('./lib/onnx-linear.mjs');
    const lin = linearForm(model);
    const rows = allIds.map((id) => adById.get(id));
    // Size K from the widest row of a sample.
    const probeIdx = new BigInt64Array(4096);
    const probeVal = new Float32Array(4096);
    let K = 0;
    for (let i = 0; i < 50; i++) for (const ad of rows) K = Math.max(K, lin.assemble({ user: users[reqs[i][0]], context: contexts[reqs[i][1]], ad: ad.features, entities: ad.entities }, probeIdx, probeVal, 0));
    const peer = await loadOnnxLinear({ weights: lin.weights, bias: lin.bias, K, intraOpThreads: 1 });
    if (!peer.available) onnx = { available: false, reason: peer.reason };
    else {
      const B = rows.length;
      const inputs = Array.from({ length: Math.min(100, o.requests) }, (_, i) => {
        const idx = new BigInt64Array(B * K);
        const val = new Float32Array(B * K);
        rows.forEach((ad, b) => lin.assemble({ user: users[reqs[i][0]], context: contexts[reqs[i][1]], ad: ad.features, entities: ad.entities }, idx, val, b * K));
        return { idx, val };
      });
      // Check it computes the same scores (float32) before timing it.
      const check = await peer.run(inputs[0].idx, inputs[0].val, B);
      const ref = await warmRank(0, allIds);
      let maxRel = 0;
      for (const r of ref.ranked) maxRel = Math.max(maxRel, Math.abs(check[r.position] - r.score) / Math.max(1, Math.abs(r.score)));
      for (let i = 0; i < 10; i++) await peer.run(inputs[i % inputs.length].idx, inputs[i % inputs.length].val, B);
      const latOnnx = await timeEach(inputs.length, (i) => peer.run(inputs[i].idx, inputs[i].val, B));
      onnx = { available: true, version: peer.version, K, p50Ms: median(latOnnx), p99Ms: quantile(latOnnx, 0.99), maxRelDiffVsScorer: maxRel, note: 'session.run only: feature assembly and sorting are not counted for onnxruntime' };
      ratioVsOnnxruntime = onnx.p50Ms / median(lat1000);
      peer.close();
      console.log(`onnxruntime-node ${peer.version}: p50 ${onnx.p50Ms.toFixed(3)} ms (K ${K}) → cached path ${ratioVsOnnxruntime.toFixed(1)}× faster`);
    }
  }

  // 4. Slow features from a real Redis.
  let slowFeatures = null;
  if (o.redis) slowFeatures = await slowFeaturesRun({ model, ads, users, contexts, allIds, requests: Math.min(o.requests, 4_000) });

  return {
    workload: { ...WORKLOAD, pairs: Object.fromEntries(model.crosses.map((c) => [c.id, c.leftIndex.length])) },
    warm,
    direct,
    ratioVsDirect,
    exactness: { maxAbsDiffVsDirect: maxAbsDiff, requests: 20 },
    onnxruntime: onnx,
    ratioVsOnnxruntime,
    slowFeatures,
    goals: { usPerAd: 0.3, p99Ms: 1, requestsPerSecond: 2000, ratioVsDirect: 5, ratioVsOnnxruntime: 3, slowP99Ms: 11, slowLogLossRelIncrease: 0.01 },
  };
}

async function slowFeaturesRun({ model, ads, users, contexts, allIds, requests }) {
  const { Redis } = await import('ioredis');
  const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1, connectTimeout: 2_000 });
  try {
    await redis.connect();
  } catch (e) {
    console.log(`slow features: skipped, Redis not reachable at ${url} (${e.message}); start it with npm run services:start`);
    return { skipped: `Redis not reachable at ${url}` };
  }
  const prefix = 'laserkit:bench:user:';
  try {
    // User features live in Redis as a hash per user: feature index → value.
    for (let i = 0; i < requests; i += 500) {
      const p = redis.pipeline();
      for (let u = i; u < Math.min(requests, i + 500); u++) {
        const v = users[u];
        const fields = [];
        for (let k = 0; k < v.indices.length; k++) fields.push(String(v.indices[k]), String(v.values[k]));
        p.del(prefix + u).hset(prefix + u, ...fields);
      }
      await p.exec();
    }
    const fromRedis = async (u) => {
      const h = await redis.hgetall(prefix + u);
      const idx = Object.keys(h).map(Number);
      return sparseVector(model.dimensions.user, idx, idx.map((k) => Number(h[String(k)])));
    };
    const rng = new SeededRng(99);
    const delayed = Uint8Array.from({ length: requests }, () => (rng.nextFloat() < 0.05 ? 1 : 0));
    const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
    const runOnce = async (withDelays) => {
      // A fresh scorer per run and a distinct user per request: every request reads Redis.
      const scorer = new Scorer({ model, ads, defaultDeadlineMs: 10 });
      const lat = new Float64Array(requests);
      let answered = 0;
      let substituted = 0;
      let loss = 0;
      let count = 0;
      const predictor = (await import('@laserkit/model')).ModelPredictor;
      const truth = new predictor(model);
      for (let u = 0; u < requests; u++) {
        const source = { key: `user:${u}`, get: async () => (withDelays && delayed[u] === 1 ? (await sleep(50), fromRedis(u)) : fromRedis(u)) };
        const ctx = contexts[u % contexts.length];
        const t = performance.now();
        const res = await scorer.rank({ user: source, context: ctx, candidates: allIds, deadlineMs: 10 });
        lat[u] = performance.now() - t;
        answered += res.ranked.length === allIds.length ? 1 : 0;
        if (res.substituted.length > 0) substituted++;
        // Expected log loss against the model's own probabilities on a sample of the candidates.
        for (let k = 0; k < res.ranked.length; k += 50) {
          const r = res.ranked[k];
          const ad = ads[r.position];
          const p = truth.predict({ user: users[u], context: ctx, ad: ad.features, entities: ad.entities }).response;
          const q = Math.min(1 - 1e-15, Math.max(1e-15, r.response));
          loss -= p * Math.log(q) + (1 - p) * Math.log(1 - q);
          count++;
        }
      }
      return { p50Ms: median(lat), p99Ms: quantile(lat, 0.99), maxMs: Math.max(...lat), answeredFraction: answered / requests, substitutedFraction: substituted / requests, logLoss: loss / count };
    };
    const base = await runOnce(false);
    const slow = await runOnce(true);
    const out = { ...slow, requests, delayedFraction: delayed.reduce((a, b) => a + b, 0) / requests, delayMs: 50, deadlineMs: 10, baseline: base, logLossRelIncrease: slow.logLoss / base.logLoss - 1 };
    console.log(`slow features: p99 ${out.p99Ms.toFixed(2)} ms, answered ${(out.answeredFraction * 100).toFixed(1)}%, substituted ${(out.substitutedFraction * 100).toFixed(1)}%, log loss +${(out.logLossRelIncrease * 100).toFixed(2)}%`);
    return out;
  } finally {
    const keys = await redis.keys(`${prefix}*`);
    for (let i = 0; i < keys.length; i += 1000) await redis.del(...keys.slice(i, i + 1000));
    await redis.quit();
  }
}
