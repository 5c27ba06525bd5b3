import { describe, expect, it } from 'vitest';
import { SeededRng } from '@laserkit/core';
import { ExploitOnlyPolicy } from '../src/baselines.js';
import { TrafficRamp } from '../src/ramp.js';
import { ThompsonSamplingPolicy } from '../src/thompson.js';
import { randomCandidates } from './helpers.js';

describe('TrafficRamp', () => {
  const arms = [
    { name: 'control', policy: new ExploitOnlyPolicy(), percent: 92.5 },
    { name: 'thompson', policy: new ThompsonSamplingPolicy(), percent: 7.5 },
  ];

  it('assigns users by hash: stable, close to the shares, and reshuffled by a new salt', () => {
    const a = new TrafficRamp({ arms });
    const b = new TrafficRamp({ arms });
    const c = new TrafficRamp({ arms, salt: 1 });
    const users = 40_000;
    let thompson = 0;
    let moved = 0;
    for (let u = 0; u < users; u++) {
      const id = `member:${u}`;
      const arm = a.armOf(id).name;
      expect(b.armOf(id).name).toBe(arm);
      if (arm === 'thompson') thompson++;
      if (c.armOf(id).name !== arm) moved++;
    }
    expect(Math.abs(thompson / users - 0.075)).toBeLessThan(4.5 * Math.sqrt((0.075 * 0.925) / users));
    // Independent assignment under another salt: about 2·p·(1-p) of users change arm.
    expect(Math.abs(moved / users - 2 * 0.075 * 0.925)).toBeLessThan(0.01);
  });

  it('records the arm on each decision and decides with that arm’s policy', () => {
    const ramp = new TrafficRamp({ arms });
    const cands = randomCandidates(2, 30);
    const rng = new SeededRng(1);
    for (let u = 0; u < 200; u++) {
      const d = ramp.decide(`u${u}`, cands, { k: 1, rng });
      expect(d.arm).toBe(ramp.armOf(`u${u}`).name);
      expect(d.policy).toBe(d.arm === 'control' ? 'exploit' : 'thompson');
    }
  });

  it('rejects shares that do not sum to 100 and duplicate names', () => {
    expect(() => new TrafficRamp({ arms: [{ ...arms[0]!, percent: 90 }, arms[1]!] })).toThrow(/sum to 100/);
    expect(() => new TrafficRamp({ arms: [arms[0]!, { ...arms[1]!, name: 'control' }] })).toThrow(/unique/);
  });

  it('accepts shares that only sum to 100 once added up (thirds, 12.345 + 87.655) and refuses a share too small to get a bucket', () => {
    const policy = arms[0]!.policy;
    const thirds = new TrafficRamp({ arms: ['a', 'b', 'c'].map((name) => ({ name, policy, percent: 100 / 3 })) });
    const counts = new Map<string, number>();
    for (let u = 0; u < 30_000; u++) counts.set(thirds.armOf(`user-${u}`).name, (counts.get(thirds.armOf(`user-${u}`).name) ?? 0) + 1);
    for (const name of ['a', 'b', 'c']) expect(Math.abs((counts.get(name) ?? 0) / 30_000 - 1 / 3)).toBeLessThan(0.02);
    expect(() => new TrafficRamp({ arms: [{ name: 'x', policy, percent: 12.345 }, { name: 'y', policy, percent: 87.655 }] })).not.toThrow();
    expect(() => new TrafficRamp({ arms: [{ name: 'x', policy, percent: 0.004 }, { name: 'y', policy, percent: 99.996 }] })).toThrow(/arms\[0\]\.percent \(0\.004\) must be at least 0\.01/);
  });
});
