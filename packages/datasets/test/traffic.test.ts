import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createTraffic, sigmoid, type TrueModel } from '../src/traffic.js';
import { readTrafficFile } from '../src/traffic-file.js';
import { writeTraffic } from '../src/generate.js';
import { resolveTrafficOptions } from '../src/traffic-options.js';

const dir = mkdtempSync(join(tmpdir(), 'laserkit-traffic-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const small = { rows: 20_000, users: 2_000, campaigns: 200, userDimension: 1_000, adDimension: 300 } as const;

function sha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/** The true logit computed the slow way, from dense matrices, as a reference for the factorized form. */
function bruteForceLogit(t: TrueModel, x: ArrayLike<number>, c: ArrayLike<number>, z: ArrayLike<number>, j: number): number {
  const k = t.crossRank;
  const dense = (idx: ArrayLike<number>, n: number): Float64Array => {
    const v = new Float64Array(n);
    for (let i = 0; i < idx.length; i++) v[idx[i] as number] = 1;
    return v;
  };
  const xv = dense(x, t.userDimension);
  const cv = dense(c, t.adDimension);
  const zv = dense(z, t.contextDimension);
  const bilinear = (a: Float64Array, U: Float64Array, b: Float64Array, V: Float64Array): number => {
    // a' (U Vᵀ) b = Σ_p Σ_q a_p b_q Σ_r U[p,r] V[q,r]
    let s = 0;
    for (let p = 0; p < a.length; p++) {
      if (a[p] === 0) continue;
      for (let q = 0; q < b.length; q++) {
        if (b[q] === 0) continue;
        for (let r = 0; r < k; r++) s += a[p]! * b[q]! * U[p * k + r]! * V[q * k + r]!;
      }
    }
    return s;
  };
  let s = t.intercept + t.delta[j]!;
  for (let p = 0; p < xv.length; p++) s += xv[p]! * t.alpha[p]!;
  for (let q = 0; q < cv.length; q++) s += cv[q]! * t.beta[q]!;
  for (let q = 0; q < zv.length; q++) s += zv[q]! * (t.gamma[q]! + t.xi[j * t.contextDimension + q]!);
  for (let p = 0; p < t.warmUserFeatures; p++) s += xv[p]! * t.eta[j * t.warmUserFeatures + p]!;
  s += bilinear(xv, t.userAdU, cv, t.userAdV);
  s += bilinear(xv, t.userContextU, zv, t.userContextV);
  s += bilinear(zv, t.contextAdU, cv, t.contextAdV);
  return s;
}

describe('LASER-shaped traffic', () => {
  it('same seed gives identical bytes; another seed gives other bytes', () => {
    const a = join(dir, 'a.tsv');
    const b = join(dir, 'b.tsv');
    const c = join(dir, 'c.tsv');
    writeTraffic({ ...small, seed: 7 }, { path: a });
    writeTraffic({ ...small, seed: 7 }, { path: b });
    writeTraffic({ ...small, seed: 8 }, { path: c });
    expect(sha256(a)).toBe(sha256(b));
    expect(sha256(a)).not.toBe(sha256(c));
  });

  it('p_true is σ of the LASER logit, checked against a dense brute-force computation', () => {
    const traffic = createTraffic({ ...small, rows: 50, seed: 3 });
    for (const row of traffic.rows()) {
      const s = bruteForceLogit(traffic.truth, row.userFeatures, row.adFeatures, row.contextFeatures, row.campaign);
      expect(row.pTrue).toBeCloseTo(sigmoid(s), 12);
    }
  });

  it('every term of the truth carries signal (no block is identically zero)', () => {
    const t = createTraffic(small).truth;
    for (const block of [t.alpha, t.beta, t.gamma, t.userAdU, t.userAdV, t.userContextU, t.userContextV, t.contextAdU, t.contextAdV, t.delta, t.eta, t.xi]) {
      expect(block.some((v) => v !== 0)).toBe(true);
    }
  });

  it('click rates: overall and per campaign between 0.5% and 5% (expected rates, with calibration slack)', () => {
    const traffic = createTraffic({ ...small, rows: 200_000, seed: 11 });
    const imp = new Float64Array(small.campaigns);
    const expected = new Float64Array(small.campaigns);
    let clicks = 0;
    for (const row of traffic.rows()) {
      imp[row.campaign]! += 1;
      expected[row.campaign]! += row.pTrue;
      clicks += row.label;
    }
    const ctr = clicks / 200_000;
    expect(ctr).toBeGreaterThan(0.005);
    expect(ctr).toBeLessThan(0.05);
    let checked = 0;
    for (let j = 0; j < small.campaigns; j++) {
      if (imp[j]! < 500) continue;
      checked++;
      // δ_j is calibrated on a 500-draw sample of the traffic, so allow a little slack either side.
      expect(expected[j]! / imp[j]!).toBeGreaterThan(0.004);
      expect(expected[j]! / imp[j]!).toBeLessThan(0.06);
    }
    expect(checked).toBeGreaterThan(20);
    // Calibration targets themselves are within the configured range.
    for (const target of traffic.population.campaignTargetCtr) {
      expect(target).toBeGreaterThanOrEqual(0.005);
      expect(target).toBeLessThanOrEqual(0.05);
    }
  });

  it('traffic is skewed: the busiest campaign gets far more than the median, and some campaigns are cold', () => {
    const summary = writeTraffic({ ...small, rows: 50_000 }, { path: join(dir, 'skew.tsv') });
    const shares = Array.from(createTraffic(small).population.campaignShare).sort((a, b) => b - a);
    expect(shares.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    expect(shares[0]! / shares[Math.floor(shares.length / 2)]!).toBeGreaterThan(50);
    expect(summary.warmness.cold.campaigns).toBeGreaterThan(0);
    expect(summary.warmness.hot.campaigns + summary.warmness.warm.campaigns).toBeGreaterThan(0);
  });

  it('rows stream out of the file exactly as they were generated', async () => {
    const path = join(dir, 'round-trip.tsv');
    writeTraffic({ ...small, rows: 3_000, seed: 5 }, { path });
    const generated = [...createTraffic({ ...small, rows: 3_000, seed: 5 }).rows()];
    let i = 0;
    let header: unknown;
    for await (const row of readTrafficFile(path, { onHeader: (h) => (header = h) })) {
      const g = generated[i++]!;
      expect(row.label).toBe(g.label);
      expect(row.campaign).toBe(g.campaign);
      expect(row.user).toBe(g.user);
      expect(row.pTrue).toBe(g.pTrue);
      expect(Array.from(row.userFeatures)).toEqual(Array.from(g.userFeatures));
      expect(Array.from(row.adFeatures)).toEqual(Array.from(g.adFeatures));
      expect(Array.from(row.contextFeatures)).toEqual(Array.from(g.contextFeatures));
    }
    expect(i).toBe(3_000);
    expect(header).toMatchObject({ version: 1, rows: 3_000, dimensions: { user: 1_000, ad: 300, context: 39 } });
  });

  it('a traffic file that starts with a UTF-8 byte order mark reads like the same file without it', async () => {
    const path = join(dir, 'plain.tsv');
    const bom = join(dir, 'bom.tsv');
    writeTraffic({ ...small, rows: 200, seed: 6 }, { path });
    writeFileSync(bom, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), readFileSync(path)]));
    const read = async (p: string): Promise<unknown[]> => {
      const rows: unknown[] = [];
      for await (const row of readTrafficFile(p)) rows.push({ ...row, userFeatures: Array.from(row.userFeatures), adFeatures: Array.from(row.adFeatures), contextFeatures: Array.from(row.contextFeatures) });
      return rows;
    };
    const withBom = await read(bom);
    expect(withBom).toHaveLength(200);
    expect(withBom).toEqual(await read(path));
  });

  it('svmlight output has 1-based indices over user | ad | context and the entity ids in a comment', () => {
    const path = join(dir, 'out.svm');
    writeTraffic({ ...small, rows: 10, seed: 2 }, { path, format: 'svmlight' });
    const first = [...createTraffic({ ...small, rows: 10, seed: 2 }).rows()][0]!;
    const line = readFileSync(path, 'utf8').split('\n')[0]!;
    const [body, comment] = line.split(' # ');
    const tokens = body!.split(' ');
    expect(tokens[0]).toBe(String(first.label));
    const idx = tokens.slice(1).map((t) => Number(t.split(':')[0]));
    expect(idx).toEqual([
      ...Array.from(first.userFeatures, (f) => f + 1),
      ...Array.from(first.adFeatures, (f) => f + 1 + 1_000),
      ...Array.from(first.contextFeatures, (f) => f + 1 + 1_300),
    ]);
    expect(comment).toBe(`campaign=${first.campaign} user=${first.user}`);
  });

  it('writes the true model beside the data', () => {
    const truthPath = join(dir, 'truth.json');
    writeTraffic({ ...small, rows: 10 }, { path: join(dir, 't.tsv'), truthPath });
    const json = JSON.parse(readFileSync(truthPath, 'utf8')) as { truth: { alpha: number[]; delta: number[] } };
    const t = createTraffic({ ...small, rows: 10 }).truth;
    expect(json.truth.alpha).toEqual(Array.from(t.alpha));
    expect(json.truth.delta).toEqual(Array.from(t.delta));
  });

  it('rejects bad options naming the field, the value and the constraint', () => {
    expect(() => resolveTrafficOptions({ rows: -1 })).toThrow('rows (-1) must be an integer in [0, 2147483647]');
    expect(() => resolveTrafficOptions({ ctrMin: 0.1, ctrMax: 0.05 })).toThrow('ctrMax (0.05) must be >= ctrMin (0.1)');
    expect(() => resolveTrafficOptions({ contextFields: [3, 0] })).toThrow('contextFields[1] (0) must be an integer in [1, 1000000]');
    expect(() => resolveTrafficOptions({ termScales: { usr: 1 } as never })).toThrow('termScales.usr (1) is not a known option');
    expect(() => resolveTrafficOptions({ seeed: 1 } as never)).toThrow('options.seeed (1) is not a known option');
    expect(() => writeTraffic({}, { path: join(dir, 'x'), format: 'csv' as never })).toThrow('output.format ("csv") must be one of "traffic", "svmlight"');
  });

  it('any valid options produce rows that respect the declared dimensions', () => {
    fc.assert(
      fc.property(
        fc.record({
          seed: fc.integer({ min: 0, max: 1000 }),
          users: fc.integer({ min: 1, max: 50 }),
          campaigns: fc.integer({ min: 1, max: 20 }),
          userDimension: fc.integer({ min: 4, max: 100 }),
          adDimension: fc.integer({ min: 4, max: 100 }),
          crossRank: fc.integer({ min: 0, max: 3 }),
        }),
        (o) => {
          const traffic = createTraffic({ ...o, rows: 30, activeUserFeatures: 2, activeAdFeatures: 2, warmUserFeatures: 3 });
          for (const row of traffic.rows()) {
            expect(row.user).toBeLessThan(o.users);
            expect(row.campaign).toBeLessThan(o.campaigns);
            expect(row.pTrue).toBeGreaterThan(0);
            expect(row.pTrue).toBeLessThan(1);
            for (const f of row.userFeatures) expect(f).toBeLessThan(o.userDimension);
            for (const f of row.adFeatures) expect(f).toBeLessThan(o.adDimension);
          }
        },
      ),
      { numRuns: 30 },
    );
  });
});

describe('traffic file errors', () => {
  const header = '#laserkit-traffic 1 {"dimensions":{"user":10,"ad":5,"context":3},"campaigns":2,"users":2,"rows":1,"generator":null}';
  const read = async (body: string): Promise<unknown> => {
    const path = join(dir, `bad-${Math.abs(body.length)}.tsv`);
    writeFileSync(path, `${header}\n${body}\n`);
    for await (const _ of readTrafficFile(path)) void _;
    return path;
  };

  it.each([
    ['2\t0\t0\t0.1\t1\t1\t1', 'label ("2") must be 0 or 1', 2],
    ['1\t0\t0\t1.5\t1\t1\t1', 'p_true ("1.5") must be a probability in [0, 1]', 2],
    ['1\t0\t0\t0.5\t1 12\t1\t1', 'user_features[1] ("12") must be an integer in [0, 9]', 2],
    ['1\t0\t0\t0.5\t3 2\t1\t1', 'user_features[1] ("2") must be greater than the previous index (3)', 2],
    ['1\t0\t0\t0.5\t1\t1', 'line ("1\\t0\\t0\\t0.5\\t1\\t1") must have 7 tab-separated fields, found 6', 2],
    ['0\t0\t0\t0.5\t1\t1\t1\n0\t-1\t0\t0.5\t1\t1\t1', 'campaign ("-1") must be a non-negative integer', 3],
  ])('%j -> %s', async (body, message, line) => {
    await expect(read(body)).rejects.toThrow(`:${line}: ${message}`);
  });

  it('names the header when it is missing', async () => {
    const path = join(dir, 'no-header.tsv');
    writeFileSync(path, '1\t0\t0\t0.5\t1\t1\t1\n');
    await expect((async () => { for await (const _ of readTrafficFile(path)) void _; })()).rejects.toThrow(`${path}:1: header`);
  });
});
