import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { loadModel } from '@laserkit/model';
import { main } from '../src/program.js';
import { readAds, readScoringRequests } from '../src/score-command.js';
import { readJsonConfig } from '../src/train-command.js';
import { createTraffic, formatRow } from '@laserkit/datasets';

const dir = mkdtempSync(join(tmpdir(), 'laserkit-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('laserkit command', () => {
  it('generate writes the same rows the library streams, and prints a summary', async () => {
    const out = join(dir, 'g.tsv');
    const lines: string[] = [];
    const spy = vi.spyOn(console, 'log').mockImplementation((s: string) => void lines.push(s));
    const code = await main(['generate', '--rows', '500', '--seed', '9', '--campaigns', '50', '--out', out]);
    spy.mockRestore();
    expect(code).toBe(0);
    const body = readFileSync(out, 'utf8').split('\n').slice(1, -1);
    const expected = [...createTraffic({ rows: 500, seed: 9, campaigns: 50 }).rows()].map((r) => formatRow(r).trimEnd());
    expect(body).toEqual(expected);
    expect(lines.join('\n')).toMatch(/rows\s+500/);
  });

  it('demo runs the main job on embedded defaults', async () => {
    const lines: string[] = [];
    const spy = vi.spyOn(console, 'log').mockImplementation((s: string) => void lines.push(s));
    const code = await main(['demo', '--dir', join(dir, 'demo'), '--rows', '2000']);
    spy.mockRestore();
    expect(code).toBe(0);
    expect(readFileSync(join(dir, 'demo', 'traffic.tsv'), 'utf8').split('\n').length).toBe(2002);
    expect(lines.join('\n')).toContain('campaign warmness');
    expect(lines.join('\n')).toMatch(/true click probability of the top-ranked campaign/);
    expect(lines.join('\n')).toMatch(/thompson/i);
    expect(readFileSync(join(dir, 'demo', 'model.avro')).subarray(0, 3).toString()).toBe('Obj');
  });

  it('a bad value names the option, the value and the constraint', async () => {
    const errors: string[] = [];
    const program = (await import('../src/program.js')).createProgram();
    program.exitOverride().configureOutput({ writeErr: (s) => void errors.push(s), writeOut: () => undefined });
    for (const cmd of program.commands) cmd.exitOverride().configureOutput({ writeErr: (s) => void errors.push(s), writeOut: () => undefined });
    await expect(program.parseAsync(['generate', '--rows', 'ten', '--out', join(dir, 'x')], { from: 'user' })).rejects.toThrow();
    expect(errors.join('')).toContain(`option '--rows <n>' argument 'ten' is invalid. "ten" must be an integer in [0, 2147483647]`);
    errors.length = 0;
    await expect(program.parseAsync(['generate', '--format', 'csv', '--out', join(dir, 'x')], { from: 'user' })).rejects.toThrow();
    expect(errors.join('')).toContain(`argument 'csv' is invalid. Allowed choices are traffic, svmlight`);
  });
});

describe('laserkit train and evaluate', () => {
  it('train writes an artifact that evaluate reads back', async () => {
    const data = join(dir, 'train.tsv');
    const lines: string[] = [];
    const spy = vi.spyOn(console, 'log').mockImplementation((s: string) => void lines.push(s));
    try {
      expect(await main(['generate', '--rows', '5000', '--campaigns', '20', '--user-dimension', '200', '--ad-dimension', '40', '--out', data])).toBe(0);
      expect(await main(['train', '--data', data, '--out', join(dir, 'm.avro'), '--json', join(dir, 'm.json')])).toBe(0);
      expect(await main(['evaluate', '--model', join(dir, 'm.avro'), '--data', data])).toBe(0);
    } finally {
      spy.mockRestore();
    }
    const text = lines.join('\n');
    expect(text).toMatch(/held-out rows/);
    expect(text).toMatch(/wrote .*m\.avro/);
    expect(JSON.parse(readFileSync(join(dir, 'm.json'), 'utf8')).modelId).toBe('laserkit-model');
  });

  it('a damaged artifact is reported in one line with exit code 2', async () => {
    const bad = join(dir, 'bad.avro');
    writeFileSync(bad, 'not a model');
    const errors: string[] = [];
    const spy = vi.spyOn(console, 'error').mockImplementation((s: string) => void errors.push(s));
    const code = await main(['evaluate', '--model', bad, '--data', join(dir, 'train.tsv')]);
    spy.mockRestore();
    expect(code).toBe(2);
    expect(errors.join('')).toMatch(/laserkit: .*bad\.avro: not a model artifact/);
  });
});

describe('laserkit score', () => {
  const golden = join(import.meta.dirname, '..', '..', '..', 'datasets', 'golden', 'scoring');

  it('ranks each request\'s candidates with a model and writes the top ads', async () => {
    const out = join(dir, 'ranked.jsonl');
    const lines: string[] = [];
    const spy = vi.spyOn(console, 'log').mockImplementation((s: string) => void lines.push(s));
    const code = await main(['score', '--model', join(golden, 'model.avro'), '--ads', join(golden, 'ads.jsonl'), '--requests', join(golden, 'requests.jsonl'), '--out', out, '--top', '3']);
    spy.mockRestore();
    expect(code).toBe(0);
    const ranked = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { ranked: { score: number }[]; substituted: string[] });
    expect(ranked).toHaveLength(40);
    for (const r of ranked) {
      expect(r.ranked).toHaveLength(3);
      expect(r.ranked[0]!.score).toBeGreaterThanOrEqual(r.ranked[1]!.score);
      expect(r.substituted).toEqual([]);
    }
    expect(lines.join('\n')).toMatch(/scored 40 requests \(1000 candidates\)/);
  });

  it('reads ads and requests files that start with a UTF-8 byte order mark like the same files without it', async () => {
    const model = await loadModel(join(golden, 'model.avro'));
    const BOM = Buffer.from([0xef, 0xbb, 0xbf]);
    const marked = (name: string): string => {
      const path = join(dir, `bom-${name}`);
      writeFileSync(path, Buffer.concat([BOM, readFileSync(join(golden, name))]));
      return path;
    };
    const ads = await readAds(join(golden, 'ads.jsonl'), model);
    expect(ads.length).toBeGreaterThan(0);
    expect(await readAds(marked('ads.jsonl'), model)).toEqual(ads);
    const requests = await readScoringRequests(join(golden, 'requests.jsonl'), model);
    expect(requests.length).toBeGreaterThan(0);
    expect(await readScoringRequests(marked('requests.jsonl'), model)).toEqual(requests);
    // Only at the start: a BOM opening the second line is still a JSON error there.
    const late = join(dir, 'late-bom.jsonl');
    const [first = '', second = ''] = readFileSync(join(golden, 'requests.jsonl'), 'utf8').split('\n');
    writeFileSync(late, Buffer.concat([Buffer.from(`${first}\n`), BOM, Buffer.from(`${second}\n`)]));
    await expect(readScoringRequests(late, model)).rejects.toThrow(/late-bom\.jsonl:2: line .* is not valid JSON/);
  });

  it('a bad request line is reported with file, line, field and value', async () => {
    const requests = join(dir, 'bad-requests.jsonl');
    writeFileSync(requests, '{"candidates": ["c1"], "user": [1, 2]}\n{"candidates": [], "user": [1]}\n');
    const errors: string[] = [];
    const spy = vi.spyOn(console, 'error').mockImplementation((s: string) => void errors.push(s));
    const code = await main(['score', '--model', join(golden, 'model.avro'), '--ads', join(golden, 'ads.jsonl'), '--requests', requests]);
    spy.mockRestore();
    expect(code).toBe(2);
    expect(errors.join('')).toMatch(/bad-requests\.jsonl:2: candidates \(array\(length 0\)\) must be a non-empty array of ad ids/);
  });
});

describe('readJsonConfig (the --streaming --config file)', () => {
  it('skips a UTF-8 byte order mark at the start only, and names a file it cannot parse', () => {
    const text = JSON.stringify({ chunkRows: 500, priorVariance: 2 }, null, 2);
    const plain = join(dir, 'config-plain.json');
    const marked = join(dir, 'config-bom.json');
    const late = join(dir, 'config-late.json');
    writeFileSync(plain, text);
    writeFileSync(marked, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)]));
    writeFileSync(late, ` \uFEFF${text}`);
    expect(readJsonConfig(marked)).toEqual(readJsonConfig(plain));
    expect(readJsonConfig(plain)).toEqual({ chunkRows: 500, priorVariance: 2 });
    expect(() => readJsonConfig(late)).toThrow(/config .*config-late\.json is not valid JSON/);
    expect(() => readJsonConfig(join(dir, 'no-such-config.json'))).toThrow(/cannot read config .*no-such-config\.json/);
  });
});

describe('laserkit train --streaming', () => {
  it('trains out of core on svmlight and refuses other formats', async () => {
    const data = join(dir, 'stream.svm');
    const lines: string[] = [];
    const spy = vi.spyOn(console, 'log').mockImplementation((s: string) => void lines.push(s));
    const errors: string[] = [];
    const errSpy = vi.spyOn(console, 'error').mockImplementation((s: string) => void errors.push(s));
    try {
      expect(await main(['generate', '--rows', '3000', '--campaigns', '20', '--user-dimension', '200', '--ad-dimension', '40', '--format', 'svmlight', '--out', data])).toBe(0);
      writeFileSync(join(dir, 'stream.json'), JSON.stringify({ chunkRows: 500 }));
      expect(await main(['train', '--streaming', '--data', data, '--config', join(dir, 'stream.json'), '--out', join(dir, 'stream.avro')])).toBe(0);
      expect(await main(['train', '--streaming', '--data', join(dir, 'train.tsv'), '--out', join(dir, 'x.avro')])).toBe(2);
    } finally {
      spy.mockRestore();
      errSpy.mockRestore();
    }
    expect(lines.join('\n')).toMatch(/at most 500 rows in memory/);
    expect(readFileSync(join(dir, 'stream.avro')).subarray(0, 3).toString()).toBe('Obj');
    expect(errors.join('')).toMatch(/--format \("traffic"\) must be svmlight with --streaming/);
  });
});
