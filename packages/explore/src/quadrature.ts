/**
 * Gauss-Kronrod quadrature, the 7-point Gauss rule embedded in the 15-point Kronrod rule
 * (Piessens et al., QUADPACK, 1983, routine QK15): the difference of the two is the error
 * estimate that drives adaptive bisection. Abscissae on [-1, 1]; index 7 is the centre.
 */
export const KRONROD_NODES: readonly number[] = [
  0.9914553711208126, 0.9491079123427585, 0.8648644233597691, 0.7415311855993945,
  0.5860872354676911, 0.4058451513773972, 0.20778495500789848, 0,
];
export const KRONROD_WEIGHTS: readonly number[] = [
  0.022935322010529224, 0.06309209262997856, 0.10479001032225019, 0.14065325971552592,
  0.1690047266392679, 0.19035057806478542, 0.20443294007529889, 0.20948214108472782,
];
/** Weights of the 7-point Gauss rule, whose nodes are KRONROD_NODES[1], [3], [5] and [7]. */
export const GAUSS7_WEIGHTS: readonly number[] = [0.1294849661688697, 0.27970539148927664, 0.3818300505051189, 0.4179591836734694];

const XK = Float64Array.from(KRONROD_NODES);
const WK = Float64Array.from(KRONROD_WEIGHTS);
const WG = Float64Array.from(GAUSS7_WEIGHTS);

/** Result of one K15 panel: the integral and |K15 - G7|. */
export interface PanelResult {
  value: number;
  error: number;
}

/** One Kronrod panel on [a, b]; writes into `out` (no allocation). */
export function kronrodPanel(f: (x: number) => number, a: number, b: number, out: PanelResult): PanelResult {
  const c = 0.5 * (a + b);
  const h = 0.5 * (b - a);
  const fc = f(c);
  let k = (WK[7] as number) * fc;
  let g = (WG[3] as number) * fc;
  for (let i = 0; i < 7; i++) {
    const dx = h * (XK[i] as number);
    const f1 = f(c - dx);
    const f2 = f(c + dx);
    k += (WK[i] as number) * (f1 + f2);
    if ((i & 1) === 1) g += (WG[i >> 1] as number) * (f1 + f2);
  }
  out.value = k * h;
  out.error = Math.abs((k - g) * h);
  return out;
}

export interface AdaptiveResult {
  readonly value: number;
  /** Sum of the panels' |K15 - G7| estimates: a conservative bound for smooth integrands. */
  readonly errorEstimate: number;
  readonly panels: number;
}

/**
 * Adaptive Gauss-Kronrod on [a, b]: starts from `initialPanels` equal panels and bisects the
 * panel with the largest error estimate until the total estimate is below `absTolerance` or
 * `maxPanels` is reached. Not for hot loops (it allocates its panel list).
 */
export function integrateAdaptive(f: (x: number) => number, a: number, b: number, absTolerance = 1e-10, initialPanels = 4, maxPanels = 2000): AdaptiveResult {
  if (!(b > a)) return { value: 0, errorEstimate: 0, panels: 0 };
  const lo: number[] = [];
  const hi: number[] = [];
  const val: number[] = [];
  const err: number[] = [];
  const r: PanelResult = { value: 0, error: 0 };
  const w = (b - a) / initialPanels;
  for (let i = 0; i < initialPanels; i++) {
    const x0 = a + i * w;
    const x1 = i === initialPanels - 1 ? b : x0 + w;
    kronrodPanel(f, x0, x1, r);
    lo.push(x0);
    hi.push(x1);
    val.push(r.value);
    err.push(r.error);
  }
  for (;;) {
    let total = 0;
    let worst = 0;
    for (let i = 0; i < err.length; i++) {
      total += err[i] as number;
      if ((err[i] as number) > (err[worst] as number)) worst = i;
    }
    if (total <= absTolerance || err.length >= maxPanels) {
      let value = 0;
      for (const v of val) value += v;
      return { value, errorEstimate: total, panels: err.length };
    }
    const x0 = lo[worst] as number;
    const x1 = hi[worst] as number;
    const mid = 0.5 * (x0 + x1);
    kronrodPanel(f, x0, mid, r);
    hi[worst] = mid;
    val[worst] = r.value;
    err[worst] = r.error;
    kronrodPanel(f, mid, x1, r);
    lo.push(mid);
    hi.push(x1);
    val.push(r.value);
    err.push(r.error);
  }
}
