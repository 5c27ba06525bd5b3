import { closeSync, createReadStream, openSync, writeSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { LaserError, stripByteOrderMark } from '@laserkit/core';
import type { ResolvedTrafficOptions } from './traffic-options.js';
import type { TrafficRow } from './traffic.js';

/**
 * The traffic file format, version 1 (documented in the package README):
 *
 *   line 1:  #laserkit-traffic 1 <JSON header: generator options and dimensions>
 *   then one impression per line, seven tab-separated fields:
 *     label  campaign  user  p_true  user_features  ad_features  context_features
 *   where the feature fields are space-separated sorted indices of active binary features,
 *   0-based within their namespace, possibly empty.
 *
 * Text rather than binary so that a person can read it and any tool can split it; numbers are
 * written with JavaScript's shortest round-trip formatting, so the bytes depend only on the values.
 */
export const TRAFFIC_FORMAT_MAGIC = '#laserkit-traffic';
export const TRAFFIC_FORMAT_VERSION = 1;

export interface TrafficFileHeader {
  readonly format: typeof TRAFFIC_FORMAT_MAGIC;
  readonly version: number;
  readonly dimensions: { readonly user: number; readonly ad: number; readonly context: number };
  readonly campaigns: number;
  readonly users: number;
  readonly rows: number;
  readonly generator: ResolvedTrafficOptions | null;
}

export function formatHeader(header: Omit<TrafficFileHeader, 'format' | 'version'>): string {
  return `${TRAFFIC_FORMAT_MAGIC} ${TRAFFIC_FORMAT_VERSION} ${JSON.stringify({ ...header, format: TRAFFIC_FORMAT_MAGIC, version: TRAFFIC_FORMAT_VERSION })}\n`;
}

export function formatRow(row: TrafficRow): string {
  return `${row.label}\t${row.campaign}\t${row.user}\t${row.pTrue}\t${row.userFeatures.join(' ')}\t${row.adFeatures.join(' ')}\t${row.contextFeatures.join(' ')}\n`;
}

/** Buffers text and writes it to a file descriptor in large chunks (synchronous, for batch jobs). */
export class ChunkedFileWriter {
  private readonly fd: number;
  private parts: string[] = [];
  private pending = 0;
  bytesWritten = 0;

  constructor(path: string, private readonly chunkChars = 1 << 20) {
    this.fd = openSync(path, 'w');
  }

  write(text: string): void {
    this.parts.push(text);
    this.pending += text.length;
    if (this.pending >= this.chunkChars) this.flush();
  }

  flush(): void {
    if (this.parts.length === 0) return;
    const buf = Buffer.from(this.parts.join(''), 'utf8');
    writeSync(this.fd, buf);
    this.bytesWritten += buf.length;
    this.parts = [];
    this.pending = 0;
  }

  close(): void {
    this.flush();
    closeSync(this.fd);
  }
}

/** Where a bad line is: file, 1-based line, field. */
function badRow(file: string, line: number, field: string, value: string, constraint: string): LaserError {
  const shown = value.length > 40 ? `${value.slice(0, 37)}...` : value;
  return new LaserError('INVALID_DATA', `${file}:${line}: ${field} (${JSON.stringify(shown)}) ${constraint}`, {
    details: { file, line, field, value, constraint },
  });
}

export interface ReadTrafficOptions {
  /** Called once with the header before the first row. */
  readonly onHeader?: (header: TrafficFileHeader) => void;
}

/**
 * Streams rows from a traffic file without holding it in memory. A malformed line throws a
 * LaserError('INVALID_DATA') naming the file, the line, the field, the value and the constraint.
 */
export async function* readTrafficFile(path: string, options: ReadTrafficOptions = {}): AsyncGenerator<TrafficRow, void, undefined> {
  const lines = createInterface({ input: createReadStream(path, { encoding: 'utf8' }), crlfDelay: Infinity });
  let lineNo = 0;
  let header: TrafficFileHeader | undefined;
  let index = 0;
  for await (const line of lines) {
    lineNo++;
    if (header === undefined) {
      header = parseHeader(path, stripByteOrderMark(line));
      options.onHeader?.(header);
      continue;
    }
    if (line.length === 0) continue;
    yield parseTrafficRow(path, lineNo, line, header, index++);
  }
  if (header === undefined) throw badRow(path, 1, 'header', '', `must start with "${TRAFFIC_FORMAT_MAGIC} ${TRAFFIC_FORMAT_VERSION} {...}"`);
}

export function parseHeader(file: string, line: string): TrafficFileHeader {
  const prefix = `${TRAFFIC_FORMAT_MAGIC} `;
  if (!line.startsWith(prefix)) throw badRow(file, 1, 'header', line, `must start with "${prefix}"`);
  const rest = line.slice(prefix.length);
  const space = rest.indexOf(' ');
  const version = Number(rest.slice(0, space));
  if (version !== TRAFFIC_FORMAT_VERSION) throw badRow(file, 1, 'header.version', rest.slice(0, space), `must be ${TRAFFIC_FORMAT_VERSION}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(rest.slice(space + 1));
  } catch (e) {
    throw new LaserError('INVALID_DATA', `${file}:1: header is not valid JSON`, { cause: e, details: { file, line: 1, field: 'header' } });
  }
  const h = parsed as TrafficFileHeader;
  for (const ns of ['user', 'ad', 'context'] as const) {
    const d = h?.dimensions?.[ns];
    if (!Number.isInteger(d) || (d as number) < 0) throw badRow(file, 1, `header.dimensions.${ns}`, String(d), 'must be a non-negative integer');
  }
  return h;
}

/** Parses one impression line; a malformed line throws INVALID_DATA naming file, line and field. */
export function parseTrafficRow(file: string, line: number, text: string, header: TrafficFileHeader, index: number): TrafficRow {
  const f = text.split('\t');
  if (f.length !== 7) throw badRow(file, line, 'line', text, `must have 7 tab-separated fields, found ${f.length}`);
  const [labelText, campaignText, userText, pText, uText, aText, cText] = f as [string, string, string, string, string, string, string];
  if (labelText !== '0' && labelText !== '1') throw badRow(file, line, 'label', labelText, 'must be 0 or 1');
  const campaign = Number(campaignText);
  if (!Number.isInteger(campaign) || campaign < 0 || campaignText === '') throw badRow(file, line, 'campaign', campaignText, 'must be a non-negative integer');
  const user = Number(userText);
  if (!Number.isInteger(user) || user < 0 || userText === '') throw badRow(file, line, 'user', userText, 'must be a non-negative integer');
  const pTrue = Number(pText);
  if (pText === '' || !(pTrue >= 0 && pTrue <= 1)) throw badRow(file, line, 'p_true', pText, 'must be a probability in [0, 1]');
  return {
    index,
    label: labelText === '1' ? 1 : 0,
    campaign,
    user,
    pTrue,
    userFeatures: parseIndices(file, line, 'user_features', uText, header.dimensions.user),
    adFeatures: parseIndices(file, line, 'ad_features', aText, header.dimensions.ad),
    contextFeatures: parseIndices(file, line, 'context_features', cText, header.dimensions.context),
  };
}

function parseIndices(file: string, line: number, field: string, text: string, dimension: number): Int32Array {
  if (text.length === 0) return new Int32Array(0);
  const parts = text.split(' ');
  const out = new Int32Array(parts.length);
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i] as string;
    const v = Number(p);
    if (p === '' || !Number.isInteger(v) || v < 0 || v >= dimension) {
      throw badRow(file, line, `${field}[${i}]`, p, `must be an integer in [0, ${dimension - 1}]`);
    }
    if (i > 0 && v <= (out[i - 1] as number)) throw badRow(file, line, `${field}[${i}]`, p, `must be greater than the previous index (${out[i - 1]})`);
    out[i] = v;
  }
  return out;
}

/**
 * svmlight/libsvm text for peers such as liblinear: label (0/1), then `index:1` pairs with
 * 1-based indices over the concatenation user | ad | context (main effects only), then a comment
 * carrying the entity ids.
 */
export function formatSvmlightRow(row: TrafficRow, adOffset: number, contextOffset: number): string {
  let s = `${row.label}`;
  for (const f of row.userFeatures) s += ` ${f + 1}:1`;
  for (const f of row.adFeatures) s += ` ${f + 1 + adOffset}:1`;
  for (const f of row.contextFeatures) s += ` ${f + 1 + contextOffset}:1`;
  return `${s} # campaign=${row.campaign} user=${row.user}\n`;
}
