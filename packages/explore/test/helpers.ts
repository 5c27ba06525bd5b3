import { SeededRng } from '@laserkit/core';
import type { Candidates, Link } from '../src/types.js';

/** Random candidates: means N(0, meanSd²), variances uniform in [0, maxVariance], some exact zeros. */
export function randomCandidates(seed: number, n: number, opts: { meanSd?: number; maxVariance?: number; zeroShare?: number; bids?: boolean; link?: Link } = {}): Candidates {
  const rng = new SeededRng(seed);
  const mean = new Float64Array(n);
  const variance = new Float64Array(n);
  const bid = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    mean[j] = (opts.meanSd ?? 1) * rng.nextNormal() + (opts.link === 'logistic' && opts.bids === true ? -3 : 0);
    variance[j] = rng.nextFloat() < (opts.zeroShare ?? 0) ? 0 : (opts.maxVariance ?? 1) * rng.nextFloat();
    bid[j] = 0.5 + 2 * rng.nextFloat();
  }
  return { count: n, mean, variance, link: opts.link ?? 'logistic', ...(opts.bids === true ? { bid } : {}) };
}
