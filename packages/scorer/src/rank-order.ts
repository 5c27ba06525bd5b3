/**
 * Orders candidate positions by descending score with the engine's native numeric sort: each
 * score's low mantissa bits are overwritten with its position, so one Float64Array.sort() yields
 * the permutation without a comparator callback. Scores closer than about 2^-40 relative (or
 * within a few subnormal steps of each other near zero) may swap: ties for ranking purposes. The
 * scores themselves are untouched.
 */
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

export class RankOrder {
  private keys = new Float64Array(0);
  private words = new Uint32Array(0);

  /** Writes into `out` the positions 0..n-1 sorted by descending score. */
  order(scores: Float64Array, n: number, out: Int32Array): Int32Array {
    if (!LITTLE_ENDIAN) {
      for (let i = 0; i < n; i++) out[i] = i;
      return out.subarray(0, n).sort((a, b) => (scores[b] as number) - (scores[a] as number) || a - b);
    }
    if (this.keys.length < n) {
      this.keys = new Float64Array(Math.max(n, 2 * this.keys.length));
      this.words = new Uint32Array(this.keys.buffer);
    }
    const bits = Math.max(1, 32 - Math.clz32(n - 1));
    const mask = (1 << bits) - 1;
    const keys = this.keys;
    const words = this.words;
    for (let i = 0; i < n; i++) {
      let s = scores[i] as number;
      // Infinite scores would become NaN once their mantissa is touched: clamp them.
      if (s === Infinity) s = Number.MAX_VALUE;
      else if (s === -Infinity) s = -Number.MAX_VALUE;
      keys[i] = s;
      // Little-endian: words[2i] holds the low 32 mantissa bits.
      words[2 * i] = (((words[2 * i] as number) & ~mask) | i) >>> 0;
    }
    const view = keys.subarray(0, n);
    view.sort();
    for (let r = 0; r < n; r++) out[r] = (words[2 * (n - 1 - r)] as number) & mask;
    return out;
  }
}
