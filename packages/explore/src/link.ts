import type { Link } from './types.js';

/** The response g(s) of a linear predictor under a link. */
export function response(link: Link, s: number): number {
  if (link === 'logistic') return s >= 0 ? 1 / (1 + Math.exp(-s)) : Math.exp(s) / (1 + Math.exp(s));
  if (link === 'log') return Math.exp(s);
  return s;
}

/**
 * The s with g(s) = r, for a ranking threshold moved through the link: +Infinity above the
 * range of g (no s reaches r) and -Infinity below it (every s exceeds r).
 */
export function inverseResponse(link: Link, r: number): number {
  if (link === 'logistic') {
    if (r >= 1) return Infinity;
    if (r <= 0) return -Infinity;
    return Math.log(r / (1 - r));
  }
  if (link === 'log') return r <= 0 ? -Infinity : Math.log(r);
  return r;
}

/** The value candidates are ranked by: s itself without bids (g is increasing), else bid × g(s). */
export function rankValue(link: Link, s: number, bid: Float64Array | undefined, j: number): number {
  return bid === undefined ? s : (bid[j] as number) * response(link, s);
}
