import { InProcessTier, TieredCache, lruClock, type PartialKey, type PartialValue, type PartialsTier, type TierStats } from '@laserkit/cache';
import {
  CircuitBreaker,
  LaserError,
  SeededRng,
  checkInteger,
  checkKnownKeys,
  checkPositive,
  invalidArgument,
  systemClock,
  withTimeout,
  type CircuitBreakerOptions,
  type Clock,
  type FeatureNamespace,
  type SparseVector,
} from '@laserkit/core';
import { TrafficRamp, type Candidates, type Decision, type Policy } from '@laserkit/explore';
import type { Lazy } from '@laserkit/features';
import { applyLink, randomEffectWidth, selectedDot, validateModel, type GlmixModel, type RandomEffectBlock, type TermId } from '@laserkit/model';
import { LRUCache } from 'lru-cache';
import { AdCatalog, checkSparseContent, type AdInput, type FeatureRows } from './ad-catalog.js';
import { RankOrder } from './rank-order.js';
import { leftOf, sidePartialSpecs, userContextValue, type SidePartialSpec } from './request-side.js';

/**
 * A request-side feature vector that may not be ready yet: the feature pipeline's keyed lazy
 * vector. `key` names its content (it depends only on request info), `get()` produces it,
 * possibly from a slow backend.
 */
export type VectorSource = Lazy<SparseVector>;

export type RequestVector = SparseVector | VectorSource;

/** The candidate set the explore layer sees: scores at the mode and warm-start variances. */
export type PolicyCandidates = Candidates;
export type PolicyDecision = Decision;

/** An explore/exploit policy of @laserkit/explore: chooses the shown slate and logs its propensity. */
export type RankingPolicy = Pick<Policy, 'name' | 'decide'>;

export interface RankRequest {
  /** The user's features x_i, or a keyed source of them. */
  readonly user?: RequestVector;
  /** The context's features z_t, or a keyed source of them. */
  readonly context?: RequestVector;
  /** Ids of ads registered with the scorer (`setAds` / `upsertAds`). */
  readonly candidates: readonly string[];
  /** Time budget of the request; inputs not ready by then are replaced by term means. @default options.defaultDeadlineMs */
  readonly deadlineMs?: number;
  /** Request-side entity ids (e.g. { member: "u42" }) for random effects not carried by ads. */
  readonly entities?: Readonly<Record<string, string>>;
  /** Per-candidate bids, parallel to `candidates`, for policies that rank by bid × probability. */
  readonly bids?: ArrayLike<number>;
  /** The user's id: required when the policy is a traffic ramp, which assigns users to arms by it. */
  readonly userId?: string;
  /** Size of the slate a policy chooses. @default 1 */
  readonly slateSize?: number;
  /** Return every term's value per candidate (for debugging and parity checks; slower). */
  readonly explain?: boolean;
  /**
   * How many of the best ads to return as `ranked` objects (all are scored and ordered either way;
   * `order` and `scores` hold every candidate). A page with a few slots needs a few. @default all
   */
  readonly limit?: number;
}

export interface RankedAd {
  readonly adId: string;
  /** Index in the request's `candidates`. */
  readonly position: number;
  /** Linear predictor s at the posterior mode. */
  readonly score: number;
  /** The model's response for s (σ(s) for the logistic link). */
  readonly response: number;
}

export type FallbackReason = 'deadline' | 'error' | 'circuit-open';

export interface RankResult {
  readonly modelVersion: string;
  /** The best `limit` candidates (all by default), best first by score at the mode. */
  readonly ranked: readonly RankedAd[];
  /** Every candidate's position in the request, best first. */
  readonly order: Int32Array;
  /** Every candidate's score at the mode, by position in the request. */
  readonly scores: Float64Array;
  /**
   * Terms replaced by their mean over an unbiased sample because an input was not ready; a
   * random-effect part (`re:<id>:user`) when only that part of the term was replaced.
   */
  readonly substituted: readonly TermId[];
  /** Inputs that were not ready, and why. */
  readonly fallbacks: readonly { readonly namespace: FeatureNamespace; readonly reason: FallbackReason }[];
  /** The policy's choice, when the scorer has a policy. */
  readonly decision?: PolicyDecision & { readonly adIds: readonly string[] };
  /** With `explain`: each term's value per candidate position. */
  readonly terms?: ReadonlyMap<TermId, Float64Array>;
  readonly elapsedMs: number;
}

export interface ScorerLimits {
  /** Most candidates in one request. @default 10000 */
  readonly maxCandidates?: number;
  /** Most active features in one request-side vector. @default 10000 */
  readonly maxActiveFeatures?: number;
}

export interface ScorerOptions {
  readonly model: GlmixModel;
  /** Ads to pre-materialize. @default [] */
  readonly ads?: readonly AdInput[];
  /** Where per-user and per-context partials are cached. @default a new InProcessTier */
  readonly cache?: PartialsTier;
  /** Request-side vectors held in process, by their source key. @default 100000 */
  readonly maxCachedVectors?: number;
  /** How long a fetched request-side vector is reused before its source is asked again (user features change). @default 60000 */
  readonly vectorTtlMs?: number;
  /** Deadline of a request that does not give one. @default 10 */
  readonly defaultDeadlineMs?: number;
  /** Time kept back from the deadline for scoring itself. @default 0.5 */
  readonly computeReserveMs?: number;
  /**
   * How long a background fetch of an input may run before it counts as a backend failure (it
   * keeps running past the request's deadline so its result can be cached). @default 2000
   */
  readonly fetchTimeoutMs?: number;
  readonly limits?: ScorerLimits;
  /** Guards each input backend (one breaker per namespace). */
  readonly breaker?: CircuitBreakerOptions;
  /** How the shown ads are chosen: a policy, or a traffic ramp of named arms (needs `request.userId`). */
  readonly policy?: RankingPolicy | TrafficRamp;
  /** Randomness of the policy. @default new SeededRng(1) */
  readonly rng?: SeededRng;
  readonly clock?: Clock;
  /** Called when a fetch of an input or a cache write fails (the request itself falls back and is answered). */
  readonly onBackgroundError?: (error: unknown) => void;
}

export const DEFAULT_SCORER_OPTIONS = Object.freeze({
  maxCachedVectors: 100_000,
  vectorTtlMs: 60_000,
  defaultDeadlineMs: 10,
  computeReserveMs: 0.5,
  fetchTimeoutMs: 2_000,
  maxCandidates: 10_000,
  maxActiveFeatures: 10_000,
});

/** One model with its materialized ads: swapped as a whole, so a request never mixes versions. */
interface ActiveModel {
  readonly model: GlmixModel;
  /** id@version, as reported. */
  readonly version: string;
  /** What cache keys carry: id@version@createdAtMs, so a retrained model that reuses an id and version never reads the old one's partials. */
  readonly cacheVersion: string;
  readonly catalog: AdCatalog;
  readonly means: ReadonlyMap<string, number>;
  readonly sideSpecs: Readonly<Record<'user' | 'context', readonly SidePartialSpec[]>>;
  readonly entityIndex: ReadonlyMap<string, ReadonlyMap<string, number>>;
}

/** What the scorer knows about one request-side input once the deadline has passed or it arrived. */
interface Side {
  readonly vector: SparseVector | null;
  /** Cached or computed partials by term (main:ns, factors:*). */
  readonly partials: Map<string, PartialValue>;
  readonly fallback: FallbackReason | null;
}

/** An input still being fetched; `partials` fills in as cache tiers answer. */
interface PendingSide {
  readonly partials: Map<string, PartialValue>;
  readonly promise: Promise<Side>;
}

const NO_PARTIALS: ReadonlyMap<string, PartialValue> = new Map();

/**
 * Deadline-bounded scoring and ranking (LASER, WSDM 2014 §4): request-side partials come from the
 * cache or are computed once per request, per-ad partials were materialized when the model or the
 * ads changed, and a term whose inputs are late is replaced by its mean ("better wrong than late")
 * while its real value is computed in the background for the next request.
 */
export class Scorer {
  private active: ActiveModel;
  private previous: ActiveModel | null = null;
  private ads: Map<string, AdInput>;
  private readonly cache: PartialsTier;
  private readonly local: InProcessTier | null;
  private readonly vectors: LRUCache<string, SparseVector>;
  private readonly inflight = new Map<string, Promise<SparseVector>>();
  private readonly breakers: Record<'user' | 'context', CircuitBreaker>;
  private readonly clock: Clock;
  private readonly defaultDeadlineMs: number;
  private readonly computeReserveMs: number;
  private readonly fetchTimeoutMs: number;
  private readonly maxCandidates: number;
  private readonly maxActiveFeatures: number;
  private readonly policy: RankingPolicy | TrafficRamp | undefined;
  private readonly rng: SeededRng;
  private readonly onBackgroundError: (error: unknown) => void;
  private readonly ranker = new RankOrder();
  /** Requests answered, and how many substituted at least one term. */
  readonly counters = { requests: 0, substitutedRequests: 0, backgroundErrors: 0 };

  constructor(options: ScorerOptions) {
    checkKnownKeys('options', options, ['model', 'ads', 'cache', 'maxCachedVectors', 'vectorTtlMs', 'defaultDeadlineMs', 'computeReserveMs', 'fetchTimeoutMs', 'limits', 'breaker', 'policy', 'rng', 'clock', 'onBackgroundError']);
    const d = DEFAULT_SCORER_OPTIONS;
    this.defaultDeadlineMs = checkPositive('defaultDeadlineMs', options.defaultDeadlineMs ?? d.defaultDeadlineMs);
    this.computeReserveMs = checkPositive('computeReserveMs', options.computeReserveMs ?? d.computeReserveMs);
    this.fetchTimeoutMs = checkPositive('fetchTimeoutMs', options.fetchTimeoutMs ?? d.fetchTimeoutMs);
    this.maxCandidates = checkInteger('limits.maxCandidates', options.limits?.maxCandidates ?? d.maxCandidates, 1, 2 ** 20);
    this.maxActiveFeatures = checkInteger('limits.maxActiveFeatures', options.limits?.maxActiveFeatures ?? d.maxActiveFeatures, 1);
    this.clock = options.clock ?? systemClock;
    this.cache = options.cache ?? new InProcessTier({ clock: this.clock });
    this.local = this.cache instanceof InProcessTier ? this.cache : this.cache instanceof TieredCache ? this.cache.local : null;
    this.vectors = new LRUCache({
      max: checkInteger('maxCachedVectors', options.maxCachedVectors ?? d.maxCachedVectors, 1),
      ttl: checkPositive('vectorTtlMs', options.vectorTtlMs ?? d.vectorTtlMs),
      ttlResolution: 0,
      perf: lruClock(this.clock),
    });
    this.breakers = { user: new CircuitBreaker({ clock: this.clock, ...options.breaker }), context: new CircuitBreaker({ clock: this.clock, ...options.breaker }) };
    this.policy = options.policy;
    this.rng = options.rng ?? new SeededRng(1);
    this.onBackgroundError = options.onBackgroundError ?? (() => undefined);
    this.ads = new Map();
    for (const a of options.ads ?? []) this.ads.set(a.id, a);
    this.active = activate(validateModel(options.model), [...this.ads.values()]);
  }

  /** Request counters and each cache tier's hits and misses, per term. */
  stats(): { readonly requests: number; readonly substitutedRequests: number; readonly backgroundErrors: number; readonly cache: readonly TierStats[]; readonly breakers: Readonly<Record<'user' | 'context', string>> } {
    const cache = this.cache instanceof TieredCache ? this.cache.allStats() : [this.cache.stats()];
    return { ...this.counters, cache, breakers: { user: this.breakers.user.state, context: this.breakers.context.state } };
  }

  get modelVersion(): string {
    return this.active.version;
  }

  get model(): GlmixModel {
    return this.active.model;
  }

  /** Replaces the ad set and re-materializes its partials. */
  setAds(ads: readonly AdInput[]): void {
    const next = new Map(ads.map((a) => [a.id, a]));
    this.active = activate(this.active.model, [...next.values()]);
    // The model to restore is re-materialized against the same ads.
    if (this.previous !== null) this.previous = activate(this.previous.model, [...next.values()]);
    this.ads = next;
  }

  /** Adds or changes ads (re-materializing the catalog). */
  upsertAds(ads: readonly AdInput[]): void {
    const next = new Map(this.ads);
    for (const a of ads) next.set(a.id, a);
    this.setAds([...next.values()]);
  }

  removeAds(ids: readonly string[]): void {
    const next = new Map(this.ads);
    for (const id of ids) next.delete(id);
    this.setAds([...next.values()]);
  }

  /**
   * Swaps in a new model: its ad partials are materialized first, then one reference changes, so
   * requests in flight finish on the model they started with. The replaced model is kept for
   * `restorePreviousModel()`.
   */
  setModel(model: GlmixModel): void {
    const next = activate(validateModel(model), [...this.ads.values()]);
    this.previous = this.active;
    this.active = next;
  }

  /** Goes back to the model before the last `setModel`; returns false when there is none. */
  restorePreviousModel(): boolean {
    if (this.previous === null) return false;
    const p = this.previous;
    this.previous = this.active;
    this.active = p;
    return true;
  }

  async rank(request: RankRequest): Promise<RankResult> {
    const started = this.clock.monotonicMs();
    const active = this.active;
    const slots = this.checkRequest(request, active);
    const deadlineMs = request.deadlineMs ?? this.defaultDeadlineMs;
    const budgetMs = Math.max(0, deadlineMs - this.computeReserveMs);

    const sides = await this.resolveSides(active, request, started, budgetMs);
    const result = this.score(active, request, slots, sides.user, sides.context);
    this.counters.requests++;
    if (result.substituted.length > 0) this.counters.substitutedRequests++;
    return { ...result, elapsedMs: this.clock.monotonicMs() - started };
  }

  /** Validates the request; returns each candidate's slot in the catalog. */
  private checkRequest(request: RankRequest, active: ActiveModel): Int32Array {
    if (request === null || typeof request !== 'object') throw invalidArgument('request', request, 'must be an object');
    const c = request.candidates;
    if (!Array.isArray(c)) throw invalidArgument('request.candidates', c, 'must be an array of ad ids');
    if (c.length === 0) throw invalidArgument('request.candidates', c, 'must not be empty');
    if (c.length > this.maxCandidates) throw invalidArgument('request.candidates', c, `must hold at most ${this.maxCandidates} ads (limits.maxCandidates)`);
    if (request.deadlineMs !== undefined && (!Number.isFinite(request.deadlineMs) || request.deadlineMs <= 0)) throw invalidArgument('request.deadlineMs', request.deadlineMs, 'must be a finite number > 0');
    if (request.bids !== undefined && request.bids.length !== c.length) throw invalidArgument('request.bids', request.bids, `must have one bid per candidate (${c.length})`);
    if (request.limit !== undefined && (!Number.isInteger(request.limit) || request.limit < 0)) throw invalidArgument('request.limit', request.limit, 'must be an integer >= 0');
    if (request.slateSize !== undefined && (!Number.isInteger(request.slateSize) || request.slateSize < 1)) throw invalidArgument('request.slateSize', request.slateSize, 'must be an integer >= 1');
    if (this.policy instanceof TrafficRamp && (typeof request.userId !== 'string' || request.userId.length === 0)) throw invalidArgument('request.userId', request.userId, 'must be a non-empty string: the scorer ranks through a traffic ramp, which assigns users to arms by id');
    const slots = new Int32Array(c.length);
    for (let i = 0; i < c.length; i++) {
      const slot = active.catalog.slotOf(c[i] as string);
      if (slot < 0) throw invalidArgument(`request.candidates[${i}]`, c[i], 'must be the id of an ad registered with the scorer (setAds/upsertAds)');
      slots[i] = slot;
    }
    return slots;
  }

  private checkVector(ns: FeatureNamespace, v: SparseVector, model: GlmixModel): SparseVector {
    if (v === null || typeof v !== 'object' || !(v.indices instanceof Int32Array) || !(v.values instanceof Float64Array)) throw invalidArgument(`request.${ns}`, v, 'must be a SparseVector (or a keyed source of one)');
    if (v.dimension !== model.dimensions[ns]) throw invalidArgument(`request.${ns}.dimension`, v.dimension, `must equal the model's dimensions.${ns} (${model.dimensions[ns]})`);
    if (v.indices.length > this.maxActiveFeatures) throw invalidArgument(`request.${ns}.indices`, v.indices, `must hold at most ${this.maxActiveFeatures} active features (limits.maxActiveFeatures)`);
    checkSparseContent(`request.${ns}`, v);
    return v;
  }

  private async resolveSides(active: ActiveModel, request: RankRequest, started: number, budgetMs: number): Promise<Record<'user' | 'context', Side>> {
    const user = this.startSide(active, 'user', request.user);
    const context = this.startSide(active, 'context', request.context);
    if (!('promise' in user) && !('promise' in context)) return { user, context };
    // Wait for the slow inputs, but not past the deadline.
    const remaining = Math.max(0, budgetMs - (this.clock.monotonicMs() - started));
    let timer: ReturnType<Clock['setTimeout']> | undefined;
    const deadline = new Promise<'deadline'>((resolve) => {
      timer = this.clock.setTimeout(() => resolve('deadline'), remaining);
    });
    // Past the deadline without the vector: whatever partials arrived by then; the rest become means.
    const settle = (s: Side | PendingSide): Promise<Side> =>
      'promise' in s ? Promise.race([s.promise, deadline.then((): Side => ({ vector: null, partials: s.partials, fallback: 'deadline' }))]) : Promise.resolve(s);
    try {
      const [u, c] = await Promise.all([settle(user), settle(context)]);
      return { user: u, context: c };
    } finally {
      if (timer !== undefined) this.clock.clearTimeout(timer);
    }
  }

  /** A side that is ready now (a vector, or a cached one), or a pending one. */
  private startSide(active: ActiveModel, ns: 'user' | 'context', input: RequestVector | undefined): Side | PendingSide {
    if (input === undefined) return { vector: null, partials: new Map(), fallback: null };
    if (!('key' in input) || typeof (input as VectorSource).get !== 'function') {
      const v = this.checkVector(ns, input as SparseVector, active.model);
      return { vector: v, partials: computePartials(active.sideSpecs[ns], v, NO_PARTIALS), fallback: null };
    }
    const source = input as VectorSource;
    if (typeof source.key !== 'string' || source.key.length === 0) throw invalidArgument(`request.${ns}.key`, source.key, 'must be a non-empty string');
    const cached = this.vectors.get(`${ns}|${source.key}`);
    const partials = this.cachedPartials(active, ns, source.key);
    if (cached !== undefined) return this.readySide(active, ns, source.key, cached, partials);
    // Meanwhile, ask the shared tier (another node may have computed this user's partials): what it
    // returns before the deadline spares those terms from substitution if the vector is late.
    const shared = this.sharedPartials(active, ns, source.key, partials);
    const breaker = this.breakers[ns];
    if (!breaker.allows()) return { partials, promise: shared.then(() => ({ vector: null, partials, fallback: 'circuit-open' })) };
    return {
      partials,
      promise: this.fetch(ns, source, breaker, active.model).then(
        (v) => this.readySide(active, ns, source.key, v, partials),
        () => shared.then(() => ({ vector: null, partials, fallback: 'error' })),
      ),
    };
  }

  /** Fills `into` with the missing partials the shared tier holds; never rejects. */
  private sharedPartials(active: ActiveModel, ns: 'user' | 'context', key: string, into: Map<string, PartialValue>): Promise<void> {
    const missing = active.sideSpecs[ns].filter((s) => !into.has(s.term));
    if (!(this.cache instanceof TieredCache) || missing.length === 0) return Promise.resolve();
    // The in-process tier was read already (cachedPartials): ask only the shared one.
    return this.cache.getShared(missing.map((s) => this.partialKey(active, key, s.term))).then(
      (values) =>
        values.forEach((v, i) => {
          const term = (missing[i] as SidePartialSpec).term;
          if (v !== undefined && !into.has(term)) into.set(term, v);
        }),
      () => undefined,
    );
  }

  /** One fetch per key at a time; the result lands in the vector cache even if the request moved on. */
  private fetch(ns: 'user' | 'context', source: VectorSource, breaker: CircuitBreaker, model: GlmixModel): Promise<SparseVector> {
    const slot = `${ns}|${source.key}`;
    const running = this.inflight.get(slot);
    if (running !== undefined) return running;
    const p = (async () => {
      try {
        // A backend that never answers counts as failed after fetchTimeoutMs: otherwise a hung call
        // would hold the breaker's half-open probe (and this key's fetch) forever.
        const raw = await withTimeout(this.clock, this.fetchTimeoutMs, () => source.get(), () => new LaserError('TIMEOUT', `request.${ns} (key ${JSON.stringify(source.key)}) did not arrive within fetchTimeoutMs (${this.fetchTimeoutMs} ms)`));
        // A source that hands back a malformed vector is a failing backend, not a bad request.
        const v = this.checkVector(ns, raw, model);
        breaker.success();
        this.vectors.set(slot, v);
        return v;
      } catch (e) {
        breaker.failure();
        throw e;
      } finally {
        this.inflight.delete(slot);
      }
    })();
    // A late fetch that fails later is reported, never unhandled.
    p.catch((e: unknown) => {
      this.counters.backgroundErrors++;
      this.onBackgroundError(e);
    });
    this.inflight.set(slot, p);
    return p;
  }

  private readySide(active: ActiveModel, ns: 'user' | 'context', key: string, v: SparseVector, cached: Map<string, PartialValue>): Side {
    const specs = active.sideSpecs[ns];
    if (cached.size === specs.length) return { vector: v, partials: cached, fallback: null };
    const partials = computePartials(specs, v, cached);
    // Cache what was computed (in process now; the shared tier in the background).
    const fresh = specs.filter((s) => !cached.has(s.term)).map((s) => ({ key: this.partialKey(active, key, s.term), value: partials.get(s.term) as PartialValue }));
    if (this.local !== null) for (const e of fresh) this.local.setSync(e.key, e.value);
    if (this.cache !== this.local) {
      this.cache.setMany(fresh).catch((e: unknown) => {
        this.counters.backgroundErrors++;
        this.onBackgroundError(e);
      });
    }
    return { vector: v, partials, fallback: null };
  }

  private cachedPartials(active: ActiveModel, ns: 'user' | 'context', key: string): Map<string, PartialValue> {
    const out = new Map<string, PartialValue>();
    if (this.local === null) return out;
    for (const s of active.sideSpecs[ns]) {
      const v = this.local.getSync(this.partialKey(active, key, s.term));
      if (v !== undefined) out.set(s.term, v);
    }
    return out;
  }

  private partialKey(active: ActiveModel, vectorKey: string, term: string): PartialKey {
    return { vectorKey, term, modelVersion: active.cacheVersion };
  }

  /** The synchronous scoring pass: no await from here on, so scratch state cannot interleave. */
  private score(active: ActiveModel, request: RankRequest, slots: Int32Array, user: Side, context: Side): Omit<RankResult, 'elapsedMs'> {
    const { model, catalog } = active;
    const n = slots.length;
    // Candidates covering most of the catalog in another order: score the whole catalog with
    // contiguous row reads, then gather once per candidate, instead of gathering once per row.
    const inCatalogOrder = n === catalog.count && isIdentity(slots);
    const wholeCatalog = !inCatalogOrder && 2 * n >= catalog.count;
    const computed = this.computeTerms(active, request, inCatalogOrder || wholeCatalog ? catalog.identity : slots, user, context);
    const score = wholeCatalog ? gather(computed.score, slots) : computed.score;
    const terms = computed.terms === undefined || !wholeCatalog ? computed.terms : new Map([...computed.terms].map(([t, v]) => [t, gather(v, slots)]));
    const substituted = computed.substituted;

    const ranking = this.ranker.order(score, n, new Int32Array(n));
    const shown = Math.min(n, request.limit ?? n);
    const ranked: RankedAd[] = new Array<RankedAd>(shown);
    for (let r = 0; r < shown; r++) {
      const i = ranking[r] as number;
      const s = score[i] as number;
      ranked[r] = { adId: request.candidates[i] as string, position: i, score: s, response: applyLink(model.link, s) };
    }
    const fallbacks: { namespace: FeatureNamespace; reason: FallbackReason }[] = [];
    if (user.fallback !== null) fallbacks.push({ namespace: 'user', reason: user.fallback });
    if (context.fallback !== null) fallbacks.push({ namespace: 'context', reason: context.fallback });

    const out: Omit<RankResult, 'elapsedMs'> = { modelVersion: active.version, ranked, order: ranking, scores: score, substituted, fallbacks, ...(terms === undefined ? {} : { terms }) };
    if (this.policy === undefined) return out;
    const variance = this.warmStartVariance(active, slots, inCatalogOrder, { user, context });
    const bids = request.bids === undefined ? undefined : Float64Array.from(request.bids);
    const candidates: PolicyCandidates = { count: n, mean: score, variance, link: model.link, ...(bids === undefined ? {} : { bid: bids }) };
    const options = { k: Math.min(request.slateSize ?? 1, n), rng: this.rng };
    const decision = this.policy instanceof TrafficRamp ? this.policy.decide(request.userId as string, candidates, options) : this.policy.decide(candidates, options);
    return { ...out, decision: { ...decision, adIds: Array.from(decision.slate, (i) => request.candidates[i] as string) } };
  }

  /** Every term's contribution for the given catalog slots (synchronous: no await). */
  private computeTerms(active: ActiveModel, request: RankRequest, slots: Int32Array, user: Side, context: Side): { score: Float64Array; terms: Map<TermId, Float64Array> | undefined; substituted: TermId[] } {
    const { model, catalog, means } = active;
    const N = catalog.count;
    const n = slots.length;
    const contiguous = slots === catalog.identity;
    const score = new Float64Array(n);
    const explain = request.explain === true;
    const terms = explain ? new Map<TermId, Float64Array>() : undefined;
    const substituted: TermId[] = [];
    const sides = { user, context, ad: null } as const;
    const ready = (ns: FeatureNamespace): boolean => ns === 'ad' || sides[ns].vector !== null || request[ns] === undefined;
    const vectorOf = (ns: 'user' | 'context'): SparseVector | null => sides[ns].vector;

    // A term's contribution goes straight into `score`, or through its own array when explaining.
    const target = (term: TermId): Float64Array => {
      if (terms === undefined) return score;
      const t = new Float64Array(n);
      terms.set(term, t);
      return t;
    };
    const constant = (term: TermId, value: number): void => {
      const t = target(term);
      for (let i = 0; i < n; i++) t[i] = (t[i] as number) + value;
    };
    const substitute = (term: TermId): void => {
      substituted.push(term);
      constant(term, means.get(term) ?? 0);
    };

    constant('intercept', model.intercept);
    for (const e of model.main) {
      const term = `main:${e.namespace}` as const;
      if (e.namespace === 'ad') {
        const t = target(term);
        const adMain = catalog.adMain as Float64Array;
        for (let i = 0; i < n; i++) t[i] = (t[i] as number) + (adMain[slots[i] as number] as number);
        continue;
      }
      const side = sides[e.namespace];
      const cached = side.partials.get(term);
      if (typeof cached === 'number') constant(term, cached);
      else if (request[e.namespace] === undefined) constant(term, 0);
      else substitute(term);
    }

    for (const c of model.crosses) {
      const term = `cross:${c.id}` as const;
      if (c.id === 'userContext') {
        const uPart = user.partials.get(`factors:${c.id}:left`);
        const zPart = context.partials.get(`factors:${c.id}:right`);
        const v = userContextValue(c, vectorOf('user'), vectorOf('context'), uPart instanceof Float64Array ? uPart : null, zPart instanceof Float64Array ? zPart : null);
        if (!Number.isNaN(v)) constant(term, v);
        else if (request.user === undefined || request.context === undefined) constant(term, 0);
        else substitute(term);
        continue;
      }
      const p = catalog.crosses.find((x) => x.cross === c);
      if (p === undefined) continue;
      const left = leftOf(c) as 'user' | 'context';
      if (request[left] === undefined) {
        constant(term, 0);
        continue;
      }
      if (p.adFactors !== null) {
        const u = sides[left].partials.get(`factors:${c.id}:left`);
        if (!(u instanceof Float64Array)) {
          substitute(term);
          continue;
        }
        const t = target(term);
        const f = p.adFactors;
        for (let r = 0; r < p.rank; r++) {
          const ur = u[r] as number;
          if (ur === 0) continue;
          const base = r * N;
          for (let i = 0; i < n; i++) t[i] = (t[i] as number) + ur * (f[base + (slots[i] as number)] as number);
        }
      } else {
        const x = vectorOf(left);
        if (x === null) {
          substitute(term);
          continue;
        }
        addRows(target(term), p.rows as FeatureRows, x, slots, contiguous, N, false);
      }
    }

    for (const p of catalog.randomEffects) {
      const term = p.term;
      // A late input replaces only its own part of the term (x'η_j for late user features) when the
      // model carries that part's mean; otherwise the whole term falls back to its mean.
      // Ads of unseen entities have the term exactly 0 whatever is late: means go to the others.
      const late = p.dependsOn.filter((ns) => !ready(ns));
      if (late.length > 0 && !late.every((ns) => means.has(`${term}:${ns}`))) {
        substituted.push(term);
        const mean = means.get(term) ?? 0;
        const t = target(term);
        for (let i = 0; i < n; i++) if (p.known[slots[i] as number] === 1) t[i] = (t[i] as number) + mean;
        continue;
      }
      const t = target(term);
      for (let i = 0; i < n; i++) t[i] = (t[i] as number) + (p.constant[slots[i] as number] as number);
      for (const ns of ['user', 'context'] as const) {
        const rows = p.rows[ns];
        const x = vectorOf(ns);
        if (rows !== undefined && x !== null) addRows(t, rows, x, slots, contiguous, N, false);
      }
      for (const ns of late) {
        const part = `${term}:${ns}` as const;
        substituted.push(part);
        const mean = means.get(part) as number;
        for (let i = 0; i < n; i++) if (p.known[slots[i] as number] === 1) t[i] = (t[i] as number) + mean;
      }
    }

    for (const b of catalog.requestBlocks) {
      const term = `re:${b.id}` as const;
      const id = request.entities?.[b.entityType];
      const row = id === undefined ? undefined : active.entityIndex.get(b.id)?.get(id);
      if (row === undefined) {
        constant(term, 0); // an unseen entity: exactly the prior mean, whatever is late
        continue;
      }
      // As for ad-side blocks: a late input replaces only its part when the model has its mean.
      const late = [...new Set(b.features.map((f) => f.namespace).filter((ns) => !ready(ns)))];
      if (late.length > 0 && !late.every((ns) => means.has(`${term}:${ns}`))) {
        substitute(term);
        continue;
      }
      const t = target(term);
      addRequestBlock(t, b, row, catalog, slots, n, vectorOf('user'), vectorOf('context'));
      for (const ns of late) {
        substituted.push(`${term}:${ns}`);
        const mean = means.get(`${term}:${ns}`) as number;
        for (let i = 0; i < n; i++) t[i] = (t[i] as number) + mean;
      }
    }

    if (terms !== undefined) {
      for (const t of terms.values()) for (let i = 0; i < n; i++) score[i] = (score[i] as number) + (t[i] as number);
    }
    return { score, terms, substituted };
  }

  /**
   * Var(s_j) under the diagonal posterior of the per-ad warm-start coefficients (LASER draws only
   * these in Thompson sampling, WSDM 2014 §5): v_δ + Σ_f x_f² v_ηf + Σ_g z_g² v_ξg.
   */
  private warmStartVariance(active: ActiveModel, slots: Int32Array, contiguous: boolean, sides: Readonly<Record<'user' | 'context', Side>>): Float64Array {
    const n = slots.length;
    const out = new Float64Array(n);
    const N = active.catalog.count;
    for (const p of active.catalog.randomEffects) {
      if (p.varianceConstant === null) continue;
      for (let i = 0; i < n; i++) out[i] = (out[i] as number) + (p.varianceConstant[slots[i] as number] as number);
      for (const ns of ['user', 'context'] as const) {
        const rows = p.varianceRows[ns];
        const x = sides[ns].vector;
        if (rows !== undefined && x !== null) addRows(out, rows, x, slots, contiguous, N, true);
      }
    }
    return out;
  }
}

/** Adds Σ_f x_f · row_f[slot] (or x_f² with `squared`) over the candidates: the feature-major inner loop. */
/** `contiguous`: the slots are the whole catalog in catalog order, so rows are read without a gather. */
function addRows(target: Float64Array, rows: FeatureRows, x: SparseVector, slots: Int32Array, contiguous: boolean, N: number, squared: boolean): void {
  const data = rows.data;
  const n = slots.length;
  for (let p = 0; p < x.indices.length; p++) {
    const r = rows.rowOf[x.indices[p] as number] as number;
    if (r < 0) continue;
    const v = x.values[p] as number;
    const w = squared ? v * v : v;
    const base = r * N;
    if (contiguous) for (let i = 0; i < n; i++) target[i] = (target[i] as number) + w * (data[base + i] as number);
    else for (let i = 0; i < n; i++) target[i] = (target[i] as number) + w * (data[base + (slots[i] as number)] as number);
  }
}

function gather(values: Float64Array, slots: Int32Array): Float64Array {
  const out = new Float64Array(slots.length);
  for (let i = 0; i < slots.length; i++) out[i] = values[slots[i] as number] as number;
  return out;
}

function isIdentity(slots: Int32Array): boolean {
  for (let i = 0; i < slots.length; i++) if (slots[i] !== i) return false;
  return true;
}

/** A random effect of a request-side entity (e.g. per user) over user, context and ad features. */
function addRequestBlock(t: Float64Array, b: RandomEffectBlock, row: number, catalog: AdCatalog, slots: Int32Array, n: number, x: SparseVector | null, z: SparseVector | null): void {
  const base = row * randomEffectWidth(b);
  let requestPart = b.bias ? (b.coefficients[base] as number) : 0;
  let offset = b.bias ? 1 : 0;
  for (const sel of b.features) {
    if (sel.namespace === 'ad') {
      for (let i = 0; i < n; i++) t[i] = (t[i] as number) + selectedDot((catalog.ads[slots[i] as number] as AdInput).features, sel.indices, b.coefficients, base + offset);
    } else {
      const v = sel.namespace === 'user' ? x : z;
      if (v !== null) requestPart += selectedDot(v, sel.indices, b.coefficients, base + offset);
    }
    offset += sel.indices.length;
  }
  for (let i = 0; i < n; i++) t[i] = (t[i] as number) + requestPart;
}


function computePartials(specs: readonly SidePartialSpec[], v: SparseVector, cached: ReadonlyMap<string, PartialValue>): Map<string, PartialValue> {
  const out = new Map(cached);
  for (const s of specs) if (!out.has(s.term)) out.set(s.term, s.compute(v));
  return out;
}

function activate(model: GlmixModel, ads: readonly AdInput[]): ActiveModel {
  return {
    model,
    version: `${model.modelId}@${model.modelVersion}`,
    cacheVersion: `${model.modelId}@${model.modelVersion}@${model.createdAtMs}`,
    catalog: new AdCatalog(model, ads),
    means: new Map(model.termMeans.map((m) => [m.term, m.mean])),
    sideSpecs: { user: sidePartialSpecs(model, 'user'), context: sidePartialSpecs(model, 'context') },
    entityIndex: new Map(model.randomEffects.map((b) => [b.id, new Map(b.entityIds.map((id, i) => [id, i]))])),
  };
}
