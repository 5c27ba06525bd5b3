import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { LaserError, type FeatureNamespace } from '@laserkit/core';
import { badRow } from './bad-row.js';
import { SharedGrowable } from './shared-growable.js';

// svmlight/libsvm text straight from bytes into typed arrays: `label [qid:n] index:value ...
// [# key=value ...]`, 1-based indices. The common forms (plain decimal numbers, ASCII) are parsed
// without strings; anything else on a line (exponents, hex, non-ASCII bytes, a lone CR, a bad
// field) sends that one line through the string parser below, which accepts exactly what the
// line-by-line reader always accepted and produces its error messages. Either way a row gets the
// same label, entries and entities.

/** The UTF-8 byte order mark. */
const BOM = [0xef, 0xbb, 0xbf] as const;

/** Largest 0-based column: row pointers and column indices are Int32. */
const MAX_COLUMN = 0x7ffffffe;

/** Exact powers of ten: 10^k is a double exactly for k <= 22. */
const POW10 = Float64Array.from({ length: 23 }, (_, k) => 10 ** k);

/** Where the last parseDecimal call stopped. */
let scanEnd = 0;

/**
 * A plain decimal `[+-]digits[.digits]` (at least one digit) at bytes [p, e), or NaN when the text
 * there has another form. Exact: with at most 15 significant digits the digits form an integer
 * m < 2^53 and 10^k (k <= 22) is exact, so the one correctly rounded division m / 10^k is the
 * correctly rounded value of the decimal, which is what Number() and Number.parseFloat return
 * (Clinger's fast path: W. D. Clinger, "How to read floating point numbers accurately", PLDI 1990).
 * Stops at the first byte that is not part of the number (the caller checks what it is).
 */
function parseDecimal(b: Uint8Array, p: number, e: number): number {
  let negative = false;
  const c = p < e ? (b[p] as number) : 0;
  if (c === 45) {
    negative = true;
    p++;
  } else if (c === 43) p++;
  let m = 0;
  let digits = 0;
  let significant = 0;
  while (p < e) {
    const d = (b[p] as number) - 48;
    if (d < 0 || d > 9) break;
    m = m * 10 + d;
    if (m !== 0) significant++;
    digits++;
    p++;
  }
  let scale = 0;
  if (p < e && b[p] === 46) {
    p++;
    while (p < e) {
      const d = (b[p] as number) - 48;
      if (d < 0 || d > 9) break;
      m = m * 10 + d;
      if (m !== 0) significant++;
      digits++;
      scale++;
      p++;
    }
  }
  scanEnd = p;
  if (digits === 0 || significant > 15 || scale > 22) return Number.NaN;
  const v = scale === 0 ? m : m / (POW10[scale] as number);
  return negative ? -v : v;
}

/** The plain decimal that is all of bytes [s, e), or NaN for any other text (which the string parser then reads). */
export function parsePlainDecimal(b: Uint8Array, s: number, e: number): number {
  const v = parseDecimal(b, s, e);
  return scanEnd === e ? v : Number.NaN;
}

/** Space, tab, vertical tab, form feed: the ASCII whitespace of String.prototype.trim other than line breaks. */
function isBlank(c: number): boolean {
  return c === 32 || c === 9 || c === 11 || c === 12;
}

/** What a label must be beyond finite (e.g. 0 or 1 for the logistic loss). */
export interface LabelRule {
  readonly isValid: (label: number) => boolean;
  readonly constraint: string;
}

function isAscii(s: string): boolean {
  for (let k = 0; k < s.length; k++) if (s.charCodeAt(k) > 127) return false;
  return true;
}

/** FNV-1a over bytes [s, e). */
function hashBytes(b: Uint8Array, s: number, e: number): number {
  let h = 0x811c9dc5;
  for (let p = s; p < e; p++) h = Math.imul(h ^ (b[p] as number), 0x01000193);
  return h | 0;
}

/**
 * One entity type's ids per row while reading. Ids are found from their bytes through an
 * open-addressing table over the ids' own bytes, so a row whose ids were seen before allocates no
 * string; the string parser's ids go through `codeOf`.
 */
class EntityAccumulator {
  readonly ids: string[] = [];
  private readonly index = new Map<string, number>();
  /** The type name's bytes (latin1), to recognise it on the next line without a string. */
  readonly keyBytes: Buffer;
  codes: Int32Array;
  length = 0;
  private idBytes = new Uint8Array(4096);
  private idBytesLength = 0;
  /** Code c's bytes are idBytes[idStart[c], idStart[c + 1]) (ASCII ids only; -1 start for others). */
  private idStart = new Int32Array(1025);
  private idHash = new Int32Array(1024);
  private table = new Int32Array(2048).fill(-1);

  constructor(type: string, missingRows: number) {
    this.keyBytes = Buffer.from(type, 'latin1');
    this.codes = new Int32Array(Math.max(1024, missingRows + 1));
    this.codes.fill(-1, 0, missingRows);
    this.length = missingRows;
  }

  push(code: number): void {
    if (this.length === this.codes.length) {
      const next = new Int32Array(this.codes.length * 2);
      next.set(this.codes);
      this.codes = next;
    }
    this.codes[this.length++] = code;
  }

  /** The code of the id at bytes [s, e) (ASCII), adding it when new. */
  codeOfBytes(b: Buffer, s: number, e: number): number {
    const h = hashBytes(b, s, e);
    const mask = this.table.length - 1;
    const len = e - s;
    for (let slot = h & mask; ; slot = (slot + 1) & mask) {
      const c = this.table[slot] as number;
      if (c < 0) break;
      if (this.idHash[c] !== h) continue;
      const a = this.idStart[c] as number;
      if ((this.idStart[c + 1] as number) - a !== len) continue;
      let same = true;
      for (let k = 0; k < len; k++) {
        if (this.idBytes[a + k] !== b[s + k]) {
          same = false;
          break;
        }
      }
      if (same) return c;
    }
    return this.add(b.toString('latin1', s, e));
  }

  /** The code of `id`, adding it when new. */
  codeOf(id: string): number {
    return this.index.get(id) ?? this.add(id);
  }

  private add(id: string): number {
    const code = this.ids.length;
    this.ids.push(id);
    this.index.set(id, code);
    if (code + 2 > this.idStart.length) {
      const start = new Int32Array(this.idStart.length * 2);
      start.set(this.idStart);
      this.idStart = start;
      const hash = new Int32Array(this.idHash.length * 2);
      hash.set(this.idHash);
      this.idHash = hash;
    }
    const start = this.idBytesLength;
    // Only ASCII ids can come from the byte parser; others are found through `index` alone.
    const ascii = isAscii(id);
    if (ascii) {
      if (start + id.length > this.idBytes.length) {
        const bytes = new Uint8Array(Math.max(this.idBytes.length * 2, start + id.length));
        bytes.set(this.idBytes.subarray(0, start));
        this.idBytes = bytes;
      }
      for (let k = 0; k < id.length; k++) this.idBytes[start + k] = id.charCodeAt(k);
      this.idBytesLength = start + id.length;
    }
    this.idStart[code] = start;
    this.idStart[code + 1] = this.idBytesLength;
    if (!ascii) {
      // An empty byte range that no lookup of a non-empty id matches (ids are never empty).
      this.idHash[code] = 0;
      return code;
    }
    const h = hashBytes(this.idBytes, start, this.idBytesLength);
    this.idHash[code] = h;
    if (2 * (code + 1) > this.table.length) this.rehash();
    else this.insert(code, h);
    return code;
  }

  private insert(code: number, h: number): void {
    const mask = this.table.length - 1;
    let slot = h & mask;
    while ((this.table[slot] as number) >= 0) slot = (slot + 1) & mask;
    this.table[slot] = code;
  }

  private rehash(): void {
    this.table = new Int32Array(this.table.length * 2).fill(-1);
    for (let c = 0; c < this.ids.length; c++) {
      if ((this.idStart[c + 1] as number) > (this.idStart[c] as number)) this.insert(c, this.idHash[c] as number);
    }
  }
}

/**
 * Rows parsed so far, column-wise on growable shared arrays: a CSR matrix (values stored only
 * once a value other than 1 appears), labels, entity id columns. `reset()` empties it for reuse
 * as a bounded chunk.
 */
export class SvmlightRows {
  readonly rowPtr: SharedGrowable<Int32Array>;
  readonly colIdx: SharedGrowable<Int32Array>;
  readonly labels: SharedGrowable<Float64Array>;
  private valueStore: SharedGrowable<Float32Array> | null = null;
  private readonly maxNonZeros: number;
  /** Whether `values` holds the values (else every stored value is 1). */
  hasValues = false;
  rows = 0;
  /** Largest column stored (non-zero entries), -1 for none. */
  maxIndex = -1;
  readonly entities = new Map<string, EntityAccumulator>();

  /** `maxRows`, `maxNonZeros`: bounds known in advance (e.g. from the file size); they only reserve address space. */
  constructor(maxRows: number, maxNonZeros: number) {
    this.rowPtr = new SharedGrowable(Int32Array, maxRows + 1);
    this.colIdx = new SharedGrowable(Int32Array, maxNonZeros);
    this.labels = new SharedGrowable(Float64Array, maxRows);
    this.maxNonZeros = maxNonZeros;
    this.rowPtr.push(0);
  }

  get nnz(): number {
    return this.colIdx.length;
  }

  /** The value store; null until some value other than 1 has been seen. */
  get values(): SharedGrowable<Float32Array> | null {
    return this.hasValues ? this.valueStore : null;
  }

  /** Starts storing values: every entry so far is 1. */
  materializeValues(): SharedGrowable<Float32Array> {
    this.valueStore ??= new SharedGrowable(Float32Array, this.maxNonZeros);
    const store = this.valueStore;
    store.length = 0;
    store.reserve(this.colIdx.capacity).fill(1, 0, this.colIdx.length);
    store.length = this.colIdx.length;
    this.hasValues = true;
    return store;
  }

  /** Empties the rows, keeping the memory. Entity columns are not kept across a reset. */
  reset(): void {
    this.rowPtr.length = 1;
    this.colIdx.length = 0;
    this.labels.length = 0;
    this.hasValues = false;
    this.rows = 0;
    this.maxIndex = -1;
    this.entities.clear();
  }
}

export interface SvmlightParserOptions {
  /** File name for messages. */
  readonly file: string;
  /** Namespace named in messages (`features.user.indices[3]`). */
  readonly namespace: FeatureNamespace;
  /** Columns: a 0-based index >= this fails the row; null allows any index up to 2^31 − 2. */
  readonly dimension: number | null;
  readonly skipInvalid: boolean;
  /** Read `# key=value` entity ids (else comments are ignored). */
  readonly entities: boolean;
  /** A further rule for labels (after -1 → 0), or null. */
  readonly labelRule: LabelRule | null;
  /** Append this column, with value 1, to every row (an intercept), or null. */
  readonly appendColumn: number | null;
  /** Stop after this many rows. */
  readonly maxRows: number;
  /** Hand over and reset `rows` whenever it holds this many rows (a bounded chunk); null keeps everything. */
  readonly chunkRows: number | null;
  readonly onChunk: ((rows: SvmlightRows) => void) | null;
}

/** The first few problems, and how many rows were skipped. */
export interface SkipCount {
  count: number;
  readonly examples: string[];
}

/**
 * Parses svmlight bytes into `rows`. Feed it buffers with `parse`, which consumes every complete
 * line and returns where the incomplete last one starts; `final` parses that one too. The first
 * bytes fed are the start of the file: a UTF-8 byte order mark there is skipped.
 */
export class SvmlightParser {
  readonly rows: SvmlightRows;
  readonly skipped: SkipCount = { count: 0, examples: [] };
  /** Rows accepted so far (across chunks). */
  acceptedRows = 0;
  /** Lines seen so far. */
  line = 0;
  /** True once `maxRows` rows have been read. */
  done = false;
  private readonly o: SvmlightParserOptions;
  private readonly limit: number;
  /** Scratch for the entity pairs of a line: key start, key end (the '='), value end. */
  private pairs = new Int32Array(48);
  /** The entity column of each pair position on the last line with pairs. */
  private readonly lastColumns: EntityAccumulator[] = [];
  /** Until the first bytes of the file have been checked for a byte order mark. */
  private atFileStart = true;

  constructor(rows: SvmlightRows, options: SvmlightParserOptions) {
    this.rows = rows;
    this.o = options;
    this.limit = options.dimension === null ? MAX_COLUMN : options.dimension - 1;
  }

  parse(b: Buffer, start: number, end: number, final: boolean): number {
    const view = end === b.length ? b : b.subarray(0, end);
    let p = start;
    if (this.atFileStart) {
      // A UTF-8 byte order mark (EF BB BF) some editors write: skipped at the start of the file only.
      const n = Math.min(3, end - start);
      let isBomPrefix = true;
      for (let k = 0; k < n; k++) if (b[start + k] !== BOM[k]) isBomPrefix = false;
      if (isBomPrefix && n < 3 && !final) return start;
      this.atFileStart = false;
      if (isBomPrefix && n === 3) p += 3;
    }
    while (p < end && !this.done) {
      let nl = view.indexOf(10, p);
      if (nl < 0) {
        if (!final) return p;
        nl = end;
      }
      this.line++;
      let e = nl;
      if (e > p && b[e - 1] === 13) e--;
      const isComment = e > p && b[p] === 35;
      if (isComment) {
        // A comment line; a lone CR in it still starts another line.
        for (let q = p; q < e; q++) {
          if (b[q] === 13) {
            this.slowLines(b.toString('utf8', p, e));
            break;
          }
        }
      } else if (e > p && !this.fastLine(b, p, e)) this.slowLines(b.toString('utf8', p, e));
      p = nl + 1;
    }
    return Math.min(p, end);
  }

  /** Hands over the rows still held (chunk mode). */
  finish(): void {
    if (this.o.onChunk !== null && this.rows.rows > 0) {
      this.o.onChunk(this.rows);
      this.rows.reset();
      this.lastColumns.length = 0;
    }
  }

  /** The common forms, from bytes; false (having changed nothing) when the line needs the string parser. */
  private fastLine(b: Buffer, s: number, e: number): boolean {
    const target = this.rows;
    let p = s;
    while (p < e && isBlank(b[p] as number)) p++;
    const raw = parseDecimal(b, p, e);
    if (raw !== raw) return false;
    p = scanEnd;
    if (p < e && !isBlank(b[p] as number) && b[p] !== 35) return false;
    const label = raw === -1 ? 0 : raw;
    if (this.o.labelRule !== null && !this.o.labelRule.isValid(label)) return false;
    const rowStart = target.colIdx.length;
    // Room for a row of every entry this line could hold (each takes at least 4 bytes).
    const room = ((e - p) >> 2) + 2;
    const colIdx = target.colIdx.reserve(room);
    let values = target.hasValues ? (target.values as SharedGrowable<Float32Array>).reserve(room) : null;
    let m = rowStart;
    let prev = -1;
    let rowMax = -1;
    let materialized = false;
    const limit = this.limit;
    let ok = true;
    for (;;) {
      while (p < e && isBlank(b[p] as number)) p++;
      if (p >= e || b[p] === 35) break;
      let c = b[p] as number;
      if (c === 113) {
        // qid:n is accepted and ignored.
        if (p + 3 >= e || b[p + 1] !== 105 || b[p + 2] !== 100 || b[p + 3] !== 58) {
          ok = false;
          break;
        }
        while (p < e && !isBlank(b[p] as number) && b[p] !== 35) {
          // A lone CR ends a line; a non-ASCII byte may be Unicode whitespace: both for the string parser.
          if (b[p] === 13 || (b[p] as number) >= 128) break;
          p++;
        }
        if (p < e && !isBlank(b[p] as number) && b[p] !== 35) {
          ok = false;
          break;
        }
        continue;
      }
      let idx = 0;
      let nd = 0;
      while (p < e) {
        c = b[p] as number;
        const d = c - 48;
        if (d < 0 || d > 9) break;
        idx = idx * 10 + d;
        nd++;
        p++;
      }
      if (nd === 0 || nd > 10 || p >= e || c !== 58) {
        ok = false;
        break;
      }
      const j = idx - 1;
      if (j <= prev || j > limit) {
        ok = false;
        break;
      }
      let v = 1;
      const q = p + 1;
      if (b[q] === 49 && (q + 1 >= e || isBlank(b[q + 1] as number) || b[q + 1] === 35)) p = q + 1;
      else {
        // Anything but a bare "1" (binary features are the common case).
        v = parseDecimal(b, q, e);
        p = scanEnd;
        if (v !== v || (p < e && !isBlank(b[p] as number) && b[p] !== 35)) {
          ok = false;
          break;
        }
      }
      if (v > 3.4e38 || v < -3.4e38) {
        // Possibly beyond float32: the string parser decides and names the field.
        ok = false;
        break;
      }
      prev = j;
      // Any value other than 1 (even a 0, which is not stored) switches to stored values, as TrainingSetBuilder does.
      if (v !== 1 && values === null) {
        target.colIdx.length = m;
        values = target.materializeValues().reserve(room);
        materialized = true;
      }
      if (v === 0) continue;
      colIdx[m] = j;
      if (values !== null) values[m] = v;
      m++;
      rowMax = j;
    }
    if (ok && this.o.appendColumn !== null) {
      const j = this.o.appendColumn;
      if (j <= prev) ok = false;
      else {
        colIdx[m] = j;
        if (values !== null) values[m] = 1;
        m++;
        rowMax = j;
      }
    }
    let pairCount = 0;
    if (ok && p < e) {
      if (this.o.entities) {
        pairCount = this.scanPairs(b, p + 1, e);
        if (pairCount < 0) ok = false;
      } else {
        // A lone CR in an ignored comment still ends a line (as for a line reader).
        for (let q = p; q < e; q++) {
          if (b[q] === 13) {
            ok = false;
            break;
          }
        }
      }
    }
    if (!ok) {
      // Nothing was committed: the row's entries sit past colIdx.length.
      target.colIdx.length = rowStart;
      if (materialized) target.hasValues = false;
      return false;
    }
    if (pairCount > 0) this.commitPairs(b, pairCount);
    else if (target.entities.size > 0) this.commitEntities(null);
    target.colIdx.length = m;
    if (values !== null) (target.values as SharedGrowable<Float32Array>).length = m;
    if (rowMax > target.maxIndex) target.maxIndex = rowMax;
    target.rowPtr.push(m);
    target.labels.push(label);
    target.rows++;
    this.accepted();
    return true;
  }

  /**
   * The `key=value` pairs after '#' at bytes [p, e) into `pairs`; -1 when the string parser should
   * take the line (non-ASCII, a key that is empty-safe but special for objects, a repeated key).
   */
  private scanPairs(b: Buffer, p: number, e: number): number {
    let count = 0;
    for (;;) {
      while (p < e && isBlank(b[p] as number)) p++;
      if (p >= e) break;
      const ts = p;
      let eq = -1;
      while (p < e) {
        const c = b[p] as number;
        if (isBlank(c)) break;
        if (c >= 128 || c === 13) return -1;
        if (c === 61 && eq < 0) eq = p;
        p++;
      }
      if (eq <= ts || eq >= p - 1) continue;
      // Keys that are array indices or __proto__ behave differently as object keys: leave them
      // to the string parser, which keeps the object semantics.
      const first = b[ts] as number;
      if ((first >= 48 && first <= 57) || first === 95) return -1;
      if (3 * count + 3 > this.pairs.length) {
        const next = new Int32Array(this.pairs.length * 2);
        next.set(this.pairs);
        this.pairs = next;
      }
      this.pairs[3 * count] = ts;
      this.pairs[3 * count + 1] = eq;
      this.pairs[3 * count + 2] = p;
      count++;
    }
    // A repeated key: the last value wins in the string parser.
    for (let a = 1; a < count; a++) {
      for (let z = 0; z < a; z++) {
        if (b.compare(b, this.pairs[3 * z] as number, this.pairs[3 * z + 1] as number, this.pairs[3 * a] as number, this.pairs[3 * a + 1] as number) === 0) return -1;
      }
    }
    return count;
  }

  private commitPairs(b: Buffer, count: number): void {
    const target = this.rows;
    const row = target.rows;
    for (let k = 0; k < count; k++) {
      const ts = this.pairs[3 * k] as number;
      const eq = this.pairs[3 * k + 1] as number;
      const te = this.pairs[3 * k + 2] as number;
      // Lines tend to name the same types in the same order: try the column of this position on the last line first.
      let col = this.lastColumns[k];
      if (col === undefined || col.keyBytes.length !== eq - ts || b.compare(col.keyBytes, 0, eq - ts, ts, eq) !== 0) {
        const type = b.toString('latin1', ts, eq);
        col = target.entities.get(type);
        if (col === undefined) {
          col = new EntityAccumulator(type, row);
          target.entities.set(type, col);
        }
        this.lastColumns[k] = col;
      }
      col.push(col.codeOfBytes(b, eq + 1, te));
    }
    for (const col of target.entities.values()) if (col.length === row) col.push(-1);
  }

  /** Appends one row's entity ids (null: none); columns it lacks get -1. */
  private commitEntities(entries: readonly (readonly [string, string])[] | null): void {
    const target = this.rows;
    const row = target.rows;
    if (entries !== null) {
      for (const [type, id] of entries) {
        let col = target.entities.get(type);
        if (col === undefined) {
          col = new EntityAccumulator(type, row);
          target.entities.set(type, col);
        }
        col.push(col.codeOf(id));
      }
    }
    for (const col of target.entities.values()) if (col.length === row) col.push(-1);
  }

  private accepted(): void {
    this.acceptedRows++;
    if (this.acceptedRows >= this.o.maxRows) this.done = true;
    if (this.o.chunkRows !== null && this.rows.rows >= this.o.chunkRows && this.o.onChunk !== null) {
      this.o.onChunk(this.rows);
      this.rows.reset();
      this.lastColumns.length = 0;
    }
  }

  /** A line the byte parser left: split at lone CRs (as a line reader does), then parse each as a string. */
  private slowLines(text: string): void {
    const parts = text.split('\r');
    for (let k = 0; k < parts.length; k++) {
      if (k > 0) this.line++;
      const part = parts[k] as string;
      if (part.length === 0 || part.startsWith('#')) continue;
      try {
        this.slowLine(part, this.line);
      } catch (err) {
        if (!(this.o.skipInvalid && err instanceof LaserError && err.code === 'INVALID_DATA')) throw err;
        this.skipped.count++;
        if (this.skipped.examples.length < 5) this.skipped.examples.push(err.message);
      }
      if (this.done) return;
    }
  }

  private slowLine(text: string, line: number): void {
    const { file, namespace } = this.o;
    const ex = parseSvmlightLine(file, line, text);
    const { indices, values } = ex;
    const dimension = this.o.dimension;
    const field = `features.${namespace}.indices`;
    if (dimension !== null) {
      for (let k = 0; k < indices.length; k++) {
        if ((indices[k] as number) >= dimension) throw badRow(file, line, `${field}[${k}]`, indices[k], `must be < dimensions.${namespace} (${dimension})`);
      }
    }
    for (let k = 0; k < indices.length; k++) {
      if ((indices[k] as number) > MAX_COLUMN) throw badRow(file, line, `${field}[${k}]`, indices[k], 'must be a non-negative integer');
    }
    const rule = this.o.labelRule;
    if (rule !== null && !rule.isValid(ex.label)) throw badRow(file, line, 'label', ex.label, rule.constraint);
    const append = this.o.appendColumn;
    if (append !== null && indices.length > 0 && (indices[indices.length - 1] as number) >= append) {
      throw badRow(file, line, `${field}[${indices.length - 1}]`, indices[indices.length - 1], `must be < ${append} (the appended intercept column)`);
    }
    if (append !== null) {
      indices.push(append);
      values.push(1);
    }
    const target = this.rows;
    const colIdx = target.colIdx.reserve(indices.length);
    let m = target.colIdx.length;
    for (let k = 0; k < indices.length; k++) {
      const v = values[k] as number;
      if (v !== 1 && !target.hasValues) {
        target.colIdx.length = m;
        target.materializeValues();
      }
      if (v === 0) continue;
      const store = target.values;
      if (store !== null) {
        store.reserve(indices.length);
        store.data[m] = v;
      }
      const j = indices[k] as number;
      colIdx[m++] = j;
      if (j > target.maxIndex) target.maxIndex = j;
    }
    target.colIdx.length = m;
    if (target.values !== null) target.values.length = m;
    if (this.o.entities && Object.keys(ex.entities).length > 0) this.commitEntities(Object.entries(ex.entities));
    else if (target.entities.size > 0) this.commitEntities(null);
    target.rowPtr.push(m);
    target.labels.push(ex.label);
    target.rows++;
    this.accepted();
  }
}

/** One svmlight line as parsed by the string parser. */
export interface SvmlightLine {
  readonly label: number;
  /** 0-based, strictly increasing. */
  readonly indices: number[];
  readonly values: number[];
  readonly entities: Record<string, string>;
}

/**
 * svmlight/libsvm: `label [qid:n] index:value ...  [# key=value ...]`, 1-based indices. Labels
 * +1/-1 or 1/0 (-1 maps to 0 for the logistic loss); `key=value` pairs after # name entities.
 */
export function parseSvmlightLine(file: string, line: number, text: string): SvmlightLine {
  const hash = text.indexOf('#');
  const body = (hash >= 0 ? text.slice(0, hash) : text).trim();
  const tokens = body.split(/\s+/);
  const labelText = tokens[0] as string;
  const raw = Number(labelText);
  if (labelText === '' || !Number.isFinite(raw)) throw badRow(file, line, 'label', labelText, 'must be a finite number');
  const label = raw === -1 ? 0 : raw;
  const indices: number[] = [];
  const values: number[] = [];
  for (let t = 1; t < tokens.length; t++) {
    const tok = tokens[t] as string;
    if (tok.startsWith('qid:')) continue;
    const colon = tok.indexOf(':');
    const idx = Number(tok.slice(0, colon));
    const val = Number(tok.slice(colon + 1));
    if (colon <= 0 || !Number.isInteger(idx) || idx < 1) throw badRow(file, line, `feature[${t - 1}].index`, tok, 'must be an integer >= 1 (svmlight indices are 1-based) as index:value');
    if (!Number.isFinite(val) || tok.slice(colon + 1) === '') throw badRow(file, line, `feature[${t - 1}].value`, tok, 'must be a finite number');
    // Values are stored as float32: one beyond its range would turn into Infinity there.
    if (!Number.isFinite(Math.fround(val))) throw badRow(file, line, `feature[${t - 1}].value`, tok, 'must be within the float32 range (magnitude below 3.4e38)');
    if (indices.length > 0 && idx - 1 <= (indices[indices.length - 1] as number)) throw badRow(file, line, `feature[${t - 1}].index`, tok, 'must be greater than the previous index');
    indices.push(idx - 1);
    values.push(val);
  }
  const entities: Record<string, string> = {};
  if (hash >= 0) {
    for (const pair of text.slice(hash + 1).trim().split(/\s+/)) {
      const eq = pair.indexOf('=');
      if (eq > 0 && eq < pair.length - 1) entities[pair.slice(0, eq)] = pair.slice(eq + 1);
    }
  }
  return { label, indices, values, entities };
}

/** Upper bounds on rows and stored entries of an svmlight file of `bytes` bytes (a row takes at least 2 bytes, an entry at least 4). */
export function svmlightBounds(bytes: number, appendColumn: boolean): { readonly rows: number; readonly nonZeros: number } {
  const rows = Math.floor(bytes / 2) + 1;
  return { rows, nonZeros: Math.floor(bytes / 4) + 1 + (appendColumn ? rows : 0) };
}

/** Bytes read at a time. */
export const SVMLIGHT_READ_BYTES = 4 * 2 ** 20;

/** Feeds an open file through `parser` with synchronous reads (for passes inside a synchronous objective call). */
export function pumpSync(fd: number, parser: SvmlightParser, readBytes: number): void {
  let buf: Buffer = Buffer.allocUnsafe(readBytes);
  let carry = 0;
  for (;;) {
    const n = readSync(fd, buf, carry, buf.length - carry, null);
    const end = carry + n;
    const consumed = parser.parse(buf, 0, end, n === 0);
    if (n === 0 || parser.done) break;
    carry = end - consumed;
    if (carry > 0) buf.copyWithin(0, consumed, end);
    if (carry === buf.length) buf = grown(buf, carry);
  }
  parser.finish();
}

/** Feeds an open file through `parser`. */
export async function pumpAsync(fh: FileHandle, parser: SvmlightParser, readBytes: number): Promise<void> {
  let buf: Buffer = Buffer.allocUnsafe(readBytes);
  let carry = 0;
  for (;;) {
    const { bytesRead: n } = await fh.read(buf, carry, buf.length - carry, null);
    const end = carry + n;
    const consumed = parser.parse(buf, 0, end, n === 0);
    if (n === 0 || parser.done) break;
    carry = end - consumed;
    if (carry > 0) buf.copyWithin(0, consumed, end);
    if (carry === buf.length) buf = grown(buf, carry);
  }
  parser.finish();
}

/** A line longer than the buffer: double it. */
function grown(buf: Buffer, carry: number): Buffer {
  const next = Buffer.allocUnsafe(buf.length * 2);
  buf.copy(next, 0, 0, carry);
  return next;
}

/** Opens `path` for a synchronous pass; NOT_FOUND names the path. */
export function openSyncForReading(path: string): { readonly fd: number; readonly bytes: number; readonly modifiedMs: number } {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    throw new LaserError('NOT_FOUND', `cannot read ${path}: ${(e as Error).message}`, { cause: e, details: { file: path } });
  }
  try {
    const st = fstatSync(fd);
    return { fd, bytes: st.size, modifiedMs: st.mtimeMs };
  } catch (e) {
    closeSync(fd);
    throw new LaserError('NOT_FOUND', `cannot read ${path}: ${(e as Error).message}`, { cause: e, details: { file: path } });
  }
}
