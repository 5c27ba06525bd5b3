import { dotDense, type FeatureNamespace, type SparseVector } from '@laserkit/core';
import { crossValue, projectFactors, type CrossTerm, type GlmixModel } from '@laserkit/model';

/**
 * Partials that depend on one request-side vector only (user or context), computed once per
 * request for all ads and cached under the vector's key (LASER, WSDM 2014 §4.2): the main effect
 * x'α and, for each low-rank cross whose left side is this namespace, x'U.
 */
export interface SidePartialSpec {
  readonly term: string;
  compute(v: SparseVector): number | Float64Array;
}

export function sidePartialSpecs(model: GlmixModel, ns: FeatureNamespace): SidePartialSpec[] {
  const specs: SidePartialSpec[] = [];
  const main = model.main.find((m) => m.namespace === ns);
  if (main !== undefined) specs.push({ term: `main:${ns}`, compute: (v) => dotDense(v, main.weights) });
  for (const c of model.crosses) {
    if (c.kind !== 'lowRank') continue;
    // The left side of every cross is user or context; context is also the right side of userContext.
    if (leftOf(c) === ns) specs.push({ term: `factors:${c.id}:left`, compute: (v) => projectFactors(c.leftFactors, c.rank, v) });
    if (c.id === 'userContext' && ns === 'context') specs.push({ term: `factors:${c.id}:right`, compute: (v) => projectFactors(c.rightFactors, c.rank, v) });
  }
  return specs;
}

export function leftOf(c: CrossTerm): FeatureNamespace {
  return c.id === 'contextAd' ? 'context' : 'user';
}

/** x'Cz for the user×context cross: a per-request scalar (no ad involved); NaN when an input is missing. */
export function userContextValue(c: CrossTerm, x: SparseVector | null, z: SparseVector | null, u: Float64Array | null, w: Float64Array | null): number {
  if (c.kind === 'lowRank') {
    // Either side's projection (x'U, Vᵀz) may come from the cache when its vector is late.
    const left = u ?? (x === null ? null : projectFactors(c.leftFactors, c.rank, x));
    const right = w ?? (z === null ? null : projectFactors(c.rightFactors, c.rank, z));
    if (left === null || right === null) return Number.NaN;
    let s = 0;
    for (let r = 0; r < c.rank; r++) s += (left[r] as number) * (right[r] as number);
    return s;
  }
  return x === null || z === null ? Number.NaN : crossValue(c, x, z);
}
