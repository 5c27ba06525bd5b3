// Dense BLAS-1 helpers on Float64Array for the solvers (n-dimensional work vectors, not rows).

export function dot(a: Float64Array, b: Float64Array): number {
  const n = a.length;
  let s = 0;
  for (let i = 0; i < n; i++) s += (a[i] as number) * (b[i] as number);
  return s;
}

/** Σ a_i m_i b_i: the inner product in the metric diag(m). */
export function weightedDot(a: Float64Array, m: Float64Array, b: Float64Array): number {
  const n = a.length;
  let s = 0;
  for (let i = 0; i < n; i++) s += (a[i] as number) * (m[i] as number) * (b[i] as number);
  return s;
}

/** ‖a‖₂, scaled so that it neither overflows nor underflows for large or tiny entries. */
export function norm2(a: Float64Array): number {
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    const v = Math.abs(a[i] as number);
    if (v > scale) scale = v;
  }
  if (scale === 0 || !Number.isFinite(scale)) return scale;
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    const v = (a[i] as number) / scale;
    s += v * v;
  }
  return scale * Math.sqrt(s);
}

/** y ← y + α x. */
export function axpy(alpha: number, x: Float64Array, y: Float64Array): void {
  const n = x.length;
  for (let i = 0; i < n; i++) y[i]! += alpha * (x[i] as number);
}

/** out ← w + α d. */
export function addScaled(w: Float64Array, alpha: number, d: Float64Array, out: Float64Array): void {
  const n = w.length;
  for (let i = 0; i < n; i++) out[i] = (w[i] as number) + alpha * (d[i] as number);
}

/** ‖a − b‖₂. */
export function distance(a: Float64Array, b: Float64Array): number {
  const n = a.length;
  let s = 0;
  for (let i = 0; i < n; i++) {
    const d = (a[i] as number) - (b[i] as number);
    s += d * d;
  }
  return Math.sqrt(s);
}
