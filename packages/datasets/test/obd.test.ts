import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadObd, obdClickRate, OBD_DEFAULT_DIR } from '../src/obd.js';

const tmp = mkdtempSync(join(tmpdir(), 'laserkit-obd-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('Open Bandit Dataset loader', () => {
  it('loads each policy and campaign with the documented shape', () => {
    for (const [campaign, items] of [['men', 34], ['women', 46]] as const) {
      const random = loadObd({ policy: 'random', campaign });
      expect(random.rows).toBe(10_000);
      expect(random.items).toBe(items);
      expect(random.affinity.length).toBe(10_000 * items);
      // Uniform random over items: the logged propensity is 1/items on every row (README).
      for (const p of random.propensity) expect(p).toBeCloseTo(1 / items, 9);
      for (const i of random.itemId) expect(i).toBeLessThan(items);
      const bts = loadObd({ policy: 'bts', campaign });
      expect(bts.rows).toBe(10_000);
      expect(Math.min(...bts.propensity)).toBeLessThan(1e-3);
      expect(Math.max(...bts.propensity)).toBeGreaterThan(0.5);
      // Click rates of a recommendation widget: well under 1%, but not zero.
      expect(obdClickRate(bts)).toBeGreaterThan(0.001);
      expect(obdClickRate(bts)).toBeLessThan(0.02);
    }
  });

  it('reads a log file that starts with a UTF-8 byte order mark like the same file without it', () => {
    const dir = join(tmp, 'obd-bom');
    mkdirSync(join(dir, 'random', 'men'), { recursive: true });
    const source = join(OBD_DEFAULT_DIR, 'random', 'men');
    copyFileSync(join(source, 'item_context.csv'), join(dir, 'random', 'men', 'item_context.csv'));
    writeFileSync(join(dir, 'random', 'men', 'men.csv'), Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), readFileSync(join(source, 'men.csv'))]));
    const withBom = loadObd({ policy: 'random', campaign: 'men', dir });
    const plain = loadObd({ policy: 'random', campaign: 'men' });
    expect(withBom.rows).toBe(plain.rows);
    expect(Array.from(withBom.click)).toEqual(Array.from(plain.click));
    expect(Array.from(withBom.propensity)).toEqual(Array.from(plain.propensity));
  });

  it('reports a bad cell with file, line, field and constraint', () => {
    const dir = join(tmp, 'obd');
    mkdirSync(join(dir, 'random', 'men'), { recursive: true });
    copyFileSync(join(OBD_DEFAULT_DIR, 'random', 'men', 'item_context.csv'), join(dir, 'random', 'men', 'item_context.csv'));
    const affinity = Array.from({ length: 34 }, (_, i) => `user-item_affinity_${i}`).join(',');
    const header = `,timestamp,item_id,position,click,propensity_score,user_feature_0,user_feature_1,user_feature_2,user_feature_3,${affinity}`;
    const row = (pos: string): string => `0,2019-11-24,3,${pos},0,0.0294,a,b,c,d,${new Array(34).fill('0').join(',')}`;
    writeFileSync(join(dir, 'random', 'men', 'men.csv'), `${header}\n${row('1')}\n${row('4')}\n`);
    expect(() => loadObd({ policy: 'random', campaign: 'men', dir })).toThrow(/men\.csv:3: position \("4"\) must be 1, 2 or 3/);
    expect(() => loadObd({ policy: 'greedy' as never, campaign: 'men' })).toThrow('policy ("greedy") must be one of "random", "bts"');
  });
});
