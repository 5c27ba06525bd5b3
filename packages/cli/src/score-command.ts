import { createReadStream, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import { LaserError, describeValue, sparseVector, type SparseVector, stripByteOrderMark } from '@laserkit/core';
import { readTrafficFile } from '@laserkit/datasets';
import { loadModel, type GlmixModel } from '@laserkit/model';
import { Scorer, type AdInput, type RankResult } from '@laserkit/scorer';
import { integerArg, numberArg } from './options.js';

/**
 * Files `laserkit score` reads, JSON Lines:
 * - ads:      {"id": "c17", "features": {"indices": [3, 40], "values": [1, 0.5]} | [3, 40], "entities": {"campaign": "17"}}
 * - requests: {"id": "r1", "user": <vector>, "context": <vector>, "candidates": ["c17", "c3"], "entities": {...}, "deadlineMs": 10}
 * A vector is {"indices": [...], "values": [...]} or a list of active indices (binary features).
 */
export interface ScoringRequestRecord {
  readonly id: string;
  readonly user?: SparseVector;
  readonly context?: SparseVector;
  readonly candidates: readonly string[];
  readonly entities?: Readonly<Record<string, string>>;
  readonly deadlineMs?: number;
}

function bad(file: string, line: number, field: string, value: unknown, constraint: string): LaserError {
  return new LaserError('INVALID_DATA', `${file}:${line}: ${field} (${describeValue(value)}) ${constraint}`, { details: { file, line, field } });
}

/** One JSON object per non-blank line; a UTF-8 byte order mark at the start of the file is skipped. */
async function* jsonLines(file: string): AsyncGenerator<{ line: number; value: Record<string, unknown> }> {
  const lines = createInterface({ input: createReadStream(file, { encoding: 'utf8' }), crlfDelay: Infinity });
  let line = 0;
  for await (const raw of lines) {
    line++;
    // Some editors start a UTF-8 file with a byte order mark: skipped there only.
    const text = line === 1 ? stripByteOrderMark(raw) : raw;
    if (text.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (e) {
      throw bad(file, line, 'line', text, `is not valid JSON (${(e as Error).message})`);
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) throw bad(file, line, 'line', value, 'must be a JSON object');
    yield { line, value: value as Record<string, unknown> };
  }
}

function vectorField(file: string, line: number, field: string, raw: unknown, dimension: number): SparseVector {
  const wrap = (indices: unknown, values?: unknown): SparseVector => {
    if (!Array.isArray(indices)) throw bad(file, line, `${field}.indices`, indices, 'must be an array of feature indices');
    if (values !== undefined && !Array.isArray(values)) throw bad(file, line, `${field}.values`, values, 'must be an array of numbers parallel to indices');
    try {
      return sparseVector(dimension, indices as number[], values as number[] | undefined);
    } catch (e) {
      throw bad(file, line, field, raw, `is not a valid vector of dimension ${dimension}: ${(e as Error).message}`);
    }
  };
  if (Array.isArray(raw)) return wrap(raw);
  if (raw !== null && typeof raw === 'object') return wrap((raw as { indices?: unknown }).indices, (raw as { values?: unknown }).values);
  throw bad(file, line, field, raw, 'must be {"indices": [...], "values": [...]} or a list of indices');
}

function entitiesField(file: string, line: number, raw: unknown): Record<string, string> | undefined {
  if (raw === undefined) return undefined;
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw bad(file, line, 'entities', raw, 'must be an object of entity type → id');
  for (const [k, v] of Object.entries(raw)) if (typeof v !== 'string' || v.length === 0) throw bad(file, line, `entities.${k}`, v, 'must be a non-empty string');
  return raw as Record<string, string>;
}

export async function readAds(file: string, model: GlmixModel): Promise<AdInput[]> {
  const ads: AdInput[] = [];
  for await (const { line, value } of jsonLines(file)) {
    if (typeof value.id !== 'string' || value.id.length === 0) throw bad(file, line, 'id', value.id, 'must be a non-empty string');
    const entities = entitiesField(file, line, value.entities);
    ads.push({ id: value.id, features: vectorField(file, line, 'features', value.features ?? [], model.dimensions.ad), ...(entities === undefined ? {} : { entities }) });
  }
  return ads;
}

export async function readScoringRequests(file: string, model: GlmixModel): Promise<ScoringRequestRecord[]> {
  const out: ScoringRequestRecord[] = [];
  for await (const { line, value } of jsonLines(file)) {
    const c = value.candidates;
    if (!Array.isArray(c) || c.length === 0 || !c.every((x) => typeof x === 'string')) throw bad(file, line, 'candidates', c, 'must be a non-empty array of ad ids');
    const d = value.deadlineMs;
    if (d !== undefined && (typeof d !== 'number' || !(d > 0))) throw bad(file, line, 'deadlineMs', d, 'must be a number > 0');
    const entities = entitiesField(file, line, value.entities);
    out.push({
      id: typeof value.id === 'string' ? value.id : String(line),
      candidates: c as string[],
      ...(value.user === undefined ? {} : { user: vectorField(file, line, 'user', value.user, model.dimensions.user) }),
      ...(value.context === undefined ? {} : { context: vectorField(file, line, 'context', value.context, model.dimensions.context) }),
      ...(entities === undefined ? {} : { entities }),
      ...(d === undefined ? {} : { deadlineMs: d as number }),
    });
  }
  return out;
}

export interface ScoreRun {
  readonly results: readonly RankResult[];
  readonly requests: readonly ScoringRequestRecord[];
  readonly p50Ms: number;
  readonly p99Ms: number;
}

/** Scores every request with the model; writes the top `top` ads of each when `out` is given. */
export async function runScore(modelPath: string, adsPath: string, requestsPath: string, options: { out?: string; top: number; deadlineMs: number }, log: (s: string) => void = console.log): Promise<ScoreRun> {
  const model = await loadModel(modelPath);
  const ads = await readAds(adsPath, model);
  const requests = await readScoringRequests(requestsPath, model);
  const scorer = new Scorer({ model, ads, defaultDeadlineMs: options.deadlineMs });
  const results: RankResult[] = [];
  for (const r of requests) {
    results.push(
      await scorer.rank({
        candidates: r.candidates,
        ...(r.user === undefined ? {} : { user: r.user }),
        ...(r.context === undefined ? {} : { context: r.context }),
        ...(r.entities === undefined ? {} : { entities: r.entities }),
        ...(r.deadlineMs === undefined ? {} : { deadlineMs: r.deadlineMs }),
      }),
    );
  }
  if (options.out !== undefined) {
    const lines = results.map((res, i) =>
      JSON.stringify({ id: requests[i]?.id, modelVersion: res.modelVersion, ranked: res.ranked.slice(0, options.top).map((a) => ({ adId: a.adId, score: a.score, response: a.response })), substituted: res.substituted, elapsedMs: res.elapsedMs }),
    );
    writeFileSync(options.out, lines.join('\n') + '\n');
  }
  const lat = Float64Array.from(results, (r) => r.elapsedMs).sort();
  const q = (p: number) => (lat.length === 0 ? 0 : (lat[Math.min(lat.length - 1, Math.floor(p * lat.length))] as number));
  const candidates = requests.reduce((s, r) => s + r.candidates.length, 0);
  log(`scored ${requests.length} requests (${candidates} candidates) with ${model.modelId} v${model.modelVersion} over ${ads.length} ads: p50 ${q(0.5).toFixed(3)} ms, p99 ${q(0.99).toFixed(3)} ms per request; ${results.filter((r) => r.substituted.length > 0).length} with substituted terms`);
  if (options.out !== undefined) log(`wrote the top ${options.top} of each request to ${options.out}`);
  return { results, requests, p50Ms: q(0.5), p99Ms: q(0.99) };
}

/**
 * Scoring files from a generated traffic file: one ad per campaign (its features and campaign id,
 * as the trainer names the entity) and one request per impression among the last `requests` rows,
 * with every campaign as a candidate. Returns the rows used, for comparison with the truth.
 */
export async function writeScoringFilesFromTraffic(trafficPath: string, adsPath: string, requestsPath: string, requests: number): Promise<{ user: number; campaign: number; contextFeatures: Int32Array }[]> {
  const adFeatures = new Map<number, Int32Array>();
  // The last `requests` rows, in a ring (no per-row array shifting over a long file).
  const ring: { user: number; campaign: number; userFeatures: Int32Array; contextFeatures: Int32Array }[] = [];
  let seen = 0;
  for await (const row of readTrafficFile(trafficPath)) {
    if (!adFeatures.has(row.campaign)) adFeatures.set(row.campaign, row.adFeatures);
    ring[seen % requests] = { user: row.user, campaign: row.campaign, userFeatures: row.userFeatures, contextFeatures: row.contextFeatures };
    seen++;
  }
  const tail = seen <= requests ? ring : [...ring.slice(seen % requests), ...ring.slice(0, seen % requests)];
  const campaigns = [...adFeatures.keys()].sort((a, b) => a - b);
  writeFileSync(adsPath, campaigns.map((c) => JSON.stringify({ id: `c${c}`, features: Array.from(adFeatures.get(c) as Int32Array), entities: { campaign: String(c) } })).join('\n') + '\n');
  const ids = campaigns.map((c) => `c${c}`);
  writeFileSync(requestsPath, tail.map((r, i) => JSON.stringify({ id: `r${i}`, user: Array.from(r.userFeatures), context: Array.from(r.contextFeatures), candidates: ids, entities: { user: String(r.user) } })).join('\n') + '\n');
  return tail;
}

export function registerScore(program: Command): void {
  program
    .command('score')
    .description('rank the candidate ads of each request in a file with a model (deadline-bounded scorer)')
    .requiredOption('--model <file>', 'model artifact (.avro) written by `laserkit train`')
    .requiredOption('--ads <file>', 'the ads, JSON Lines: {"id", "features", "entities"}')
    .requiredOption('--requests <file>', 'the requests, JSON Lines: {"id", "user", "context", "candidates", "entities"}')
    .option('--out <file>', 'write each request\'s ranked ads here (JSON Lines)')
    .option('--top <n>', 'ads per request written to --out', integerArg(1), 10)
    .option('--deadline-ms <ms>', 'default deadline of a request', numberArg(0.001, 60_000), 10)
    .action(async (o: { model: string; ads: string; requests: string; out?: string; top: number; deadlineMs: number }) => {
      await runScore(o.model, o.ads, o.requests, { ...(o.out === undefined ? {} : { out: o.out }), top: o.top, deadlineMs: o.deadlineMs });
    });
}
