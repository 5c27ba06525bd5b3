import { evaluateBinary, invalidArgument, checkOneOf } from '@laserkit/core';
import { ChunkedFileWriter, formatHeader, formatRow, formatSvmlightRow } from './traffic-file.js';
import { createTraffic, type Traffic, type TrafficRow } from './traffic.js';
import type { TrafficOptions } from './traffic-options.js';
import { summarizeWarmness, type WarmnessSummary } from './warmness.js';

export type TrafficFileFormat = 'traffic' | 'svmlight';

export interface WriteTrafficOptions {
  /** Output path. */
  readonly path: string;
  /** 'traffic' (the documented laserkit format) or 'svmlight' (main effects, for peers). @default 'traffic' */
  readonly format?: TrafficFileFormat;
  /** Also write the true model as JSON here. */
  readonly truthPath?: string;
  /** Called every `progressEvery` rows with the number written so far. */
  readonly onProgress?: (rowsWritten: number) => void;
  /** @default 100000 */
  readonly progressEvery?: number;
}

export interface Spread {
  readonly campaigns: number;
  readonly min: number;
  readonly median: number;
  readonly max: number;
}

function spreadOf(values: number[]): Spread {
  values.sort((a, b) => a - b);
  return {
    campaigns: values.length,
    min: values[0] ?? Number.NaN,
    median: values[Math.floor(values.length / 2)] ?? Number.NaN,
    max: values[values.length - 1] ?? Number.NaN,
  };
}

export interface TrafficSummary {
  readonly rows: number;
  readonly clicks: number;
  readonly ctr: number;
  readonly distinctUsers: number;
  readonly campaignsWithTraffic: number;
  readonly dimensions: { readonly user: number; readonly ad: number; readonly context: number };
  /** Mean active features per row, all namespaces together. */
  readonly meanActiveFeatures: number;
  /** Observed click rates of the campaigns with at least 1,000 impressions. */
  readonly campaignCtr: Spread;
  /** Expected click rates (mean p_true) of the same campaigns: what the generator was calibrated to. */
  readonly campaignExpectedCtr: Spread;
  readonly warmness: WarmnessSummary;
  /** How well the true probabilities themselves predict the labels: the ceiling for any model. */
  readonly truth: { readonly auc: number; readonly logLoss: number; readonly normalizedEntropy: number };
}

/** Accumulates a summary over rows as they stream past. */
export class TrafficSummarizer {
  private readonly labels: Uint8Array;
  private readonly p: Float64Array;
  private n = 0;
  private active = 0;
  private readonly users = new Set<number>();
  private readonly impressions: Float64Array;
  private readonly clicksBy: Float64Array;
  private readonly expectedBy: Float64Array;

  constructor(private readonly traffic: Pick<Traffic, 'options' | 'truth'>) {
    this.labels = new Uint8Array(traffic.options.rows);
    this.p = new Float64Array(traffic.options.rows);
    this.impressions = new Float64Array(traffic.options.campaigns);
    this.clicksBy = new Float64Array(traffic.options.campaigns);
    this.expectedBy = new Float64Array(traffic.options.campaigns);
  }

  add(row: TrafficRow): void {
    this.labels[this.n] = row.label;
    this.p[this.n] = row.pTrue;
    this.n++;
    this.active += row.userFeatures.length + row.adFeatures.length + row.contextFeatures.length;
    this.users.add(row.user);
    this.impressions[row.campaign] = (this.impressions[row.campaign] as number) + 1;
    this.clicksBy[row.campaign] = (this.clicksBy[row.campaign] as number) + row.label;
    this.expectedBy[row.campaign] = (this.expectedBy[row.campaign] as number) + row.pTrue;
  }

  summary(): TrafficSummary {
    const n = this.n;
    let clicks = 0;
    for (let i = 0; i < n; i++) clicks += this.labels[i] as number;
    const ctrs: number[] = [];
    const expected: number[] = [];
    let withTraffic = 0;
    for (let j = 0; j < this.impressions.length; j++) {
      const imp = this.impressions[j] as number;
      if (imp > 0) withTraffic++;
      if (imp >= 1000) {
        ctrs.push((this.clicksBy[j] as number) / imp);
        expected.push((this.expectedBy[j] as number) / imp);
      }
    }
    const t = this.traffic.truth;
    const m = n > 0 ? evaluateBinary(this.p.subarray(0, n), this.labels.subarray(0, n)) : undefined;
    return {
      rows: n,
      clicks,
      ctr: n > 0 ? clicks / n : Number.NaN,
      distinctUsers: this.users.size,
      campaignsWithTraffic: withTraffic,
      dimensions: { user: t.userDimension, ad: t.adDimension, context: t.contextDimension },
      meanActiveFeatures: n > 0 ? this.active / n : Number.NaN,
      campaignCtr: spreadOf(ctrs),
      campaignExpectedCtr: spreadOf(expected),
      warmness: summarizeWarmness(this.impressions, this.clicksBy),
      truth: { auc: m?.auc ?? Number.NaN, logLoss: m?.logLoss ?? Number.NaN, normalizedEntropy: m?.normalizedEntropy ?? Number.NaN },
    };
  }
}

/** Generates traffic into a file (and optionally its true model) and returns its summary. */
export function writeTraffic(options: TrafficOptions, output: WriteTrafficOptions): TrafficSummary & { readonly bytes: number } {
  if (output === null || typeof output !== 'object' || typeof output.path !== 'string' || output.path.length === 0) {
    throw invalidArgument('output.path', output?.path, 'must be a non-empty file path');
  }
  const format = checkOneOf('output.format', output.format ?? 'traffic', ['traffic', 'svmlight'] as const);
  const every = output.progressEvery ?? 100_000;
  if (!Number.isInteger(every) || every <= 0) throw invalidArgument('output.progressEvery', every, 'must be a positive integer');
  const traffic = createTraffic(options);
  const { truth } = traffic;
  const writer = new ChunkedFileWriter(output.path);
  const summarizer = new TrafficSummarizer(traffic);
  try {
    if (format === 'traffic') {
      writer.write(
        formatHeader({
          dimensions: { user: truth.userDimension, ad: truth.adDimension, context: truth.contextDimension },
          campaigns: truth.campaigns,
          users: traffic.options.users,
          rows: traffic.options.rows,
          generator: traffic.options,
        }),
      );
    }
    const adOffset = truth.userDimension;
    const contextOffset = truth.userDimension + truth.adDimension;
    for (const row of traffic.rows()) {
      writer.write(format === 'traffic' ? formatRow(row) : formatSvmlightRow(row, adOffset, contextOffset));
      summarizer.add(row);
      if (output.onProgress !== undefined && (row.index + 1) % every === 0) output.onProgress(row.index + 1);
    }
  } finally {
    writer.close();
  }
  if (output.truthPath !== undefined) {
    const truthWriter = new ChunkedFileWriter(output.truthPath);
    truthWriter.write(serializeTruth(traffic));
    truthWriter.close();
  }
  return { ...summarizer.summary(), bytes: writer.bytesWritten };
}

/** The true model and population as JSON (typed arrays as plain arrays). */
export function serializeTruth(traffic: Traffic): string {
  const plain = (o: object): Record<string, unknown> =>
    Object.fromEntries(Object.entries(o).map(([k, v]) => [k, ArrayBuffer.isView(v) ? Array.from(v as unknown as ArrayLike<number>) : v]));
  return `${JSON.stringify({ options: traffic.options, truth: plain(traffic.truth), population: plain(traffic.population) })}\n`;
}
