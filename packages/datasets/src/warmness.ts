import { invalidArgument } from '@laserkit/core';

/**
 * Campaign warmness by number of impressions. LASER (WSDM 2014, §5) reports that Thompson
 * sampling and the warm-start model behave differently on cold, mid-warm and warm campaigns, so
 * evaluation is broken down by this bucket.
 */
export const WARMNESS_BUCKETS = ['cold', 'cool', 'warm', 'hot'] as const;
export type Warmness = (typeof WARMNESS_BUCKETS)[number];

/** Impression counts at which a campaign moves to the next bucket. @default [100, 1000, 10000] */
export const DEFAULT_WARMNESS_EDGES: readonly [number, number, number] = [100, 1000, 10_000];

export function warmnessOf(impressions: number, edges: readonly [number, number, number] = DEFAULT_WARMNESS_EDGES): Warmness {
  if (!(edges[0] <= edges[1] && edges[1] <= edges[2])) throw invalidArgument('edges', edges, 'must be non-decreasing');
  if (impressions < edges[0]) return 'cold';
  if (impressions < edges[1]) return 'cool';
  if (impressions < edges[2]) return 'warm';
  return 'hot';
}

export type WarmnessSummary = Readonly<Record<Warmness, { readonly campaigns: number; readonly impressions: number; readonly clicks: number; readonly ctr: number }>>;

export function summarizeWarmness(impressions: ArrayLike<number>, clicks: ArrayLike<number>, edges = DEFAULT_WARMNESS_EDGES): WarmnessSummary {
  const out = Object.fromEntries(WARMNESS_BUCKETS.map((b) => [b, { campaigns: 0, impressions: 0, clicks: 0, ctr: Number.NaN }])) as Record<
    Warmness,
    { campaigns: number; impressions: number; clicks: number; ctr: number }
  >;
  for (let j = 0; j < impressions.length; j++) {
    const imp = impressions[j] as number;
    if (imp === 0) continue;
    const b = out[warmnessOf(imp, edges)];
    b.campaigns++;
    b.impressions += imp;
    b.clicks += clicks[j] as number;
  }
  for (const b of Object.values(out)) b.ctr = b.impressions > 0 ? b.clicks / b.impressions : Number.NaN;
  return out;
}
