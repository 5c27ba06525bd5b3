import { LaserError, checkRange, invalidArgument } from '@laserkit/core';
import { LINKS, type Candidates, type DecideOptions } from './types.js';

/** Checks a request's candidates once per decision: O(n), no allocation. */
export function checkCandidates(c: Candidates): number {
  if (c === null || typeof c !== 'object') throw invalidArgument('candidates', c, 'must be an object');
  const n = c.count;
  if (!Number.isInteger(n) || n < 1) throw invalidArgument('candidates.count', n, 'must be an integer >= 1', 'a request with no eligible ads has nothing to decide');
  if (!(c.mean instanceof Float64Array) || c.mean.length < n) throw invalidArgument('candidates.mean', c.mean, `must be a Float64Array of length >= count (${n})`);
  if (!(c.variance instanceof Float64Array) || c.variance.length < n) throw invalidArgument('candidates.variance', c.variance, `must be a Float64Array of length >= count (${n})`);
  if (!LINKS.includes(c.link)) throw invalidArgument('candidates.link', c.link, `must be one of ${LINKS.map((l) => JSON.stringify(l)).join(', ')}`);
  const bid = c.bid;
  if (bid !== undefined && (!(bid instanceof Float64Array) || bid.length < n)) throw invalidArgument('candidates.bid', bid, `must be a Float64Array of length >= count (${n})`);
  for (let j = 0; j < n; j++) {
    const m = c.mean[j] as number;
    const v = c.variance[j] as number;
    if (!Number.isFinite(m)) throw invalidArgument(`candidates.mean[${j}]`, m, 'must be a finite number');
    if (!(v >= 0) || v === Infinity) throw invalidArgument(`candidates.variance[${j}]`, v, 'must be a finite number >= 0');
    if (bid !== undefined) {
      const b = bid[j] as number;
      if (!(b > 0) || b === Infinity) throw invalidArgument(`candidates.bid[${j}]`, b, 'must be a finite number > 0', 'leave an ad with no bid out of the candidates');
    }
  }
  return n;
}

export function checkDecideOptions(o: DecideOptions): number {
  if (o === null || typeof o !== 'object') throw invalidArgument('options', o, 'must be an object with k and rng');
  const k = o.k;
  if (!Number.isInteger(k) || k < 1) throw invalidArgument('options.k', k, 'must be an integer >= 1');
  if (o.rng === undefined || typeof o.rng.nextFloat !== 'function') throw invalidArgument('options.rng', o.rng, 'must be a SeededRng from @laserkit/core');
  return k;
}

/** The propensity floor every policy shares. */
export function checkPropensityFloor(field: string, value: unknown): number {
  return checkRange(field, value, 0, 0.01, { minExclusive: true });
}

/**
 * The logged propensity: at least the floor, and never NaN or Infinity (Math.max would let NaN
 * through into every importance weight downstream).
 */
export function floored(floor: number, p: number, policy: string): number {
  if (Number.isNaN(p) || p === Infinity) throw new LaserError('INTERNAL', `${policy}: the top-1 propensity came out ${p}; the candidates are beyond what its quadrature can resolve (extreme bids or prior shapes)`, { details: { propensity: p } });
  return p > floor ? p : floor;
}
