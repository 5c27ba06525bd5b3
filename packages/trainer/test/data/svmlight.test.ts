import { closeSync, mkdtempSync, rmSync, writeFileSync, createReadStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { LaserError, type FeatureNamespace } from '@laserkit/core';
import { readTrainingSet } from '../../src/data/readers.js';
import { badRow } from '../../src/data/bad-row.js';
import { SvmlightParser, SvmlightRows, openSyncForReading, parsePlainDecimal, parseSvmlightLine, pumpSync } from '../../src/data/svmlight.js';
import { TrainingSetBuilder, type TrainingSet } from '../../src/data/training-set.js';

const dir = mkdtempSync(join(tmpdir(), 'laserkit-svmlight-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let fileCount = 0;
function write(text: string): string {
  const path = join(dir, `f${fileCount++}.svm`);
  writeFileSync(path, text);
  return path;
}

/**
 * The reference: svmlight read the way the line reader always did it: readline, one string per
 * line, the string parser, TrainingSetBuilder (which validates each example and stores values as
 * Float32 only once one differs from 1).
 */
async function referenceRead(path: string, options: { dimensions?: Partial<Record<FeatureNamespace, number>>; skipInvalid?: boolean; namespace?: FeatureNamespace; maxRows?: number }): Promise<{ set: TrainingSet; skipped: number; examples: string[] }> {
  const ns = options.namespace ?? 'user';
  const builder = new TrainingSetBuilder({ dimensions: { ...options.dimensions } });
  const lines = createInterface({ input: createReadStream(path, { encoding: 'utf8' }), crlfDelay: Infinity });
  let lineNo = 0;
  let skipped = 0;
  const examples: string[] = [];
  for await (const line of lines) {
    lineNo++;
    if (line.length === 0 || line.startsWith('#')) continue;
    try {
      const { label, indices, values, entities } = parseSvmlightLine(path, lineNo, line);
      try {
        builder.add({ label, features: { [ns]: { indices, values } }, entities });
      } catch (e) {
        if (e instanceof LaserError && e.code === 'INVALID_ARGUMENT') throw badRow(path, lineNo, String(e.details.field), e.details.value, String(e.details.constraint));
        throw e;
      }
    } catch (e) {
      if (options.skipInvalid === true && e instanceof LaserError && e.code === 'INVALID_DATA') {
        skipped++;
        if (examples.length < 5) examples.push(e.message);
        continue;
      }
      throw e;
    }
    if (builder.rows >= (options.maxRows ?? Infinity)) break;
  }
  return { set: builder.build(), skipped, examples };
}

/** Everything a TrainingSet holds, as plain data (toEqual tells -0 from 0). */
function summary(set: TrainingSet): unknown {
  const features = Object.fromEntries(
    (['user', 'ad', 'context'] as const).map((ns) => {
      const x = set.features[ns];
      return [ns, { rows: x.rows, cols: x.cols, rowPtr: Array.from(x.rowPtr), colIdx: Array.from(x.colIdx), values: x.values === null ? null : Array.from(x.values) }];
    }),
  );
  return {
    rows: set.rows,
    dimensions: set.dimensions,
    features,
    labels: Array.from(set.labels),
    weights: set.weights,
    entities: [...set.entities].map(([type, col]) => [type, col.ids, Array.from(col.codes)]),
  };
}

/** Feeds the file to a SvmlightParser in reads of `readBytes` bytes (lines split across reads) and returns what it parsed. */
function pumpFile(path: string, readBytes: number): { rows: number; rowPtr: number[]; colIdx: number[]; labels: number[]; lines: number; skipped: number } {
  const rows = new SvmlightRows(1000, 1000);
  const parser = new SvmlightParser(rows, { file: path, namespace: 'user', dimension: null, skipInvalid: true, entities: true, labelRule: null, appendColumn: null, maxRows: Infinity, chunkRows: null, onChunk: null });
  const { fd } = openSyncForReading(path);
  try {
    pumpSync(fd, parser, readBytes);
  } finally {
    closeSync(fd);
  }
  return { rows: rows.rows, rowPtr: Array.from(rows.rowPtr.view()), colIdx: Array.from(rows.colIdx.view()), labels: Array.from(rows.labels.view()), lines: parser.line, skipped: parser.skipped.count };
}

async function outcome<T>(f: () => Promise<T>): Promise<{ ok: T } | { error: string }> {
  try {
    return { ok: await f() };
  } catch (e) {
    return { error: `${(e as Error).constructor.name}: ${(e as Error).message}` };
  }
}

// Tokens in forms the byte parser handles and forms it must leave to the string parser.
const labelText = fc.constantFrom('1', '-1', '+1', '0', '-0', '0.5', '2', '1e0', '0x1', '1.', '.5', 'x', 'nan', 'Infinity', '١', '1#c');
const indexText = (j: number): fc.Arbitrary<string> => fc.constantFrom(String(j), String(j), String(j), `0${j}`, `+${j}`, `${j}.0`, `${j}e0`, '0', 'a', '');
const valueText = fc.oneof(
  fc.constantFrom('1', '1', '1', '0', '-0', '2.5', '-1.25', '.5', '5.', '1e-3', '1E2', '0x10', 'inf', 'nan', '', '1:2', '1234567890123456789', '0.0000000000000000000000001', '3.14159265358979'),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map(String),
  fc.integer({ min: -1e6, max: 1e6 }).map((k) => (k / 1000).toString()),
);
const feature = fc.tuple(fc.integer({ min: 1, max: 40 }), fc.nat(9)).chain(([j, form]) => fc.tuple(indexText(j), valueText).map(([i, v]) => (form === 0 ? `qid:${j}` : `${i}:${v}`)));
const comment = fc.constantFrom('', '', ' # campaign=7 user=u1', ' #campaign=8', ' # user=u2 campaign=7', ' # 12=x', ' # a=1 a=2', ' # __proto__=x', ' # é=ü', ' #', ' # k= =v x=y=z', ' # campaign=7\tuser=u3 ');
const separator = fc.constantFrom(' ', ' ', ' ', '\t', '  ');
const row = fc.tuple(labelText, fc.array(fc.tuple(separator, feature), { maxLength: 6 }), comment, fc.boolean()).map(([label, feats, c, sorted]) => {
  const list = sorted ? [...feats].sort((a, b) => Number.parseInt(a[1].split(':')[0] ?? '', 10) - Number.parseInt(b[1].split(':')[0] ?? '', 10)) : feats;
  return `${label}${list.map(([s, f]) => `${s}${f}`).join('')}${c}`;
});
const line = fc.oneof({ weight: 12, arbitrary: row }, { weight: 1, arbitrary: fc.constantFrom('', '# a comment line', ' ', '#x\r1 2:1') });
const ending = fc.constantFrom('\n', '\n', '\n', '\r\n', '\r');
const file = fc.tuple(fc.array(fc.tuple(line, ending), { maxLength: 12 }), fc.boolean()).map(([ls, finalNewline]) => {
  const text = ls.map(([l, e]) => l + e).join('');
  return finalNewline ? text : text.replace(/\r?\n$/, '');
});

describe('parsePlainDecimal (the byte parser for plain decimals)', () => {
  const bytes = (s: string): Uint8Array => Buffer.from(s, 'latin1');
  it('equals Number.parseFloat on plain decimals with up to 15 significant digits', () => {
    const plain = fc
      .tuple(fc.constantFrom('', '-', '+'), fc.stringMatching(/^[0-9]{0,12}$/), fc.option(fc.stringMatching(/^[0-9]{0,10}$/), { nil: undefined }))
      .filter(([, a, b]) => a.length + (b ?? '').length > 0 && (a + (b ?? '')).replace(/^0+/, '').length <= 15)
      .map(([s, a, b]) => `${s}${a}${b === undefined ? '' : `.${b}`}`);
    fc.assert(
      fc.property(plain, (text) => {
        expect(Object.is(parsePlainDecimal(bytes(text), 0, text.length), Number.parseFloat(text))).toBe(true);
      }),
      { numRuns: 3000, seed: 11 },
    );
  });

  it('on any printed double: the same value, or NaN to hand the text to the exact parser', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (x) => {
        const text = String(x);
        const v = parsePlainDecimal(bytes(text), 0, text.length);
        if (!Number.isNaN(v)) expect(Object.is(v, Number.parseFloat(text))).toBe(true);
      }),
      { numRuns: 3000, seed: 12 },
    );
    // Exponents, many digits, hex, words: not this parser's.
    for (const text of ['1e5', '1234567890123456789', '0x10', 'inf', '.', '-', '', '1.2.3', '--1']) expect(parsePlainDecimal(bytes(text), 0, text.length)).toBeNaN();
  });
});

describe('the byte-level svmlight reader', () => {
  it('reads every file exactly as the line reader did: rows, values, labels, entities, errors and skipped rows', async () => {
    await fc.assert(
      fc.asyncProperty(file, fc.boolean(), fc.constantFrom(undefined, 8, 30, 60), async (text, skipInvalid, dimension) => {
        const path = write(text);
        const options = { skipInvalid, ...(dimension === undefined ? {} : { dimensions: { user: dimension } }) };
        const ours = await outcome(async () => {
          const r = await readTrainingSet(path, { format: 'svmlight', ...options });
          return { set: summary(r.set), skipped: r.skipped.count, examples: r.skipped.examples };
        });
        const reference = await outcome(async () => {
          const r = await referenceRead(path, options);
          return { set: summary(r.set), skipped: r.skipped, examples: r.examples };
        });
        expect(ours).toEqual(reference);
      }),
      { numRuns: 250, seed: 21 },
    );
  });

  it('gives the same rows whatever the read size (lines split across reads)', async () => {
    await fc.assert(
      fc.asyncProperty(file, fc.integer({ min: 64, max: 200 }), async (text, readBytes) => {
        const path = write(text);
        const whole = await outcome(async () => summary((await readTrainingSet(path, { format: 'svmlight', skipInvalid: true })).set));
        const pieces = await outcome(async () => {
          const { rows, rowPtr, colIdx, labels } = pumpFile(path, readBytes);
          return { rows, rowPtr, colIdx, labels };
        });
        if ('error' in whole || 'error' in pieces) {
          expect(pieces).toEqual(whole);
          return;
        }
        const set = whole.ok as { rows: number; features: { user: { rowPtr: number[]; colIdx: number[] } }; labels: number[] };
        expect(pieces.ok).toEqual({ rows: set.rows, rowPtr: set.features.user.rowPtr, colIdx: set.features.user.colIdx, labels: set.labels });
      }),
      { numRuns: 150, seed: 22 },
    );
    // A line longer than the read buffer.
    const long = `1 ${Array.from({ length: 100 }, (_, k) => `${k + 1}:0.5`).join(' ')}\n0 3:1\n`;
    const path = write(long);
    const rows = new SvmlightRows(10, 1000);
    const parser = new SvmlightParser(rows, { file: path, namespace: 'user', dimension: null, skipInvalid: false, entities: true, labelRule: null, appendColumn: null, maxRows: Infinity, chunkRows: null, onChunk: null });
    const { fd } = openSyncForReading(path);
    pumpSync(fd, parser, 64);
    closeSync(fd);
    expect(rows.rows).toBe(2);
    expect(rows.nnz).toBe(101);
    expect(Array.from(rows.values!.view().subarray(99))).toEqual([0.5, 1]);
  });

  it('skips a UTF-8 byte order mark at the start of the file: the file reads exactly as without it', async () => {
    const BOM = Buffer.from([0xef, 0xbb, 0xbf]);
    // Messages name the file: compare them with the file name taken out.
    const read = async (path: string, skipInvalid: boolean): Promise<unknown> =>
      JSON.parse(
        JSON.stringify(
          await outcome(async () => {
            const r = await readTrainingSet(path, { format: 'svmlight', skipInvalid });
            return { set: summary(r.set), skipped: r.skipped.count, examples: r.skipped.examples };
          }),
        ).replaceAll(path, 'FILE'),
      ) as unknown;
    // A comment first: behind a BOM it would not start with '#' and would fail as a bad label.
    const headed = fc.tuple(fc.constantFrom('', '# made by hand\n', '1 2:0.5\n'), file).map(([head, text]) => head + text);
    await fc.assert(
      fc.asyncProperty(headed, fc.boolean(), fc.integer({ min: 3, max: 80 }), async (text, skipInvalid, readBytes) => {
        const plain = write(text);
        const marked = write('');
        writeFileSync(marked, Buffer.concat([BOM, Buffer.from(text)]));
        expect(await read(marked, skipInvalid)).toEqual(await read(plain, skipInvalid));
        expect(pumpFile(marked, readBytes)).toEqual(pumpFile(plain, readBytes));
      }),
      { numRuns: 120, seed: 23 },
    );
    // Only there: a BOM opening a later line is not skipped, so a comment behind it is a bad label, as for the line reader.
    const late = write('');
    writeFileSync(late, Buffer.concat([Buffer.from('1 1:1\n'), BOM, Buffer.from('# c\n')]));
    await expect(readTrainingSet(late, { format: 'svmlight' })).rejects.toThrow(`${late}:2: label`);
    const first = write('');
    writeFileSync(first, Buffer.concat([BOM, Buffer.from('# c\n1 1:1\n')]));
    expect((await readTrainingSet(first, { format: 'svmlight' })).set.rows).toBe(1);
  });

  it('keeps its arrays on shared memory, so worker threads read them without a copy', async () => {
    const path = write('1 1:1 3:2 # campaign=a\n0 2:1 # campaign=b\n');
    const { set } = await readTrainingSet(path);
    const x = set.features.user;
    for (const a of [x.rowPtr, x.colIdx, x.values!, set.labels]) expect(a.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(Array.from(x.values!)).toEqual([1, 2, 1]);
    expect(Array.from(set.entities.get('campaign')!.codes)).toEqual([0, 1]);
  });

  it('names file, line and field for an index beyond the given dimension, and stops at maxRows', async () => {
    const path = write('1 1:1\n0 2:1 9:1\n1 3:1\n');
    await expect(readTrainingSet(path, { dimensions: { user: 5 } })).rejects.toThrow(`${path}:2: features.user.indices[1] (8) must be < dimensions.user (5)`);
    const { set } = await readTrainingSet(path, { maxRows: 2 });
    expect(set.rows).toBe(2);
    expect(set.dimensions.user).toBe(9);
  });
});
