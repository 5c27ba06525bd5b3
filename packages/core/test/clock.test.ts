import { describe, expect, it } from 'vitest';
import { ManualClock, systemClock } from '../src/clock.js';

describe('clocks', () => {
  it('a manual clock fires timers in due order, ties in creation order, only when advanced', () => {
    const clock = new ManualClock(1000);
    const fired: string[] = [];
    clock.setTimeout(() => fired.push(`b@${clock.nowMs()}`), 20);
    clock.setTimeout(() => fired.push(`a@${clock.nowMs()}`), 10);
    clock.setTimeout(() => fired.push(`a2@${clock.nowMs()}`), 10);
    const cancelled = clock.setTimeout(() => fired.push('never'), 5);
    clock.clearTimeout(cancelled);
    clock.advance(9);
    expect(fired).toEqual([]);
    clock.advance(100);
    expect(fired).toEqual(['a@1010', 'a2@1010', 'b@1020']);
    expect(clock.nowMs()).toBe(1109);
    expect(clock.pendingTimers).toBe(0);
  });

  it('a timer set inside a callback fires in the same advance when due', () => {
    const clock = new ManualClock();
    const fired: number[] = [];
    clock.setTimeout(() => clock.setTimeout(() => fired.push(clock.nowMs()), 5), 5);
    clock.advance(10);
    expect(fired).toEqual([10]);
  });

  it('the system clock fires and can be cleared', async () => {
    const t0 = systemClock.monotonicMs();
    await new Promise<void>((resolve) => systemClock.setTimeout(resolve, 5));
    expect(systemClock.monotonicMs() - t0).toBeGreaterThanOrEqual(4);
    let fired = false;
    const h = systemClock.setTimeout(() => (fired = true), 1);
    systemClock.clearTimeout(h);
    await new Promise((r) => setTimeout(r, 10));
    expect(fired).toBe(false);
  });
});
