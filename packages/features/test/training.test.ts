import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FeatureHasher, FeatureIndexMap, sparseVector } from '@laserkit/core';
import type { PipelineConfig } from '../src/config.js';
import { FeaturePipeline } from '../src/pipeline.js';
import { MapFeatureProvider, type FeatureProvider } from '../src/providers.js';
import type { TrainingExample } from '../src/training-example.js';
import { formatJsonlExample, formatSvmlightExample, readRawRecords, writeTrainingFile } from '../src/training-files.js';

const config: PipelineConfig = {
  sources: [
    { name: 'u', kind: 'request', namespace: 'user', fields: ['country'] },
    { name: 'p', kind: 'provider', namespace: 'user', provider: 'profiles' },
    { name: 'a', kind: 'request', namespace: 'ad', fields: ['industry'] },
  ],
  assemblers: [
    { namespace: 'user', inputs: ['u', 'p'] },
    { namespace: 'ad', inputs: ['a'] },
  ],
};
const space = new FeatureIndexMap({ user: ['country=us', 'country=fr', 'score'], ad: ['industry=tech', 'industry=food'], context: ['x'] });
const pipeline = FeaturePipeline.fromConfig(config, { space, providers: { profiles: new MapFeatureProvider('profiles', { u1: { score: 0.25 }, u2: { score: 1e-7 } }) } });

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'laserkit-features-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('assembleExample', () => {
  it('assembles every namespace through assemble() and keeps label, weight and entities', async () => {
    const raw = { label: 1, weight: 2, user: { id: 'u1', country: 'fr' }, ad: { industry: 'food' }, entities: { campaign: 'c1', advertiser: 7 } };
    const ex = await pipeline.assembleExample(raw);
    expect(ex.label).toBe(1);
    expect(ex.weight).toBe(2);
    expect(ex.entities).toEqual({ campaign: 'c1', advertiser: '7' });
    expect(ex.user).toEqual(await pipeline.assemble('user', raw.user).get());
    expect(Array.from(ex.ad.indices)).toEqual([1]);
    expect(ex.context.dimension).toBe(1);
    expect(ex.context.indices).toHaveLength(0);
  });

  it('rejects malformed records with the field', async () => {
    await expect(pipeline.assembleExample({ label: Number.NaN })).rejects.toThrow('record.label (NaN) must be a finite number');
    await expect(pipeline.assembleExample({ label: 1, usr: {} } as never)).rejects.toThrow('record.usr (object) is not a known field');
    await expect(pipeline.assembleExample({ label: 1, user: { country: 'us' } })).rejects.toThrow('user.id (undefined) must be a non-empty string');
  });
});

describe('training files', () => {
  const example: TrainingExample = {
    label: 0,
    user: sparseVector(3, [0, 2], [1, 0.1]),
    ad: sparseVector(2, [1], [1]),
    context: sparseVector(1, [], []),
    entities: { campaign: 'c9' },
  };

  it('formats the trainer JSON Lines with columns as names and round-trip numbers', () => {
    const line = formatJsonlExample(example);
    expect(JSON.parse(line)).toEqual({ label: 0, user: { '0': 1, '2': 0.1 }, ad: { '1': 1 }, context: {}, entities: { campaign: 'c9' } });
  });

  it('formats svmlight with 1-based indices and entity comments, refusing what it cannot carry', () => {
    const userOnly = { ...example, ad: sparseVector(2, [], []) };
    expect(formatSvmlightExample(userOnly, 'user')).toBe('0 1:1 3:0.1 # campaign=c9');
    expect(formatSvmlightExample({ ...example, user: sparseVector(3, [], []), entities: {} }, 'ad')).toBe('0 2:1');
    // svmlight has one namespace and no weights: dropping either silently would change training.
    expect(() => formatSvmlightExample(example, 'user')).toThrow(/ad \(1\) must have no active features to be written as svmlight for the user namespace/);
    expect(() => formatSvmlightExample({ ...userOnly, weight: 0 }, 'user')).toThrow(/weight \(0\) must be 1 \(or absent\) to be written as svmlight/);
    expect(() => formatSvmlightExample({ ...userOnly, entities: { campaign: 'a b' } }, 'user')).toThrow('entities.campaign ("a b") must be an id without whitespace');
  });

  it('reads raw records and writes the training file from them', async () => {
    const input = join(dir, 'raw.jsonl');
    await writeFile(
      input,
      ['{"label":1,"user":{"id":"u1","country":"us"},"ad":{"industry":"tech"},"entities":{"campaign":"c1"}}', '', '# a comment', '{"label":0,"user":{"id":"u2"},"ad":{}}'].join('\n'),
    );
    const out = join(dir, 'train.jsonl');
    const result = await writeTrainingFile(pipeline, readRawRecords(input), out);
    expect(result).toMatchObject({ rows: 2, format: 'jsonl', dimensions: { user: 3, ad: 2, context: 1 }, featureSpace: { kind: 'indexed' } });
    const lines = (await readFile(out, 'utf8')).trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines[0]).toEqual({ label: 1, user: { '0': 1, '2': 0.25 }, ad: { '0': 1 }, context: {}, entities: { campaign: 'c1' } });
    expect(lines[1]).toEqual({ label: 0, user: { '2': Math.fround(1e-7) }, ad: {}, context: {}, entities: {} });
  });

  it('writes the same rows in the same order whatever the batch size, and names the failing record', async () => {
    const records = Array.from({ length: 10 }, (_, i) => ({ label: i % 2, user: { id: i % 3 === 0 ? 'u1' : 'u2', country: i % 4 === 0 ? 'us' : 'fr' }, ad: { industry: 'tech' } }));
    const one = join(dir, 'b1.jsonl');
    const many = join(dir, 'b4.jsonl');
    await writeTrainingFile(pipeline, records, one, { batchSize: 1 });
    await writeTrainingFile(pipeline, records, many, { batchSize: 4 });
    const text = await readFile(one, 'utf8');
    expect(text.trimEnd().split('\n')).toHaveLength(10);
    expect(await readFile(many, 'utf8')).toBe(text);
    const bad = [...records.slice(0, 5), { label: 1, user: { country: 'us' } }];
    await expect(writeTrainingFile(pipeline, bad, join(dir, 'bad-out.jsonl'), { batchSize: 4 })).rejects.toThrow('record 6: user.id (undefined) must be a non-empty string');
    await expect(writeTrainingFile(pipeline, records, join(dir, 'x.jsonl'), { batchSize: 0 })).rejects.toThrow('batchSize (0) must be an integer in [1, 1000000]');
  });

  it('names file and line of a bad raw record', async () => {
    const input = join(dir, 'bad.jsonl');
    await writeFile(input, '{"label":1,"user":{"id":"u1"}}\n{"label":"yes"}\n');
    const read = async (): Promise<number> => {
      let n = 0;
      for await (const _ of readRawRecords(input)) n++;
      return n;
    };
    await expect(read()).rejects.toThrow(/bad\.jsonl:2: record\.label \("yes"\) must be a finite number/);
    await writeFile(input, '{"label":1,\n');
    await expect(read()).rejects.toThrow(/bad\.jsonl:1: line \("\{\\"label\\":1,"\) must be a JSON object/);
  });
});

describe('readRawRecords and a UTF-8 byte order mark', () => {
  const BOM = Buffer.from([0xef, 0xbb, 0xbf]);
  const collect = async (path: string): Promise<unknown[]> => {
    const out: unknown[] = [];
    for await (const r of readRawRecords(path)) out.push(r);
    return out;
  };

  it.each([
    ['a record', '{"label":1,"user":{"id":"u1"}}\n{"label":0,"ad":{"industry":"tech"}}\n'],
    ['a comment', '# exported by hand\n{"label":1,"user":{"id":"u1"}}\n'],
    ['a blank line', '\n{"label":0}\n'],
  ])('skips a BOM before %s at the start of the file', async (_label, text) => {
    const plain = join(dir, 'plain-raw.jsonl');
    const bom = join(dir, 'bom-raw.jsonl');
    await writeFile(plain, text);
    await writeFile(bom, Buffer.concat([BOM, Buffer.from(text)]));
    const expected = await collect(plain);
    expect(expected.length).toBeGreaterThan(0);
    expect(await collect(bom)).toEqual(expected);
  });

  it('does not skip a BOM anywhere else', async () => {
    const late = join(dir, 'late-bom.jsonl');
    await writeFile(late, Buffer.concat([Buffer.from('{"label":1}\n'), BOM, Buffer.from('{"label":0}\n')]));
    await expect(collect(late)).rejects.toThrow(/late-bom\.jsonl:2: line .* must be a JSON object/);
  });
});

describe('training path robustness', () => {
  it('a failing provider next to a synchronous error rejects once, with no unhandled rejection left behind', async () => {
    const failing: FeatureProvider = { name: 'down', fetch: () => new Promise((_, reject) => setTimeout(() => reject(new Error('ETIMEDOUT')), 5)) };
    const p = FeaturePipeline.fromConfig(
      {
        sources: [
          { name: 'profile', kind: 'provider', namespace: 'user', provider: 'down', idField: 'id' },
          { name: 'adFields', kind: 'request', namespace: 'ad', fields: ['x'] },
        ],
        transformers: [{ name: 'logx', kind: 'function', function: 'log1p', inputs: ['adFields'] }],
        assemblers: [
          { namespace: 'user', inputs: ['profile'] },
          { namespace: 'ad', inputs: ['logx'] },
        ],
      },
      { space: new FeatureHasher({ bits: 4 }), providers: { down: failing } },
    );
    const unhandled: unknown[] = [];
    const onUnhandled = (e: unknown) => unhandled.push(e);
    process.on('unhandledRejection', onUnhandled);
    try {
      await expect(p.assembleExample({ label: 1, user: { id: 'u1' }, ad: { x: -5 } })).rejects.toThrow();
      await new Promise((r) => setTimeout(r, 30));
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
    expect(unhandled).toEqual([]);
  });
});
