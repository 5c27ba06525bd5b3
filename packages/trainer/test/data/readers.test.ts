import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FeatureHasher, LaserError } from '@laserkit/core';
import { createTraffic, writeTraffic } from '@laserkit/datasets';
import { readTrainingSet } from '../../src/data/readers.js';
import { TrainingSetBuilder, selectRows } from '../../src/data/training-set.js';

const dir = mkdtempSync(join(tmpdir(), 'laserkit-readers-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function rowIndices(x: { rowPtr: Int32Array; colIdx: Int32Array }, i: number): number[] {
  return Array.from(x.colIdx.subarray(x.rowPtr[i]!, x.rowPtr[i + 1]!));
}

describe('reading training data', () => {
  it('reads the generator format exactly, with campaign and user entity columns', async () => {
    const path = join(dir, 't.tsv');
    const options = { rows: 500, seed: 4, users: 100, campaigns: 20, userDimension: 300, adDimension: 50 };
    writeTraffic(options, { path });
    const rows = [...createTraffic(options).rows()];
    const { set, format } = await readTrainingSet(path);
    expect(format).toBe('traffic');
    expect(set.rows).toBe(500);
    expect(set.dimensions).toEqual({ user: 300, ad: 50, context: 39 });
    rows.forEach((r, i) => {
      expect(set.labels[i]).toBe(r.label);
      expect(rowIndices(set.features.user, i)).toEqual(Array.from(r.userFeatures));
      expect(rowIndices(set.features.ad, i)).toEqual(Array.from(r.adFeatures));
      expect(rowIndices(set.features.context, i)).toEqual(Array.from(r.contextFeatures));
      const campaign = set.entities.get('campaign')!;
      expect(campaign.ids[campaign.codes[i]!]).toBe(String(r.campaign));
    });
    expect(set.features.user.values).toBeNull();
  });

  it('reads svmlight with ±1 labels, values, qid and entity ids in the comment', async () => {
    const path = join(dir, 'a.svm');
    writeFileSync(path, '+1 qid:3 1:0.5 4:2 # campaign=7 user=u1\n-1 2:1\n0 5:1.5 # campaign=8\n');
    const { set } = await readTrainingSet(path, { svmlightNamespace: 'context' });
    expect(Array.from(set.labels)).toEqual([1, 0, 0]);
    expect(set.dimensions.context).toBe(5);
    expect(rowIndices(set.features.context, 0)).toEqual([0, 3]);
    expect(Array.from(set.features.context.values!)).toEqual([0.5, 2, 1, 1.5]);
    const campaign = set.entities.get('campaign')!;
    expect(Array.from(campaign.codes, (c) => (c < 0 ? null : campaign.ids[c]))).toEqual(['7', null, '8']);
  });

  it('reads JSON Lines through a feature space', async () => {
    const path = join(dir, 'a.jsonl');
    writeFileSync(path, ['{"label":1,"weight":2,"user":{"age=30":1,"geo=US":0.5},"ad":["industry=tech"],"entities":{"campaign":12}}', '{"label":0,"context":["page=home"]}'].join('\n'));
    const space = new FeatureHasher({ seed: 3, bits: 10 });
    const { set } = await readTrainingSet(path, { featureSpace: space.toJSON() });
    expect(set.rows).toBe(2);
    expect(Array.from(set.weights!)).toEqual([2, 1]);
    expect(rowIndices(set.features.user, 0)).toEqual([space.indexOf('user', 'age=30'), space.indexOf('user', 'geo=US')].sort((a, b) => a - b));
    expect(rowIndices(set.features.context, 1)).toEqual([space.indexOf('context', 'page=home')]);
    expect(set.entities.get('campaign')!.ids).toEqual(['12']);
  });

  it.each([
    ['t.svm', '1 3:1 2:1\n', 'feature[1].index ("2:1") must be greater than the previous index'],
    ['t.svm', '1 0:1\n', 'feature[0].index ("0:1") must be an integer >= 1 (svmlight indices are 1-based)'],
    ['t.svm', '1 3:nan\n', 'feature[0].value ("3:nan") must be a finite number'],
    ['t.svm', 'x 3:1\n', 'label ("x") must be a finite number'],
    ['t.jsonl', '{"label": 1, "user": {"a": "x"}}\n', 'user.a ("x") must be a finite number'],
    ['t.jsonl', '{"label": 1, "usr": {}}\n', 'usr ("usr") is not a known field'],
    ['t.jsonl', '{"label": 1, "weight": -2}\n', 'weight (-2) must be a finite number >= 0'],
  ])('%s %j fails naming file, line and field', async (name, body, message) => {
    const path = join(dir, `bad-${Math.random().toString(36).slice(2)}-${name}`);
    writeFileSync(path, `1 1:1\n${body}`.replace(/^1 1:1\n/, name.endsWith('.jsonl') ? '{"label":0}\n' : '1 1:1\n'));
    const read = readTrainingSet(path, { featureSpace: new FeatureHasher({ bits: 4 }).toJSON() });
    await expect(read).rejects.toThrow(`${path}:2: ${message}`);
    await expect(read).rejects.toBeInstanceOf(LaserError);
  });

  it('skips a UTF-8 byte order mark at the start of a JSON Lines or traffic file, and only there', async () => {
    const BOM = Buffer.from([0xef, 0xbb, 0xbf]);
    const plainOf = (name: string, text: string): string => {
      const path = join(dir, name);
      writeFileSync(path, text);
      return path;
    };
    const markedOf = (name: string, text: string): string => {
      const path = join(dir, name);
      writeFileSync(path, Buffer.concat([BOM, Buffer.from(text)]));
      return path;
    };
    const summary = (set: Awaited<ReturnType<typeof readTrainingSet>>['set']): unknown => ({
      rows: set.rows,
      dimensions: set.dimensions,
      labels: Array.from(set.labels),
      weights: set.weights === null ? null : Array.from(set.weights),
      user: [Array.from(set.features.user.rowPtr), Array.from(set.features.user.colIdx), set.features.user.values === null ? null : Array.from(set.features.user.values)],
      context: [Array.from(set.features.context.rowPtr), Array.from(set.features.context.colIdx)],
      entities: [...set.entities].map(([type, col]) => [type, col.ids, Array.from(col.codes)]),
    });
    const space = new FeatureHasher({ seed: 3, bits: 10 }).toJSON();
    for (const text of ['{"label":1,"user":{"age=30":1,"geo=US":0.5},"entities":{"campaign":12}}\n{"label":0,"context":["page=home"]}\n', '# exported by hand\n{"label":1,"user":["a"]}\n']) {
      const plain = await readTrainingSet(plainOf('plain.jsonl', text), { featureSpace: space });
      const marked = await readTrainingSet(markedOf('marked.jsonl', text), { featureSpace: space });
      expect(summary(marked.set)).toEqual(summary(plain.set));
    }
    const traffic = join(dir, 'plain.tsv');
    writeTraffic({ rows: 40, seed: 9, users: 10, campaigns: 4, userDimension: 300, adDimension: 50 }, { path: traffic });
    const trafficText = readFileSync(traffic, 'utf8');
    const marked = await readTrainingSet(markedOf('marked.tsv', trafficText));
    expect(summary(marked.set)).toEqual(summary((await readTrainingSet(traffic)).set));
    const late = join(dir, 'late.jsonl');
    writeFileSync(late, Buffer.concat([Buffer.from('{"label":1}\n'), BOM, Buffer.from('{"label":0}\n')]));
    await expect(readTrainingSet(late, { featureSpace: space })).rejects.toThrow(`${late}:2: line`);
  });

  it('skip-invalid counts bad rows, reports the first ones, and keeps the good ones', async () => {
    const path = join(dir, 'mixed.svm');
    writeFileSync(path, '1 1:1\n1 2:inf\n0 3:1\nfoo\n1 4:1\n');
    const { set, skipped } = await readTrainingSet(path, { skipInvalid: true });
    expect(set.rows).toBe(3);
    expect(skipped.count).toBe(2);
    expect(skipped.examples[0]).toContain(`${path}:2: feature[0].value ("2:inf") must be a finite number`);
    expect(skipped.examples[1]).toContain(`${path}:4: label ("foo")`);
    for (const v of set.features.user.values ?? []) expect(Number.isFinite(v)).toBe(true);
  });

  it('a missing file is NOT_FOUND naming the path', async () => {
    await expect(readTrainingSet(join(dir, 'nope.svm'))).rejects.toThrow(/cannot read .*nope\.svm/);
  });
});

describe('training sets', () => {
  it('validates an example before appending any of it', () => {
    const b = new TrainingSetBuilder({ dimensions: { user: 10 } });
    b.add({ label: 1, features: { user: { indices: [1, 2] } }, entities: { campaign: 'a' } });
    expect(() => b.add({ label: 0, features: { user: { indices: [3] }, ad: { indices: [1], values: [Number.NaN] } } })).toThrow('features.ad.values[0] (NaN) must be a finite number');
    expect(() => b.add({ label: 0, features: { user: { indices: [12] } } })).toThrow('features.user.indices[0] (12) must be < dimensions.user (10)');
    expect(() => b.add({ label: Number.POSITIVE_INFINITY, features: {} })).toThrow('label (Infinity) must be a finite number');
    b.add({ label: 0, features: { ad: { indices: [0], values: [2] } } });
    const set = b.build();
    expect(set.rows).toBe(2);
    expect(Array.from(set.features.user.rowPtr)).toEqual([0, 2, 2]);
    expect(Array.from(set.features.ad.values!)).toEqual([2]);
    expect(Array.from(set.entities.get('campaign')!.codes)).toEqual([0, -1]);
    const sub = selectRows(set, Int32Array.from([1, 0]));
    expect(Array.from(sub.labels)).toEqual([0, 1]);
    expect(Array.from(sub.entities.get('campaign')!.codes)).toEqual([-1, 0]);
    expect(Array.from(sub.features.user.rowPtr)).toEqual([0, 0, 2]);
  });
});
