/**
 * Indices of the k largest values, best first, ties to the lower index; O(n·k) insertion into
 * the caller's buffers, no allocation. Returns how many were written (min(k, n)).
 */
export function selectTopK(values: Float64Array, n: number, k: number, outIndex: Int32Array, outValue: Float64Array): number {
  const m = Math.min(k, n);
  let filled = 0;
  for (let j = 0; j < n; j++) {
    const v = values[j] as number;
    // Scanning j upwards, an equal value never displaces an earlier index.
    if (filled === m && !(v > (outValue[m - 1] as number))) continue;
    let p = filled === m ? m - 1 : filled;
    while (p > 0 && v > (outValue[p - 1] as number)) {
      outValue[p] = outValue[p - 1] as number;
      outIndex[p] = outIndex[p - 1] as number;
      p--;
    }
    outValue[p] = v;
    outIndex[p] = j;
    if (filled < m) filled++;
  }
  return m;
}

/** Index of the largest value, ties to the lower index. */
export function argMax(values: Float64Array, n: number): number {
  let best = 0;
  let bv = values[0] as number;
  for (let j = 1; j < n; j++) {
    const v = values[j] as number;
    if (v > bv) {
      bv = v;
      best = j;
    }
  }
  return best;
}
