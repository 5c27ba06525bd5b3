import { inverseResponse, response } from './link.js';
import { normalCdf, normalPdf } from './normal.js';
import { kronrodPanel, type PanelResult } from './quadrature.js';
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
 * The remaining integral is smooth and is computed by adaptive Gauss-Kronrod (7/15 points) to an
 * estimated absolute error below `tolerance` (a node stops multiplying once its value is below 1e-17).
 * All buffers are reused: no allocation per candidate.
 */
export const TAIL_SDS = 7;

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
  private readonly panel: PanelResult = { value: 0, error: 0 };
  private readonly integrand: (t: number) => number;
  /** max_k lo_k */
  floor = -Infinity;
  private n = 0;
  private mean: Float64Array = new Float64Array(0);
  private bid: Float64Array | undefined;
  private link: Link = 'logistic';
  private j = 0;
  private muJ = 0;
  private sdJ = 0;
  private bidJ = 1;

  constructor(
    readonly tolerance = 1e-7,
    readonly maxPanels = 256,
  ) {
    this.integrand = (t) => this.evaluate(t);
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
    this.n = n;
    this.mean = c.mean;
    this.bid = c.bid;
    this.link = c.link;
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
    this.floor = floor;
  }

  /** Records sd/lo/hi for a candidate whose sd the caller already computed (the sampling loop does this). */
  setPrepared(c: Candidates, floor: number): void {
    this.n = c.count;
    this.mean = c.mean;
    this.bid = c.bid;
    this.link = c.link;
    this.floor = floor;
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
    this.j = j;
    this.muJ = muJ;
    this.sdJ = sdJ;
    this.bidJ = this.bid === undefined ? 1 : (this.bid[j] as number);
    // Competitors that can exceed the bottom of j's interval; point masses are all at or below it.
    let na = 0;
    for (let k = 0; k < n; k++) {
      if (k === j || !((this.hi[k] as number) > a) || (this.sd[k] as number) === 0) continue;
      if (this.bid === undefined) {
        const s = this.sd[k] as number;
        this.za[na] = (muJ - (this.mean[k] as number)) / s;
        this.zb[na] = sdJ / s;
      }
      this.active[na++] = k;
    }
    this.activeCount = na;
    const sA = this.bid === undefined ? a : inverseResponse(this.link, a / this.bidJ);
    const tA = Math.max(-TAIL_SDS, (sA - muJ) / sdJ);
    return this.integrate(tA, TAIL_SDS);
  }

  /** φ(t) Π_active P(V_k < V_j(μ_j + σ_j t)). */
  private evaluate(t: number): number {
    let p = normalPdf(t);
    const na = this.activeCount;
    if (this.bid === undefined) {
      const za = this.za;
      const zb = this.zb;
      for (let i = 0; i < na && p > 1e-17; i++) p *= normalCdf((za[i] as number) + (zb[i] as number) * t);
    } else {
      const v = this.bidJ * response(this.link, this.muJ + this.sdJ * t);
      for (let i = 0; i < na && p > 1e-17; i++) p *= this.below(this.active[i] as number, v, this.j);
    }
    return p;
  }

  /** Adaptive Gauss-Kronrod on [a, b] in fixed buffers: bisects the worst panel until the estimate is below tolerance. */
  private integrate(a: number, b: number): number {
    const f = this.integrand;
    const r = this.panel;
    const init = 2;
    let count = 0;
    const w = (b - a) / init;
    for (let i = 0; i < init; i++) {
      const x0 = a + i * w;
      const x1 = i === init - 1 ? b : x0 + w;
      kronrodPanel(f, x0, x1, r);
      this.panelLo[count] = x0;
      this.panelHi[count] = x1;
      this.panelVal[count] = r.value;
      this.panelErr[count] = r.error;
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
      kronrodPanel(f, x0, mid, r);
      this.panelHi[worst] = mid;
      this.panelVal[worst] = r.value;
      this.panelErr[worst] = r.error;
      kronrodPanel(f, mid, x1, r);
      this.panelLo[count] = mid;
      this.panelHi[count] = x1;
      this.panelVal[count] = r.value;
      this.panelErr[count] = r.error;
      count++;
    }
    let value = 0;
    for (let i = 0; i < count; i++) value += this.panelVal[i] as number;
    this.lastError = 0;
    for (let i = 0; i < count; i++) this.lastError += this.panelErr[i] as number;
    this.lastPanels = count;
    return value;
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
