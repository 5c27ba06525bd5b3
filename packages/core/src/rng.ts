import { invalidArgument } from './errors.js';
import { murmur3String } from './hash.js';

/**
 * A small, fast, seedable PRNG: xoshiro128** (Blackman & Vigna, "Scrambled linear pseudorandom
 * number generators", ACM TOMS 2021), seeded through splitmix32 so that nearby seeds give
 * unrelated streams. 32-bit integer arithmetic only, so it is exact and identical on every
 * JavaScript engine: the same seed gives the same numbers everywhere.
 */
export class SeededRng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;
  private spareNormal = Number.NaN;
  /** The seed this generator started from (for logs and artifacts). */
  readonly seed: number;

  constructor(seed: number) {
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
      throw invalidArgument('seed', seed, 'must be an integer in [0, 4294967295]');
    }
    this.seed = seed;
    let x = seed >>> 0;
    const next = (): number => {
      // splitmix32 (a 32-bit variant of Steele et al.'s SplitMix, OOPSLA 2014).
      x = (x + 0x9e3779b9) | 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /** A uniform 32-bit unsigned integer. */
  nextUint32(): number {
    const s1 = this.s1;
    const result = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
    const t = s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** A uniform double in [0, 1) with 53 random bits. */
  nextFloat(): number {
    const hi = this.nextUint32() >>> 5; // 27 bits
    const lo = this.nextUint32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** A uniform integer in [0, n), without modulo bias (rejection on the top partial range). */
  nextInt(n: number): number {
    if (!Number.isInteger(n) || n <= 0 || n > 0x100000000) throw invalidArgument('n', n, 'must be an integer in [1, 2^32]');
    if (n === 0x100000000) return this.nextUint32();
    const limit = 0x100000000 - (0x100000000 % n);
    for (;;) {
      const r = this.nextUint32();
      if (r < limit) return r % n;
    }
  }

  /** True with probability p. */
  nextBernoulli(p: number): boolean {
    return this.nextFloat() < p;
  }

  /** A standard normal deviate (Marsaglia polar method; the second deviate is kept for the next call). */
  nextNormal(): number {
    if (!Number.isNaN(this.spareNormal)) {
      const v = this.spareNormal;
      this.spareNormal = Number.NaN;
      return v;
    }
    for (;;) {
      const u = 2 * this.nextFloat() - 1;
      const v = 2 * this.nextFloat() - 1;
      const s = u * u + v * v;
      if (s > 0 && s < 1) {
        const m = Math.sqrt((-2 * Math.log(s)) / s);
        this.spareNormal = v * m;
        return u * m;
      }
    }
  }

  /** Gamma(shape, 1) (Marsaglia & Tsang, ACM TOMS 2000; shape < 1 via the u^(1/shape) boost). */
  nextGamma(shape: number): number {
    if (!(shape > 0) || !Number.isFinite(shape)) throw invalidArgument('shape', shape, 'must be a finite number > 0');
    if (shape < 1) {
      const u = 1 - this.nextFloat(); // in (0, 1]
      return this.nextGamma(shape + 1) * Math.pow(u, 1 / shape);
    }
    const d = shape - 1 / 3;
    const c = 1 / Math.sqrt(9 * d);
    for (;;) {
      let x: number;
      let v: number;
      do {
        x = this.nextNormal();
        v = 1 + c * x;
      } while (v <= 0);
      v = v * v * v;
      const u = this.nextFloat();
      if (u < 1 - 0.0331 * x * x * x * x) return d * v;
      if (Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
    }
  }

  /** Beta(a, b) as a ratio of gammas. */
  nextBeta(a: number, b: number): number {
    const x = this.nextGamma(a);
    const y = this.nextGamma(b);
    return x / (x + y);
  }

  /** Fisher-Yates shuffle in place. */
  shuffle<T>(array: T[]): T[] {
    for (let i = array.length - 1; i > 0; i--) {
      const j = this.nextInt(i + 1);
      const tmp = array[i] as T;
      array[i] = array[j] as T;
      array[j] = tmp;
    }
    return array;
  }

  /**
   * An independent generator derived from this one's seed and a label, without consuming this
   * generator's stream: components that each need randomness stay reproducible when one of them
   * changes how many numbers it draws.
   */
  fork(label: string): SeededRng {
    return new SeededRng(murmur3String(label, this.seed));
  }

  /** The full state, to resume a stream exactly (e.g. in a checkpoint). */
  getState(): [number, number, number, number] {
    return [this.s0 >>> 0, this.s1 >>> 0, this.s2 >>> 0, this.s3 >>> 0];
  }

  setState(state: readonly [number, number, number, number]): void {
    [this.s0, this.s1, this.s2, this.s3] = state.map((s) => s | 0) as [number, number, number, number];
    this.spareNormal = Number.NaN;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
