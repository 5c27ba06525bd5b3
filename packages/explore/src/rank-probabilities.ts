import { KRONROD_NODES, KRONROD_WEIGHTS, GAUSS7_WEIGHTS } from './quadrature.js';

/**
 * Densities and distribution functions of n independent continuous scores at a point x:
 * `evaluate(x, pdf, cdf)` fills pdf[j] = f_j(x) and cdf[j] = F_j(x).
 */
export type IndependentScores = (x: number, pdf: Float64Array, cdf: Float64Array) => void;

export interface RankProbabilitiesResult {
  /** `probability[j * ranks + r]` = P(candidate j is ranked r-th, 0 = first). */
  readonly probability: Float64Array;
  /** Sum over panels of the largest |K15 - G7| component. */
  readonly errorEstimate: number;
  readonly panels: number;
}

/**
 * For independent continuous scores with densities f_j and distribution functions F_j, the
 * probability that j is ranked r-th (r = 0 … ranks-1) is the 1-D integral
 *
 *   P(rank_j = r) = ∫ f_j(x) · [tʳ] Π_{b≠j} (F_b(x) + t·(1 - F_b(x))) dx,
 *
 * the coefficient of tʳ counting the ways exactly r of the others score above x. All n·ranks
 * integrals share one adaptive Gauss-Kronrod grid on [lo, hi] (the panel with the largest error in
 * any component is bisected). Cost O(n²·ranks) per node, for tens to hundreds of arms.
 */
export function rankProbabilities(n: number, ranks: number, lo: number, hi: number, evaluate: IndependentScores, absTolerance = 1e-9, maxPanels = 4000): RankProbabilitiesResult {
  const width = n * ranks;
  const pdf = new Float64Array(n);
  const cdf = new Float64Array(n);
  const coef = new Float64Array(ranks);
  const fx = new Float64Array(width);
  const kAcc = new Float64Array(width);
  const gAcc = new Float64Array(width);
  const at = (x: number): Float64Array => {
    evaluate(x, pdf, cdf);
    for (let j = 0; j < n; j++) {
      const base = j * ranks;
      const f = pdf[j] as number;
      if (!(f > 0)) {
        fx.fill(0, base, base + ranks);
        continue;
      }
      coef.fill(0);
      coef[0] = 1;
      for (let b = 0; b < n; b++) {
        if (b === j) continue;
        const F = cdf[b] as number;
        for (let r = ranks - 1; r > 0; r--) coef[r] = (coef[r] as number) * F + (coef[r - 1] as number) * (1 - F);
        coef[0] = (coef[0] as number) * F;
      }
      for (let r = 0; r < ranks; r++) fx[base + r] = f * (coef[r] as number);
    }
    return fx;
  };
  interface Panel {
    a: number;
    b: number;
    value: Float64Array;
    error: number;
  }
  const panelOf = (a: number, b: number): Panel => {
    const c = 0.5 * (a + b);
    const h = 0.5 * (b - a);
    const f0 = at(c);
    for (let i = 0; i < width; i++) {
      kAcc[i] = (KRONROD_WEIGHTS[7] as number) * (f0[i] as number);
      gAcc[i] = (GAUSS7_WEIGHTS[3] as number) * (f0[i] as number);
    }
    for (let q = 0; q < 7; q++) {
      const dx = h * (KRONROD_NODES[q] as number);
      const wk = KRONROD_WEIGHTS[q] as number;
      const wg = (q & 1) === 1 ? (GAUSS7_WEIGHTS[q >> 1] as number) : 0;
      for (const x of [c - dx, c + dx]) {
        const fv = at(x);
        for (let i = 0; i < width; i++) {
          kAcc[i] = (kAcc[i] as number) + wk * (fv[i] as number);
          gAcc[i] = (gAcc[i] as number) + wg * (fv[i] as number);
        }
      }
    }
    const value = new Float64Array(width);
    let error = 0;
    for (let i = 0; i < width; i++) {
      value[i] = (kAcc[i] as number) * h;
      error = Math.max(error, Math.abs(((kAcc[i] as number) - (gAcc[i] as number)) * h));
    }
    return { a, b, value, error };
  };
  const panels: Panel[] = [];
  const init = 8;
  for (let i = 0; i < init; i++) panels.push(panelOf(lo + ((hi - lo) * i) / init, i === init - 1 ? hi : lo + ((hi - lo) * (i + 1)) / init));
  for (;;) {
    let total = 0;
    let worst = 0;
    panels.forEach((p, i) => {
      total += p.error;
      if (p.error > (panels[worst] as Panel).error) worst = i;
    });
    if (total <= absTolerance || panels.length >= maxPanels) {
      const probability = new Float64Array(width);
      for (const p of panels) for (let i = 0; i < width; i++) probability[i] = (probability[i] as number) + (p.value[i] as number);
      return { probability, errorEstimate: total, panels: panels.length };
    }
    const w = panels[worst] as Panel;
    const mid = 0.5 * (w.a + w.b);
    panels[worst] = panelOf(w.a, mid);
    panels.push(panelOf(mid, w.b));
  }
}
