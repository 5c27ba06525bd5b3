import { inverseResponse, response } from './link.js';
import { NORMAL_CDF_CUBICS, NORMAL_CDF_LIMIT, NORMAL_CDF_STEPS_PER_UNIT, normalCdf, normalPdf } from './normal.js';
import { GAUSS7_WEIGHTS, KRONROD_NODES, KRONROD_WEIGHTS } from './quadrature.js';
import type { Candidates, Link } from './types.js';

/**
 * Probability that a candidate wins a race of independent Gaussian scores, without Monte Carlo.
 *
 * Under LASER's diagonal Gaussian posterior (Agarwal et al. WSDM 2014, §5) each candidate's sampled
 * linear predictor is S_j ~ N(μ_j, σ_j²) and the candidates are independent, so with ranking value
 * V_j = S_j (or bid_j·g(S_j), g increasing) the probability that j is ranked first is the 1-D integral
 *
 *   P(j wins) = ∫ φ(t) Π_{k≠j} P(V_k < V_j(μ_j + σ_j t)) dt,
 *
 * with P(V_k < v) = Φ((g⁻¹(v / bid_k) - μ_k) / σ_k) (Chapelle & Li, NIPS 2011, use the same race
 * view of Thompson sampling for display ads). Each candidate's value lies within
 * [lo_k, hi_k] = V_k(μ_k ∓ c·σ_k) except with probability Φ(-c) ≈ 1.3e-12 (c = 7), so:
 * - the winner's value exceeds L = max_k lo_k, and j is integrated over [max(lo_j, L), hi_j] only;
 * - a competitor with hi_k below that interval is a factor 1 and is skipped;
 * - σ = 0 candidates are point masses: inside the interval they are below V_j (L ≥ their value);
 *   a point-mass j wins with Π_k P(V_k < m_j), ties between point masses going to the lower index.
 * Without bids, and with bids under the identity or log link, each factor is Φ(a_k + b_k t) with
 * b_k > 0 (the threshold is affine in t); under the logistic link with bids it is computed per node.
 * The integrand is then cut further where it cannot matter (both cuts are bounds, not guesses):
 * - the integrand is at most φ(t), so above t_hi with 1 - Φ(t_hi) = ε it leaves out at most ε;
 * - the product Π_{k≠j} P(V_k < V_j(t)) is nondecreasing in t, so below any t_lo where it is at most
 *   ε the integral is at most ε·Φ(t_lo) ≤ ε: t_lo is found by bisection (ε = 1e-3 × tolerance).
 * The remaining integral is smooth and is computed by adaptive Gauss-Kronrod (7/15 points) to an
 * estimated absolute error (Σ |K15 - G7| over the panels, conservative for smooth integrands) below
 * `tolerance`. A panel evaluates its 15 nodes together, competitor by competitor, with Φ from the
 * cubic table of normal.ts; nodes whose running product falls below 1e-17 stop multiplying, and a
 * competitor with Φ = 1 at the panel's lowest live node is skipped for the whole panel. All buffers
 * are reused: no allocation per candidate.
 */
export const TAIL_SDS = 7;

/** Running products below this are dropped (their contribution is below 1e-17 per unit of t). */
const NEGLIGIBLE = 1e-17;
/** Bisection steps locating the lower cut t_lo (the bracket shrinks 2^-6: to ~0.2 of a t-unit). */
const LOWER_CUT_BISECTIONS = 6;
/**
 * Each cut leaves out at most this share of the tolerance. The cuts only ever lower the estimate,
 * so they are kept far below the quadrature's (two-sided) error: summed over many candidates, as
 * in topPropensities, the total stays near 1.
 */
const CUT_SHARE = 1e-3;

// The 15 Kronrod nodes on [-1, 1] in ascending order, with their Kronrod and (embedded) Gauss weights.
const PANEL_NODES = 15;
const NODE_X = new Float64Array(PANEL_NODES);
const NODE_WK = new Float64Array(PANEL_NODES);
const NODE_WG = new Float64Array(PANEL_NODES);
for (let q = 0; q < PANEL_NODES; q++) {
  const i = q < 7 ? q : 14 - q;
  NODE_X[q] = q < 7 ? -(KRONROD_NODES[i] as number) : (KRONROD_NODES[i] as number);
  NODE_WK[q] = KRONROD_WEIGHTS[i] as number;
  NODE_WG[q] = (i & 1) === 1 ? (GAUSS7_WEIGHTS[i >> 1] as number) : 0;
}

/** A competitor's step is "narrow" when [a, b] holds more than this many of its widths 1/zb. */
const NARROW_STEP_RATIO = 16;
/** Competitors whose narrow steps get their own breakpoints (3 each). */
const MAX_RESOLVED_STEPS = 32;

export class GaussianRace {
  private capacity = 0;
  /** Posterior standard deviations after scaling. */
  sd = new Float64Array(0);
  lo = new Float64Array(0);
  hi = new Float64Array(0);
  private za = new Float64Array(0);
  private zb = new Float64Array(0);
  private active = new Int32Array(0);
  private activeCount = 0;
  private panelLo: Float64Array = new Float64Array(64);
  private panelHi: Float64Array = new Float64Array(64);
  private panelVal: Float64Array = new Float64Array(64);
  private panelErr: Float64Array = new Float64Array(64);
  /** The current panel's nodes t, their running integrand values and (logistic link with bids) V_j(t). */
  private readonly nodeT = new Float64Array(PANEL_NODES);
  private readonly nodeF = new Float64Array(PANEL_NODES);
  private readonly nodeV = new Float64Array(PANEL_NODES);
  private panelValue = 0;
  private panelTopProduct = 0;
  private panelError = 0;
  /** Whether every factor is Φ(za + zb·t) (no bids, or bids under the identity or log link). */
  private affine = true;
  /** max_k lo_k */
  floor = -Infinity;
  private n = 0;
  private mean: Float64Array = new Float64Array(0);
  private bid: Float64Array | undefined;
  private link: Link = 'logistic';
  private muJ = 0;
  private sdJ = 0;
  private bidJ = 1;

  /** Integration stops at t_hi with 1 - Φ(t_hi) ≤ CUT_SHARE·tolerance (the integrand is at most φ(t)). */
  private readonly upperCut: number;
  /** 1 - Φ(t_hi) */
  private readonly upperTail: number;
  /** Π_active P(V_k < V_j(t)) at the highest node of the top panel (0 when negligible). */
  private topProduct = 0;
  /** ε = CUT_SHARE·tolerance: the product at t_lo, and the bound on what the cut below t_lo leaves out. */
  private readonly cutProduct: number;

  constructor(
    readonly tolerance = 1e-7,
    readonly maxPanels = 256,
  ) {
    const eps = CUT_SHARE * tolerance;
    this.cutProduct = eps;
    let lo = 0;
    let hi = TAIL_SDS;
    // A point within 1e-3 above the t with Φ(-t) = eps, so the cut errs on the safe side.
    while (hi - lo > 1e-3) {
      const mid = 0.5 * (lo + hi);
      if (normalCdf(-mid) <= eps) hi = mid;
      else lo = mid;
    }
    this.upperCut = hi;
    this.upperTail = normalCdf(-hi);
  }

  private ensure(n: number): void {
    if (n <= this.capacity) return;
    const c = Math.max(n, 2 * this.capacity);
    this.sd = new Float64Array(c);
    this.lo = new Float64Array(c);
    this.hi = new Float64Array(c);
    this.za = new Float64Array(c);
    this.zb = new Float64Array(c);
    this.active = new Int32Array(c);
    this.capacity = c;
  }

  /** Sets the candidates and the scale on their variances; computes sd, lo, hi and the floor L. */
  prepare(c: Candidates, varianceScale: number): void {
    const n = c.count;
    this.ensure(n);
    let floor = -Infinity;
    const bid = c.bid;
    for (let k = 0; k < n; k++) {
      const s = Math.sqrt(varianceScale * (c.variance[k] as number));
      const m = c.mean[k] as number;
      this.sd[k] = s;
      let lo = m - TAIL_SDS * s;
      let hi = m + TAIL_SDS * s;
      if (bid !== undefined) {
        const b = bid[k] as number;
        lo = b * response(c.link, lo);
        hi = s === 0 ? lo : b * response(c.link, hi);
      }
      this.lo[k] = lo;
      this.hi[k] = hi;
      if (lo > floor) floor = lo;
    }
    this.setPrepared(c, floor);
  }

  /** Records sd/lo/hi for a candidate whose sd the caller already computed (the sampling loop does this). */
  setPrepared(c: Candidates, floor: number): void {
    this.n = c.count;
    this.mean = c.mean;
    this.bid = c.bid;
    this.link = c.link;
    this.floor = floor;
    this.affine = c.bid === undefined || c.link !== 'logistic';
  }

  /** Makes room for n candidates; used by callers that fill sd/lo/hi themselves. */
  reserve(n: number): void {
    this.ensure(n);
  }

  /** P(V_k < v) for candidate k (continuous, or a point mass with ties to the lower index than `j`). */
  private below(k: number, v: number, j: number): number {
    const s = this.sd[k] as number;
    const m = this.mean[k] as number;
    if (s === 0) {
      const vk = this.hi[k] as number;
      return vk < v || (vk === v && k > j) ? 1 : 0;
    }
    const thr = this.bid === undefined ? v : inverseResponse(this.link, v / (this.bid[k] as number));
    return normalCdf((thr - m) / s);
  }

  /** Probability that candidate j is ranked first. */
  winProbability(j: number): number {
    const n = this.n;
    const sdJ = this.sd[j] as number;
    const hiJ = this.hi[j] as number;
    this.lastError = 0;
    this.lastPanels = 0;
    if (hiJ < this.floor) return 0;
    if (sdJ === 0) {
      let p = 1;
      for (let k = 0; k < n && p > 0; k++) {
        if (k === j || (this.hi[k] as number) < hiJ) continue;
        p *= this.below(k, hiJ, j);
      }
      return p;
    }
    const a = Math.max(this.lo[j] as number, this.floor);
    if (!(hiJ > a)) return 0;
    const muJ = this.mean[j] as number;
    const bid = this.bid;
    const bidJ = bid === undefined ? 1 : (bid[j] as number);
    this.muJ = muJ;
    this.sdJ = sdJ;
    this.bidJ = bidJ;
    // Competitors that can exceed the bottom of j's interval; point masses are all at or below it.
    // In the affine cases V_k < V_j(t) ⇔ S_k < α_k + β_k S_j with β_k > 0, so the factor is Φ(za_k + zb_k t).
    const logBidJ = bid !== undefined && this.link === 'log' ? Math.log(bidJ) : 0;
    let na = 0;
    for (let k = 0; k < n; k++) {
      if (k === j || !((this.hi[k] as number) > a) || (this.sd[k] as number) === 0) continue;
      if (this.affine) {
        const s = this.sd[k] as number;
        const mk = this.mean[k] as number;
        if (bid === undefined) {
          this.za[na] = (muJ - mk) / s;
          this.zb[na] = sdJ / s;
        } else if (this.link === 'log') {
          this.za[na] = (muJ + logBidJ - Math.log(bid[k] as number) - mk) / s;
          this.zb[na] = sdJ / s;
        } else {
          const r = bidJ / (bid[k] as number);
          this.za[na] = (r * muJ - mk) / s;
          this.zb[na] = (r * sdJ) / s;
        }
      }
      this.active[na++] = k;
    }
    this.activeCount = na;
    const sA = bid === undefined ? a : inverseResponse(this.link, a / bidJ);
    const tA = Math.max(-TAIL_SDS, (sA - muJ) / sdJ);
    const tB = this.upperCut;
    if (!(tB > tA)) return 0;
    const tLo = this.lowerCut(tA, tB);
    const value = this.integrate(tLo, tB);
    // Above t_hi the product is at least its value G_top at the top node, so the tail lies in
    // [Q(t_hi)·G_top, Q(t_hi)]: add the lower end, leaving out at most Q(t_hi)·(1 - G_top).
    const gTop = this.topProduct;
    this.lastError += this.upperTail * (1 - gTop) + this.cutProduct;
    return value + this.upperTail * gTop;
  }

  /**
   * A t_lo ≥ tA with Π_active P(V_k < V_j(t_lo)) ≤ ε (= CUT_SHARE·tolerance), by bisection on the
   * nondecreasing product; the integral below t_lo is then at most ε. Returns tA when the product
   * already exceeds ε there.
   */
  private lowerCut(tA: number, tB: number): number {
    const eps = this.cutProduct;
    if (this.productAbove(tA, eps) > eps) return tA;
    let lo = tA;
    let hi = tB;
    for (let it = 0; it < LOWER_CUT_BISECTIONS; it++) {
      const mid = 0.5 * (lo + hi);
      if (this.productAbove(mid, eps) > eps) hi = mid;
      else lo = mid;
    }
    return lo;
  }

  /** Π_active P(V_k < V_j(t)), or some value at most eps as soon as the running product is at most eps. */
  private productAbove(t: number, eps: number): number {
    const na = this.activeCount;
    let p = 1;
    if (this.affine) {
      const za = this.za;
      const zb = this.zb;
      for (let i = 0; i < na && p > eps; i++) p *= normalCdf((za[i] as number) + (zb[i] as number) * t);
    } else {
      const v = this.bidJ * response('logistic', this.muJ + this.sdJ * t);
      const active = this.active;
      for (let i = 0; i < na && p > eps; i++) p *= this.below(active[i] as number, v, -1);
    }
    return p;
  }

  /**
   * Evaluates the integrand φ(t) Π_active P(V_k < V_j(μ_j + σ_j t)) at the 15 Kronrod nodes of
   * [x0, x1] and sets panelValue (K15) and panelError (|K15 - G7|).
   */
  private panel(x0: number, x1: number): void {
    const c = 0.5 * (x0 + x1);
    const h = 0.5 * (x1 - x0);
    const t = this.nodeT;
    const f = this.nodeF;
    for (let q = 0; q < PANEL_NODES; q++) {
      const x = c + h * (NODE_X[q] as number);
      t[q] = x;
      f[q] = normalPdf(x);
    }
    let low = 0;
    while (low < PANEL_NODES && (f[low] as number) < NEGLIGIBLE) f[low++] = 0;
    const na = this.activeCount;
    const limit = NORMAL_CDF_LIMIT;
    const perUnit = NORMAL_CDF_STEPS_PER_UNIT;
    const cubic = NORMAL_CDF_CUBICS;
    if (this.affine) {
      const za = this.za;
      const zb = this.zb;
      for (let i = 0; i < na && low < PANEL_NODES; i++) {
        const ai = za[i] as number;
        const bi = zb[i] as number;
        // zb > 0 and the nodes ascend: Φ = 1 at the lowest live node means Φ = 1 at all of them.
        if (ai + bi * (t[low] as number) >= limit) continue;
        for (let q = low; q < PANEL_NODES; q++) {
          const z = ai + bi * (t[q] as number);
          if (z >= limit) break;
          if (z <= -limit) {
            f[q] = 0;
            continue;
          }
          // Φ(z) from the interleaved cubic table (normal.ts), inlined: this is the hot loop.
          const u = (z + limit) * perUnit;
          const m = u | 0;
          const r = u - m;
          const o = 4 * m;
          f[q] = (f[q] as number) * ((cubic[o] as number) + r * ((cubic[o + 1] as number) + r * ((cubic[o + 2] as number) + r * (cubic[o + 3] as number))));
        }
        if ((i & 15) === 15) low = this.dropNegligible(low);
      }
    } else {
      // Logistic link with bids: the threshold logit(V_j(t) / bid_k) is computed per node.
      const v = this.nodeV;
      for (let q = 0; q < PANEL_NODES; q++) v[q] = this.bidJ * response('logistic', this.muJ + this.sdJ * (t[q] as number));
      const bid = this.bid as Float64Array;
      const mean = this.mean;
      const sd = this.sd;
      const active = this.active;
      for (let i = 0; i < na && low < PANEL_NODES; i++) {
        const k = active[i] as number;
        const bk = bid[k] as number;
        const mk = mean[k] as number;
        const sk = sd[k] as number;
        for (let q = low; q < PANEL_NODES; q++) {
          const x = (v[q] as number) / bk;
          if (x >= 1) break;
          const z = (Math.log(x / (1 - x)) - mk) / sk;
          if (z >= limit) break;
          f[q] = (f[q] as number) * normalCdf(z);
        }
        if ((i & 15) === 15) low = this.dropNegligible(low);
      }
    }
    let k15 = 0;
    let g7 = 0;
    for (let q = low; q < PANEL_NODES; q++) {
      const y = f[q] as number;
      k15 += (NODE_WK[q] as number) * y;
      g7 += (NODE_WG[q] as number) * y;
    }
    this.panelValue = k15 * h;
    this.panelError = Math.abs((k15 - g7) * h);
    const top = t[PANEL_NODES - 1] as number;
    this.panelTopProduct = low < PANEL_NODES ? Math.min(1, (f[PANEL_NODES - 1] as number) / normalPdf(top)) : 0;
  }

  /** Zeroes running products below NEGLIGIBLE (no denormals) and returns the lowest live node. */
  private dropNegligible(low: number): number {
    const f = this.nodeF;
    for (let q = low; q < PANEL_NODES; q++) if ((f[q] as number) < NEGLIGIBLE) f[q] = 0;
    let l = low;
    while (l < PANEL_NODES && (f[l] as number) === 0) l++;
    return l;
  }

  /** Adaptive Gauss-Kronrod on [a, b] in fixed buffers: bisects the worst panel until the estimate is below tolerance. */
  private integrate(a: number, b: number): number {
    let count = 0;
    const cuts = this.initialCuts(a, b);
    for (let i = 0; i + 1 < cuts.length; i++) {
      const x0 = cuts[i] as number;
      const x1 = cuts[i + 1] as number;
      if (count >= this.panelLo.length) this.growPanels();
      this.panel(x0, x1);
      if (x1 === b) this.topProduct = this.panelTopProduct;
      this.panelLo[count] = x0;
      this.panelHi[count] = x1;
      this.panelVal[count] = this.panelValue;
      this.panelErr[count] = this.panelError;
      count++;
    }
    for (;;) {
      let total = 0;
      let worst = 0;
      for (let i = 0; i < count; i++) {
        const e = this.panelErr[i] as number;
        total += e;
        if (e > (this.panelErr[worst] as number)) worst = i;
      }
      if (total <= this.tolerance || count >= this.maxPanels) break;
      if (count >= this.panelLo.length) this.growPanels();
      const x0 = this.panelLo[worst] as number;
      const x1 = this.panelHi[worst] as number;
      const mid = 0.5 * (x0 + x1);
      this.panel(x0, mid);
      this.panelHi[worst] = mid;
      this.panelVal[worst] = this.panelValue;
      this.panelErr[worst] = this.panelError;
      this.panel(mid, x1);
      if (x1 === b) this.topProduct = this.panelTopProduct;
      this.panelLo[count] = mid;
      this.panelHi[count] = x1;
      this.panelVal[count] = this.panelValue;
      this.panelErr[count] = this.panelError;
      count++;
    }
    let value = 0;
    let error = 0;
    for (let i = 0; i < count; i++) {
      value += this.panelVal[i] as number;
      error += this.panelErr[i] as number;
    }
    this.lastError = error;
    this.lastPanels = count;
    return value;
  }

  /**
   * The starting panels: [a, b] halved, plus, for a competitor much narrower than candidate j, its
   * step Φ(za + zb·t) resolved by breakpoints at its centre and ±4/zb. Narrower than the nodes'
   * spacing, such a step is invisible to both the 7- and the 15-point rule, whose difference then
   * says nothing (a cold ad against a well-known one is the usual case). At most
   * MAX_RESOLVED_STEPS competitors, those whose step sits where φ is largest; the rest are left to
   * the adaptive refinement.
   */
  private initialCuts(a: number, b: number): number[] {
    const cuts = [a, 0.5 * (a + b), b];
    if (this.affine) {
      const steps: { t: number; w: number; weight: number }[] = [];
      for (let i = 0; i < this.activeCount; i++) {
        const zb = this.zb[i] as number;
        if (!(zb * (b - a) > NARROW_STEP_RATIO)) continue;
        const t = -(this.za[i] as number) / zb;
        const w = 4 / zb;
        if (t + w <= a || t - w >= b) continue;
        steps.push({ t, w, weight: normalPdf(Math.min(Math.max(t, a), b)) });
      }
      steps.sort((x, y) => y.weight - x.weight);
      for (const st of steps.slice(0, MAX_RESOLVED_STEPS)) for (const c of [st.t - st.w, st.t, st.t + st.w]) if (c > a && c < b) cuts.push(c);
      cuts.sort((x, y) => x - y);
    }
    // Drop cuts that coincide (within rounding) so no panel is empty.
    const out = [cuts[0] as number];
    for (let i = 1; i < cuts.length; i++) if ((cuts[i] as number) - (out[out.length - 1] as number) > 1e-12 * (1 + Math.abs(cuts[i] as number))) out.push(cuts[i] as number);
    out[out.length - 1] = b;
    return out;
  }

  /** Error estimate and panel count of the last integral (diagnostics and tests). */
  lastError = 0;
  lastPanels = 0;

  private growPanels(): void {
    const grow = (x: Float64Array): Float64Array => {
      const y = new Float64Array(x.length * 2);
      y.set(x);
      return y;
    };
    this.panelLo = grow(this.panelLo);
    this.panelHi = grow(this.panelHi);
    this.panelVal = grow(this.panelVal);
    this.panelErr = grow(this.panelErr);
  }

  /** P(V_k < v) for every k outside the slate, for the slate's Monte Carlo estimate. */
  cdfBelow(k: number, v: number, lastOfSlate: number): number {
    return this.below(k, v, lastOfSlate);
  }

  get count(): number {
    return this.n;
  }
}
