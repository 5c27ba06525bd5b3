import { Option, type Command } from 'commander';
import { WARMNESS_BUCKETS, writeTraffic, type TrafficFileFormat, type TrafficOptions, type TrafficSummary } from '@laserkit/datasets';
import { integerArg, numberArg } from './options.js';
import { megabytes, percent, table } from './format.js';

export interface GenerateResult {
  readonly summary: TrafficSummary & { readonly bytes: number };
  readonly seconds: number;
}

export function runGenerate(traffic: TrafficOptions, out: string, format: TrafficFileFormat, truthPath?: string, log: (s: string) => void = console.log): GenerateResult {
  const t0 = performance.now();
  const summary = writeTraffic(traffic, {
    path: out,
    format,
    ...(truthPath === undefined ? {} : { truthPath }),
    onProgress: (n) => process.stderr.isTTY && process.stderr.write(`\r  ${n.toLocaleString('en-US')} rows`),
  });
  if (process.stderr.isTTY) process.stderr.write('\r\x1b[K');
  const seconds = (performance.now() - t0) / 1000;
  log(describeSummary(summary, out, seconds));
  return { summary, seconds };
}

export function describeSummary(s: TrafficSummary & { readonly bytes: number }, out: string, seconds: number): string {
  const overview = table([
    ['file', out],
    ['rows', s.rows],
    ['clicks', s.clicks],
    ['click rate', percent(s.ctr)],
    ['users seen', s.distinctUsers],
    ['campaigns with traffic', s.campaignsWithTraffic],
    ['dimensions (user / ad / context)', `${s.dimensions.user} / ${s.dimensions.ad} / ${s.dimensions.context}`],
    ['active features per row', s.meanActiveFeatures],
    ['campaign CTR, >=1k impressions (min / median / max)', `${percent(s.campaignCtr.min)} / ${percent(s.campaignCtr.median)} / ${percent(s.campaignCtr.max)}`],
    ['true model on these rows: AUC / log loss / NE', `${s.truth.auc.toFixed(4)} / ${s.truth.logLoss.toFixed(4)} / ${s.truth.normalizedEntropy.toFixed(4)}`],
    ['size', megabytes(s.bytes)],
    ['time', `${seconds.toFixed(2)} s (${Math.round(s.rows / seconds).toLocaleString('en-US')} rows/s)`],
  ]);
  const warmness = table(
    WARMNESS_BUCKETS.map((b) => {
      const w = s.warmness[b];
      return [b, w.campaigns, w.impressions, w.clicks, percent(w.ctr)];
    }),
    ['campaign warmness', 'campaigns', 'impressions', 'clicks', 'CTR'],
  );
  return `${overview}\n${warmness}`;
}

export function registerGenerate(program: Command): void {
  program
    .command('generate')
    .description('generate LASER-shaped ad traffic with a known true model')
    .requiredOption('-o, --out <file>', 'output file')
    .option('--rows <n>', 'impressions', integerArg(0, 2 ** 31 - 1), 100_000)
    .option('--seed <n>', 'random seed (same seed, same bytes)', integerArg(0, 0xffffffff), 1)
    .option('--users <n>', 'distinct users', integerArg(1))
    .option('--campaigns <n>', 'distinct campaigns', integerArg(1))
    .option('--user-dimension <n>', 'user feature space size', integerArg(1))
    .option('--ad-dimension <n>', 'ad feature space size', integerArg(1))
    .option('--campaign-skew <s>', 'Zipf exponent of campaign traffic', numberArg(0, 4))
    .addOption(new Option('--format <format>', 'traffic (the laserkit format) or svmlight (main effects, for peers)').choices(['traffic', 'svmlight']).default('traffic'))
    .option('--truth <file>', 'also write the true model as JSON')
    .action((o: { out: string; rows: number; seed: number; users?: number; campaigns?: number; userDimension?: number; adDimension?: number; campaignSkew?: number; format: string; truth?: string }) => {
      const traffic: TrafficOptions = {
        rows: o.rows,
        seed: o.seed,
        ...(o.users === undefined ? {} : { users: o.users }),
        ...(o.campaigns === undefined ? {} : { campaigns: o.campaigns }),
        ...(o.userDimension === undefined ? {} : { userDimension: o.userDimension }),
        ...(o.adDimension === undefined ? {} : { adDimension: o.adDimension }),
        ...(o.campaignSkew === undefined ? {} : { campaignSkew: o.campaignSkew }),
      };
      runGenerate(traffic, o.out, o.format as TrafficFileFormat, o.truth);
    });
}
