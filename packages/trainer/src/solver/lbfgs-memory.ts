import { dot } from './vector.js';

/**
 * The m most recent curvature pairs (s_k, y_k) of L-BFGS and the two-loop recursion that applies
 * the implied inverse-Hessian approximation (Nocedal & Wright, Numerical Optimization, 2nd ed.,
 * Alg. 7.4, with H⁰ = γI, γ = sᵀy / yᵀy, eq. 7.20). Storage is allocated once.
 */
export class LbfgsMemory {
  readonly capacity: number;
  private readonly s: Float64Array[];
  private readonly y: Float64Array[];
  private readonly rho: Float64Array;
  private readonly alpha: Float64Array;
  private count = 0;
  /** Slot of the newest pair. */
  private newest = -1;

  constructor(dimension: number, capacity: number) {
    this.capacity = capacity;
    this.s = Array.from({ length: capacity }, () => new Float64Array(dimension));
    this.y = Array.from({ length: capacity }, () => new Float64Array(dimension));
    this.rho = new Float64Array(capacity);
    this.alpha = new Float64Array(capacity);
  }

  get size(): number {
    return this.count;
  }

  clear(): void {
    this.count = 0;
    this.newest = -1;
  }

  /**
   * Stores s = wNew − w and y = gNew − g when the curvature condition sᵀy > 0 holds (it keeps the
   * approximation positive definite); returns whether the pair was kept.
   */
  push(wNew: Float64Array, w: Float64Array, gNew: Float64Array, g: Float64Array): boolean {
    const n = w.length;
    let sy = 0;
    let yy = 0;
    for (let i = 0; i < n; i++) {
      const si = (wNew[i] as number) - (w[i] as number);
      const yi = (gNew[i] as number) - (g[i] as number);
      sy += si * yi;
      yy += yi * yi;
    }
    // Skip pairs with no (or only rounding-level) positive curvature; the stored pairs stay intact.
    if (!(sy > 1e-12 * yy) || !Number.isFinite(sy)) return false;
    const slot = (this.newest + 1) % this.capacity;
    const s = this.s[slot] as Float64Array;
    const y = this.y[slot] as Float64Array;
    for (let i = 0; i < n; i++) {
      s[i] = (wNew[i] as number) - (w[i] as number);
      y[i] = (gNew[i] as number) - (g[i] as number);
    }
    this.rho[slot] = 1 / sy;
    this.newest = slot;
    if (this.count < this.capacity) this.count++;
    return true;
  }

  /** out ← −H q (the quasi-Newton direction for gradient q); with no pairs, out ← −q. */
  direction(q: Float64Array, out: Float64Array): void {
    const n = q.length;
    out.set(q);
    const m = this.capacity;
    let slot = this.newest;
    for (let k = 0; k < this.count; k++) {
      const s = this.s[slot] as Float64Array;
      const y = this.y[slot] as Float64Array;
      const a = (this.rho[slot] as number) * dot(s, out);
      this.alpha[slot] = a;
      for (let i = 0; i < n; i++) out[i]! -= a * (y[i] as number);
      slot = (slot - 1 + m) % m;
    }
    if (this.count > 0) {
      const yNew = this.y[this.newest] as Float64Array;
      const gamma = 1 / ((this.rho[this.newest] as number) * dot(yNew, yNew));
      for (let i = 0; i < n; i++) out[i]! *= gamma;
    }
    // slot is now just before the oldest pair.
    for (let k = 0; k < this.count; k++) {
      slot = (slot + 1) % m;
      const s = this.s[slot] as Float64Array;
      const y = this.y[slot] as Float64Array;
      const b = (this.rho[slot] as number) * dot(y, out);
      const c = (this.alpha[slot] as number) - b;
      for (let i = 0; i < n; i++) out[i]! += c * (s[i] as number);
    }
    for (let i = 0; i < n; i++) out[i] = -(out[i] as number);
  }
}
