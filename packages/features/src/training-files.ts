import { createReadStream, createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { FEATURE_NAMESPACES, LaserError, checkInteger, checkKnownKeys, checkOneOf, invalidArgument, type FeatureNamespace, type IndexedFeatureSpaceJson, type SparseVector, stripByteOrderMark } from '@laserkit/core';
import type { FeaturePipeline } from './pipeline.js';
import { checkRawTrainingRecord, type RawTrainingRecord, type TrainingExample } from './training-example.js';

export const TRAINING_FILE_FORMATS = ['jsonl', 'svmlight'] as const;
export type TrainingFileFormat = (typeof TRAINING_FILE_FORMATS)[number];

/**
 * Streams raw records from a JSON Lines file (one RawTrainingRecord per line; blank lines and
 * lines starting with # are skipped, and so is a UTF-8 byte order mark at the start of the file).
 * A bad line fails with file, line, field and value.
 */
export async function* readRawRecords(path: string): AsyncGenerator<RawTrainingRecord> {
  const input = createReadStream(path, { encoding: 'utf8' });
  const lines = createInterface({ input, crlfDelay: Infinity });
  let lineNo = 0;
  try {
    for await (const text of lines) {
      lineNo++;
      // A byte order mark some editors write: skipped at the start of the file only.
      const line = lineNo === 1 ? stripByteOrderMark(text) : text;
      if (line.trim().length === 0 || line.startsWith('#')) continue;
      let json: unknown;
      try {
        json = JSON.parse(line);
      } catch {
        throw badLine(path, lineNo, 'line', line, 'must be a JSON object');
      }
      try {
        yield checkRawTrainingRecord(json);
      } catch (e) {
        throw wrapLineError(path, lineNo, e);
      }
    }
  } catch (e) {
    if (e instanceof LaserError) throw e;
    throw new LaserError('NOT_FOUND', `cannot read ${path}: ${(e as Error).message}`, { cause: e, details: { file: path } });
  } finally {
    // Closing the reader does not close the file: a consumer that stops early would leak the descriptor.
    lines.close();
    input.destroy();
  }
}

/**
 * One example as a line of the trainer's JSON Lines input: columns as decimal names
 * (`{"label":1,"user":{"17":1,"40":0.5},"ad":{...},"context":{...},"entities":{"campaign":"c1"}}`),
 * read back with `featureSpace: pipeline.trainingFeatureSpace()`. Numbers are written in their
 * shortest round-trip form, so the trainer reads exactly the assembled values.
 */
export function formatJsonlExample(example: TrainingExample): string {
  const parts = [`"label":${numberText('label', example.label)}`];
  if (example.weight !== undefined) parts.push(`"weight":${numberText('weight', example.weight)}`);
  for (const ns of FEATURE_NAMESPACES) {
    const v = example[ns];
    const entries: string[] = [];
    for (let i = 0; i < v.indices.length; i++) entries.push(`"${v.indices[i] as number}":${numberText(`${ns}.values[${i}]`, v.values[i] as number)}`);
    parts.push(`"${ns}":{${entries.join(',')}}`);
  }
  parts.push(`"entities":${JSON.stringify(example.entities)}`);
  return `{${parts.join(',')}}`;
}

/**
 * One example as an svmlight line for a single-namespace model: `label idx:value ... # type=id`
 * with 1-based indices; entity ids may not contain whitespace, `#` or `=`.
 */
export function formatSvmlightExample(example: TrainingExample, namespace: FeatureNamespace): string {
  // svmlight holds one namespace and no weights: refuse what it would silently drop.
  if (example.weight !== undefined && example.weight !== 1) throw invalidArgument('weight', example.weight, 'must be 1 (or absent) to be written as svmlight, which has no weights; write jsonl instead');
  for (const other of FEATURE_NAMESPACES) {
    if (other !== namespace && example[other].indices.length > 0) throw invalidArgument(other, example[other].indices.length, `must have no active features to be written as svmlight for the ${namespace} namespace (svmlight holds one namespace); write jsonl instead`);
  }
  const v: SparseVector = example[namespace];
  const tokens = [numberText('label', example.label)];
  for (let i = 0; i < v.indices.length; i++) tokens.push(`${(v.indices[i] as number) + 1}:${numberText(`${namespace}.values[${i}]`, v.values[i] as number)}`);
  const entities = Object.entries(example.entities);
  if (entities.length === 0) return tokens.join(' ');
  const pairs = entities.map(([type, id]) => {
    if (!/^[^\s#=]+$/.test(type)) throw invalidArgument('entities', type, 'must be an entity type without whitespace, "#" or "=" to be written as svmlight');
    if (!/^[^\s#=]+$/.test(id)) throw invalidArgument(`entities.${type}`, id, 'must be an id without whitespace, "#" or "=" to be written as svmlight');
    return `${type}=${id}`;
  });
  return `${tokens.join(' ')} # ${pairs.join(' ')}`;
}

export interface WriteTrainingFileOptions {
  /** @default "jsonl" */
  readonly format?: TrainingFileFormat;
  /** svmlight holds one namespace: which. @default "user" */
  readonly svmlightNamespace?: FeatureNamespace;
  /** Records assembled concurrently (provider round trips overlap); rows keep the input order. @default 64 */
  readonly batchSize?: number;
}

export const DEFAULT_WRITE_TRAINING_FILE_OPTIONS = { format: 'jsonl', svmlightNamespace: 'user', batchSize: 64 } as const satisfies WriteTrainingFileOptions;

export interface WriteTrainingFileResult {
  readonly rows: number;
  readonly format: TrainingFileFormat;
  readonly dimensions: Readonly<Record<FeatureNamespace, number>>;
  /** For the trainer's readTrainingSet `featureSpace` option (JSON Lines). */
  readonly featureSpace: IndexedFeatureSpaceJson;
}

/**
 * The training path: raw records → the pipeline (the very assemble() the scorer calls) →
 * a file the trainer reads (JSON Lines or svmlight). Streams, honouring back-pressure.
 */
export async function writeTrainingFile(
  pipeline: FeaturePipeline,
  records: Iterable<RawTrainingRecord> | AsyncIterable<RawTrainingRecord>,
  path: string,
  options: WriteTrainingFileOptions = {},
): Promise<WriteTrainingFileResult> {
  checkKnownKeys('options', options, ['format', 'svmlightNamespace', 'batchSize']);
  const format = checkOneOf('format', options.format ?? DEFAULT_WRITE_TRAINING_FILE_OPTIONS.format, TRAINING_FILE_FORMATS);
  const svmNs = checkOneOf('svmlightNamespace', options.svmlightNamespace ?? DEFAULT_WRITE_TRAINING_FILE_OPTIONS.svmlightNamespace, FEATURE_NAMESPACES);
  const batchSize = checkInteger('batchSize', options.batchSize ?? DEFAULT_WRITE_TRAINING_FILE_OPTIONS.batchSize, 1, 1_000_000);
  const out = createWriteStream(path, { encoding: 'utf8' });
  const failed = new Promise<never>((_, reject) => out.once('error', reject));
  failed.catch(() => undefined);
  let rows = 0;
  let batch: RawTrainingRecord[] = [];
  const flush = async (): Promise<void> => {
    const lines = await Promise.all(
      batch.map(async (record, i) => {
        try {
          const example = await pipeline.assembleExample(record);
          return format === 'jsonl' ? formatJsonlExample(example) : formatSvmlightExample(example, svmNs);
        } catch (e) {
          const n = rows + i + 1;
          throw e instanceof LaserError && e.code === 'INVALID_ARGUMENT' ? new LaserError('INVALID_DATA', `record ${n}: ${e.message}`, { cause: e, details: { ...e.details, record: n } }) : e;
        }
      }),
    );
    rows += batch.length;
    batch = [];
    if (!out.write(`${lines.join('\n')}\n`)) await Promise.race([once(out, 'drain'), failed]);
  };
  try {
    for await (const record of records) {
      batch.push(record);
      if (batch.length >= batchSize) await flush();
    }
    if (batch.length > 0) await flush();
    out.end();
    await Promise.race([once(out, 'finish'), failed]);
  } catch (e) {
    out.destroy();
    throw e;
  }
  const dimensions = pipeline.dimensions();
  return { rows, format, dimensions, featureSpace: { kind: 'indexed', dimensions } };
}

function numberText(field: string, v: number): string {
  if (!Number.isFinite(v)) throw invalidArgument(field, v, 'must be a finite number');
  return String(v);
}

function badLine(file: string, line: number, field: string, value: unknown, constraint: string): LaserError {
  const shown = typeof value === 'string' ? JSON.stringify(value.length > 40 ? `${value.slice(0, 37)}...` : value) : String(value);
  return new LaserError('INVALID_DATA', `${file}:${line}: ${field} (${shown}) ${constraint}`, { details: { file, line, field, value, constraint } });
}

function wrapLineError(file: string, line: number, e: unknown): unknown {
  if (!(e instanceof LaserError) || e.code !== 'INVALID_ARGUMENT') return e;
  return new LaserError('INVALID_DATA', `${file}:${line}: ${e.message}`, { cause: e, details: { ...e.details, file, line } });
}
