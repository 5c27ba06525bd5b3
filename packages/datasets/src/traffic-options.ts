import { checkInteger, checkKnownKeys, checkRange, invalidArgument } from '@laserkit/core';

/**
 * Target standard deviation of each term of the true logit (LASER WSDM 2014, eq. 1-6), over the
 * traffic. The generator derives coefficient scales from these and the active-feature counts, so
 * the mix of signal between main effects, crosses and per-campaign effects is set directly.
 */
export interface TermScales {
  /** x_i'α */
  readonly user: number;
  /** c_j'β */
  readonly ad: number;
  /** z_t'γ */
  readonly context: number;
  /** x_i'A c_j */
  readonly userAd: number;
  /** x_i'C z_t */
  readonly userContext: number;
  /** z_t'B c_j */
  readonly contextAd: number;
  /** x_i'η_j: per-campaign coefficients on the warm-start user features */
  readonly warmUser: number;
  /** z_t'ξ_j: per-campaign coefficients on the context features */
  readonly warmContext: number;
}

export interface TrafficOptions {
  /** Seed of every random choice; the same options give identical rows and bytes. @default 1 */
  readonly seed?: number;
  /** Number of impressions. @default 100000 */
  readonly rows?: number;
  /** Distinct users. @default 20000 */
  readonly users?: number;
  /** Distinct campaigns (ads). @default 1000 */
  readonly campaigns?: number;
  /** Dimension of the user feature space x_i. @default 10000 */
  readonly userDimension?: number;
  /** Dimension of the campaign feature space c_j. @default 2000 */
  readonly adDimension?: number;
  /** Cardinality of each one-hot context field (hour, page, format, device...); z_t has one active entry per field. @default [24, 8, 4, 3] */
  readonly contextFields?: readonly number[];
  /** Mean number of active features per user (each user draws between half and 1.5 times this). @default 30 */
  readonly activeUserFeatures?: number;
  /** Mean number of active features per campaign. @default 15 */
  readonly activeAdFeatures?: number;
  /** The per-campaign user coefficients η_j act on the first this-many user features (LASER's warm-start part uses a small feature set). @default 32 */
  readonly warmUserFeatures?: number;
  /** Rank of the true cross matrices A, B, C (each A = U Vᵀ). @default 4 */
  readonly crossRank?: number;
  /** Zipf exponent of campaign traffic: larger means more cold campaigns. @default 1.1 */
  readonly campaignSkew?: number;
  /** Zipf exponent of user traffic. @default 0.6 */
  readonly userSkew?: number;
  /** Zipf exponent of feature popularity when users and campaigns draw their features. @default 0.8 */
  readonly featureSkew?: number;
  /** Each campaign's expected click rate is drawn log-uniformly from [ctrMin, ctrMax]. @default 0.005 */
  readonly ctrMin?: number;
  /** @default 0.05 */
  readonly ctrMax?: number;
  /** Standard deviation of each term of the true logit. */
  readonly termScales?: Partial<TermScales>;
}

export type ResolvedTrafficOptions = Required<Omit<TrafficOptions, 'termScales' | 'contextFields'>> & {
  readonly termScales: TermScales;
  readonly contextFields: readonly number[];
};

export const DEFAULT_TERM_SCALES: TermScales = Object.freeze({
  user: 0.5,
  ad: 0.3,
  context: 0.3,
  userAd: 0.4,
  userContext: 0.25,
  contextAd: 0.25,
  warmUser: 0.3,
  warmContext: 0.2,
});

export const DEFAULT_TRAFFIC_OPTIONS: ResolvedTrafficOptions = Object.freeze({
  seed: 1,
  rows: 100_000,
  users: 20_000,
  campaigns: 1000,
  userDimension: 10_000,
  adDimension: 2_000,
  contextFields: Object.freeze([24, 8, 4, 3]),
  activeUserFeatures: 30,
  activeAdFeatures: 15,
  warmUserFeatures: 32,
  crossRank: 4,
  campaignSkew: 1.1,
  userSkew: 0.6,
  featureSkew: 0.8,
  ctrMin: 0.005,
  ctrMax: 0.05,
  termScales: DEFAULT_TERM_SCALES,
});

const KNOWN = Object.keys(DEFAULT_TRAFFIC_OPTIONS);

/** Fills defaults and validates every field once; errors name the field, the value and the constraint. */
export function resolveTrafficOptions(options: TrafficOptions = {}): ResolvedTrafficOptions {
  if (options === null || typeof options !== 'object') throw invalidArgument('options', options, 'must be an object');
  checkKnownKeys('options', options, KNOWN);
  const o = { ...DEFAULT_TRAFFIC_OPTIONS, ...stripUndefined(options) } as ResolvedTrafficOptions;
  checkInteger('seed', o.seed, 0, 0xffffffff);
  checkInteger('rows', o.rows, 0, 2 ** 31 - 1);
  checkInteger('users', o.users, 1, 10_000_000);
  checkInteger('campaigns', o.campaigns, 1, 1_000_000);
  checkInteger('userDimension', o.userDimension, 1, 2 ** 30);
  checkInteger('adDimension', o.adDimension, 1, 2 ** 30);
  if (!Array.isArray(o.contextFields) || o.contextFields.length === 0) {
    throw invalidArgument('contextFields', o.contextFields, 'must be a non-empty array of field cardinalities');
  }
  o.contextFields.forEach((c, i) => checkInteger(`contextFields[${i}]`, c, 1, 1_000_000));
  checkInteger('activeUserFeatures', o.activeUserFeatures, 1, Math.floor(o.userDimension / 2));
  checkInteger('activeAdFeatures', o.activeAdFeatures, 1, Math.floor(o.adDimension / 2));
  checkInteger('warmUserFeatures', o.warmUserFeatures, 0, o.userDimension);
  checkInteger('crossRank', o.crossRank, 0, 64);
  checkRange('campaignSkew', o.campaignSkew, 0, 4);
  checkRange('userSkew', o.userSkew, 0, 4);
  checkRange('featureSkew', o.featureSkew, 0, 4);
  checkRange('ctrMin', o.ctrMin, 0, 1, { minExclusive: true, maxExclusive: true });
  checkRange('ctrMax', o.ctrMax, 0, 1, { minExclusive: true, maxExclusive: true });
  if (o.ctrMax < o.ctrMin) throw invalidArgument('ctrMax', o.ctrMax, `must be >= ctrMin (${o.ctrMin})`);
  const scales = options.termScales ?? {};
  checkKnownKeys('termScales', scales, Object.keys(DEFAULT_TERM_SCALES));
  const termScales = { ...DEFAULT_TERM_SCALES, ...stripUndefined(scales) };
  for (const [k, v] of Object.entries(termScales)) checkRange(`termScales.${k}`, v, 0, 10);
  return Object.freeze({ ...o, contextFields: Object.freeze([...o.contextFields]), termScales: Object.freeze(termScales) });
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
