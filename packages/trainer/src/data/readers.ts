import { createReadStream } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { FEATURE_NAMESPACES, LaserError, checkOneOf, featureSpaceFromJSON, isFeatureNamespace, type FeatureSpaceJson, type FeatureNamespace, type FeatureSpace, stripByteOrderMark } from '@laserkit/core';
import { parseHeader, parseTrafficRow, type TrafficFileHeader } from '@laserkit/datasets';
import { badRow } from './bad-row.js';
import { CsrMatrix } from './csr-matrix.js';
import { SVMLIGHT_READ_BYTES, SvmlightParser, SvmlightRows, pumpAsync, svmlightBounds } from './svmlight.js';
import { TrainingSetBuilder, checkDimensions, type EntityColumn, type RawExample, type TrainingSet } from './training-set.js';

export { badRow } from './bad-row.js';

export const INPUT_FORMATS = ['traffic', 'svmlight', 'jsonl'] as const;
export type InputFormat = (typeof INPUT_FORMATS)[number];

export interface ReadTrainingSetOptions {
  /** Input format; by default from the file name: .svm/.svmlight/.libsvm, .jsonl/.ndjson, otherwise traffic. */
  readonly format?: InputFormat;
  /** Count and report bad rows instead of failing on the first one. @default false */
  readonly skipInvalid?: boolean;
  /** svmlight: the namespace its single feature space belongs to. @default 'user' */
  readonly svmlightNamespace?: FeatureNamespace;
  /** jsonl: how feature names map to columns (required for jsonl; ignored for the other formats, whose features are indices). */
  readonly featureSpace?: FeatureSpace | FeatureSpaceJson;
  /** Dimensions per namespace, when known in advance (the traffic format carries its own). */
  readonly dimensions?: Partial<Record<FeatureNamespace, number>>;
  /** Stop after this many valid rows. */
  readonly maxRows?: number;
}

export interface SkippedRows {
  readonly count: number;
  /** The first few problems, each naming file, line, field, value and constraint. */
  readonly examples: readonly string[];
}

export interface ReadResult {
  readonly set: TrainingSet;
  readonly skipped: SkippedRows;
  readonly format: InputFormat;
}

export function inferFormat(path: string): InputFormat {
  if (/\.(svm|svmlight|libsvm)$/i.test(path)) return 'svmlight';
  if (/\.(jsonl|ndjson)$/i.test(path)) return 'jsonl';
  return 'traffic';
}

/**
 * Streams a data file into a TrainingSet (the file is never held in memory as text). A bad row
 * fails the read with its file, line and field, or, with `skipInvalid`, is counted and reported;
 * either way nothing non-finite reaches the set. A UTF-8 byte order mark at the start of the file
 * is skipped.
 *
 * svmlight is parsed from bytes in large chunks straight into typed arrays on SharedArrayBuffers
 * (see svmlight.ts), so ParallelGlmObjective's workers read the rows without a copy. The other
 * formats go line by line through TrainingSetBuilder.
 */
export async function readTrainingSet(path: string, options: ReadTrainingSetOptions = {}): Promise<ReadResult> {
  const format = checkOneOf('format', options.format ?? inferFormat(path), INPUT_FORMATS);
  const svmNs = checkOneOf('svmlightNamespace', options.svmlightNamespace ?? 'user', ['user', 'ad', 'context'] as const);
  const space = options.featureSpace === undefined ? undefined : 'indexOf' in options.featureSpace ? options.featureSpace : featureSpaceFromJSON(options.featureSpace);
  if (format === 'jsonl' && space === undefined) throw new LaserError('INVALID_ARGUMENT', 'featureSpace (undefined) is required to read jsonl: feature names need an index map or a hashing spec');
  const maxRows = options.maxRows ?? Number.POSITIVE_INFINITY;
  if (format === 'svmlight') return readSvmlight(path, svmNs, options.dimensions ?? {}, options.skipInvalid === true, maxRows);
  // jsonl columns come from the feature space; traffic files declare theirs in the header.
  const spaceDims = format === 'jsonl' && space !== undefined ? { user: space.dimension('user'), ad: space.dimension('ad'), context: space.dimension('context') } : {};
  let builder: TrainingSetBuilder | undefined = format === 'traffic' ? undefined : new TrainingSetBuilder({ dimensions: { ...spaceDims, ...options.dimensions } });
  const skippedExamples: string[] = [];
  let skipped = 0;
  const lines = createInterface({ input: createReadStream(path, { encoding: 'utf8' }), crlfDelay: Infinity });
  let lineNo = 0;
  let header: TrafficFileHeader | undefined;
  try {
    for await (const text of lines) {
      lineNo++;
      // A UTF-8 byte order mark some editors write: skipped at the start of the file only.
      const line = lineNo === 1 ? stripByteOrderMark(text) : text;
      if (builder === undefined) {
        // The traffic format opens with a header that carries the dimensions.
        header = parseHeader(path, line);
        builder = new TrainingSetBuilder({ dimensions: { ...header.dimensions, ...options.dimensions } });
        continue;
      }
      if (line.length === 0 || line.startsWith('#')) continue;
      try {
        const example = format === 'traffic' ? trafficExample(path, lineNo, line, header as TrafficFileHeader) : parseJsonLine(path, lineNo, line, space as FeatureSpace);
        try {
          builder.add(example);
        } catch (e) {
          if (e instanceof LaserError && e.code === 'INVALID_ARGUMENT') {
            throw badRow(path, lineNo, String(e.details.field ?? 'row'), e.details.value, String(e.details.constraint ?? e.message));
          }
          throw e;
        }
      } catch (e) {
        if (options.skipInvalid === true && e instanceof LaserError && e.code === 'INVALID_DATA') {
          skipped++;
          if (skippedExamples.length < 5) skippedExamples.push(e.message);
          continue;
        }
        throw e;
      }
      if (builder.rows >= maxRows) break;
    }
  } catch (e) {
    if (e instanceof LaserError) throw e;
    throw new LaserError('NOT_FOUND', `cannot read ${path}: ${(e as Error).message}`, { cause: e, details: { file: path } });
  } finally {
    lines.close();
  }
  if (builder === undefined) throw badRow(path, 1, 'header', '', 'is missing: the file is empty');
  return { set: builder.build(), skipped: { count: skipped, examples: skippedExamples }, format };
}

/** The traffic format of @laserkit/datasets, as a training example with campaign and user entities. */
function trafficExample(file: string, line: number, text: string, header: TrafficFileHeader): RawExample {
  const r = parseTrafficRow(file, line, text, header, line - 2);
  return {
    label: r.label,
    features: { user: { indices: r.userFeatures }, ad: { indices: r.adFeatures }, context: { indices: r.contextFeatures } },
    entities: { campaign: String(r.campaign), user: String(r.user) },
  };
}

/**
 * JSON Lines: {"label": 1, "weight": 1, "user": {"name": value, ...} or ["name", ...],
 * "ad": ..., "context": ..., "entities": {"campaign": "47"}}; names map through the feature space.
 */
function parseJsonLine(file: string, line: number, text: string, space: FeatureSpace): RawExample {
  let obj: unknown;
  try {
    obj = JSON.parse(text);
  } catch {
    throw badRow(file, line, 'line', text, 'must be a JSON object');
  }
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) throw badRow(file, line, 'line', text, 'must be a JSON object');
  const o = obj as Record<string, unknown>;
  if (typeof o.label !== 'number' || !Number.isFinite(o.label)) throw badRow(file, line, 'label', o.label, 'must be a finite number');
  if (o.weight !== undefined && (typeof o.weight !== 'number' || !Number.isFinite(o.weight) || o.weight < 0)) throw badRow(file, line, 'weight', o.weight, 'must be a finite number >= 0');
  const features: Partial<Record<FeatureNamespace, { indices: number[]; values: number[] }>> = {};
  for (const key of Object.keys(o)) {
    if (key === 'label' || key === 'weight' || key === 'entities') continue;
    if (!isFeatureNamespace(key)) throw badRow(file, line, key, key, 'is not a known field (label, weight, entities, user, ad, context)');
    const named = o[key];
    const pairs = new Map<number, number>();
    const addNamed = (name: string, value: unknown): void => {
      if (typeof value !== 'number' || !Number.isFinite(value)) throw badRow(file, line, `${key}.${name}`, value, 'must be a finite number');
      const ix = space.indexOf(key, name);
      if (ix >= 0) pairs.set(ix, (pairs.get(ix) ?? 0) + value);
    };
    if (Array.isArray(named)) for (const n of named) addNamed(String(n), 1);
    else if (named !== null && typeof named === 'object') for (const [n, v] of Object.entries(named)) addNamed(n, v);
    else throw badRow(file, line, key, named, 'must be an object of name: value or an array of names');
    const sorted = [...pairs.entries()].sort((a, b) => a[0] - b[0]);
    features[key] = { indices: sorted.map((p) => p[0]), values: sorted.map((p) => p[1]) };
  }
  const entities: Record<string, string> = {};
  if (o.entities !== undefined) {
    if (o.entities === null || typeof o.entities !== 'object') throw badRow(file, line, 'entities', o.entities, 'must be an object of type: id');
    for (const [type, id] of Object.entries(o.entities as Record<string, unknown>)) {
      if ((typeof id !== 'string' && typeof id !== 'number') || String(id).length === 0) throw badRow(file, line, `entities.${type}`, id, 'must be a non-empty string or a number');
      entities[type] = String(id);
    }
  }
  return { label: o.label, ...(o.weight === undefined ? {} : { weight: o.weight as number }), features, entities };
}

/** svmlight through the byte parser: rows, labels and entity columns straight into typed arrays. */
async function readSvmlight(path: string, namespace: FeatureNamespace, dimensions: Partial<Record<FeatureNamespace, number>>, skipInvalid: boolean, maxRows: number): Promise<ReadResult> {
  checkDimensions(dimensions);
  let fh: FileHandle | undefined;
  let parser: SvmlightParser;
  try {
    fh = await open(path, 'r');
    const bounds = svmlightBounds((await fh.stat()).size, false);
    const rows = new SvmlightRows(Math.min(bounds.rows, maxRows), bounds.nonZeros);
    parser = new SvmlightParser(rows, {
      file: path,
      namespace,
      dimension: dimensions[namespace] ?? null,
      skipInvalid,
      entities: true,
      labelRule: null,
      appendColumn: null,
      maxRows,
      chunkRows: null,
      onChunk: null,
    });
    await pumpAsync(fh, parser, SVMLIGHT_READ_BYTES);
  } catch (e) {
    if (e instanceof LaserError) throw e;
    throw new LaserError('NOT_FOUND', `cannot read ${path}: ${(e as Error).message}`, { cause: e, details: { file: path } });
  } finally {
    await fh?.close();
  }
  const rows = parser.rows;
  const n = rows.rows;
  const dims = {} as Record<FeatureNamespace, number>;
  const features = {} as Record<FeatureNamespace, CsrMatrix>;
  for (const ns of FEATURE_NAMESPACES) {
    if (ns === namespace) {
      dims[ns] = dimensions[ns] ?? rows.maxIndex + 1;
      features[ns] = new CsrMatrix(n, dims[ns], rows.rowPtr.view(), rows.colIdx.view(), rows.values === null ? null : rows.values.view());
    } else {
      dims[ns] = dimensions[ns] ?? 0;
      features[ns] = new CsrMatrix(n, dims[ns], new Int32Array(n + 1), new Int32Array(0), null);
    }
  }
  const entities = new Map<string, EntityColumn>();
  for (const [type, col] of rows.entities) entities.set(type, { ids: col.ids, codes: col.codes.slice(0, col.length) });
  const set: TrainingSet = { rows: n, dimensions: dims, features, labels: rows.labels.view(), weights: null, entities };
  return { set, skipped: { count: parser.skipped.count, examples: parser.skipped.examples }, format: 'svmlight' };
}
