/**
 * An open-addressing hash map from a feature pair (left, right) to an int, on typed arrays: the
 * inner loop of cross-feature selection and expansion looks up hundreds of pairs per row, where a
 * JavaScript Map of composite keys would dominate the cost. Keys are left * rightDimension + right,
 * exact as doubles up to 2^53.
 */
export class PairTable {
  private keys: Float64Array;
  private vals: Int32Array;
  private used = 0;
  private mask: number;

  constructor(
    readonly rightDimension: number,
    initialCapacity = 1024,
  ) {
    let cap = 16;
    while (cap < initialCapacity * 2) cap *= 2;
    this.keys = new Float64Array(cap).fill(-1);
    this.vals = new Int32Array(cap);
    this.mask = cap - 1;
  }

  get size(): number {
    return this.used;
  }

  private slot(key: number): number {
    // Fibonacci hashing of the key's low and high 32-bit halves.
    const lo = key >>> 0;
    const hi = Math.floor(key / 4294967296) >>> 0;
    let h = Math.imul(lo ^ Math.imul(hi, 0x85ebca6b), 0x9e3779b1);
    h ^= h >>> 15;
    let i = h & this.mask;
    const keys = this.keys;
    while (keys[i] !== -1 && keys[i] !== key) i = (i + 1) & this.mask;
    return i;
  }

  get(left: number, right: number): number {
    const i = this.slot(left * this.rightDimension + right);
    return this.keys[i] === -1 ? -1 : (this.vals[i] as number);
  }

  set(left: number, right: number, value: number): void {
    const key = left * this.rightDimension + right;
    const i = this.slot(key);
    if (this.keys[i] === -1) {
      this.keys[i] = key;
      this.used++;
      this.vals[i] = value;
      if (this.used * 2 > this.keys.length) this.grow();
    } else this.vals[i] = value;
  }

  /** Adds 1 to the pair's count (starting at 0). */
  increment(left: number, right: number): void {
    const key = left * this.rightDimension + right;
    const i = this.slot(key);
    if (this.keys[i] === -1) {
      this.keys[i] = key;
      this.vals[i] = 1;
      this.used++;
      if (this.used * 2 > this.keys.length) this.grow();
    } else this.vals[i] = (this.vals[i] as number) + 1;
  }

  /** Calls fn(left, right, value) for every entry, in no particular order. */
  forEach(fn: (left: number, right: number, value: number) => void): void {
    for (let i = 0; i < this.keys.length; i++) {
      const key = this.keys[i] as number;
      if (key === -1) continue;
      const left = Math.floor(key / this.rightDimension);
      fn(left, key - left * this.rightDimension, this.vals[i] as number);
    }
  }

  private grow(): void {
    const oldKeys = this.keys;
    const oldVals = this.vals;
    this.keys = new Float64Array(oldKeys.length * 2).fill(-1);
    this.vals = new Int32Array(oldKeys.length * 2);
    this.mask = this.keys.length - 1;
    for (let i = 0; i < oldKeys.length; i++) {
      const key = oldKeys[i] as number;
      if (key === -1) continue;
      const j = this.slot(key);
      this.keys[j] = key;
      this.vals[j] = oldVals[i] as number;
    }
  }
}
