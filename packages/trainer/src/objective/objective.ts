/**
 * What the solvers see of a problem (Photon ML's DiffFunction / TwiceDiffFunction): the types say
 * which solver may run on which objective. L-BFGS and OWL-QN need a `DifferentiableObjective`;
 * TRON needs a `TwiceDifferentiableObjective`.
 *
 * Vectors are Float64Array of length `dimension`; results go into caller-owned buffers so that a
 * solver allocates its work vectors once.
 */
export interface DifferentiableObjective {
  /** Number of coefficients. */
  readonly dimension: number;
  /**
   * The coordinate that is an unpenalised intercept, or null. Solvers that add a penalty of their
   * own (OWL-QN's L1 term) leave this coordinate unpenalised.
   */
  readonly interceptIndex: number | null;
  /** f(w). Does not move the point at which curvature is cached. */
  value(w: Float64Array): number;
  /** f(w), with ∇f(w) written into `gradientOut`. Curvature (if any) is cached at w. */
  valueAndGradient(w: Float64Array, gradientOut: Float64Array): number;
}

export interface TwiceDifferentiableObjective extends DifferentiableObjective {
  /** H v, with H the Hessian at the point of the last `valueAndGradient` call. */
  hessianVector(v: Float64Array, out: Float64Array): void;
  /** diag(H) at the point of the last `valueAndGradient` call. */
  hessianDiagonal(out: Float64Array): void;
}
