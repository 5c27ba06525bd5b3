import { describe, expect, it } from 'vitest';
import { CircuitBreaker, ManualClock } from '../src/index.js';

describe('CircuitBreaker', () => {
  it('opens after the threshold, refuses during the cooldown, lets one probe through, and closes on its success', async () => {
    const clock = new ManualClock();
    const b = new CircuitBreaker({ failureThreshold: 2, cooldownMs: 100, clock });
    let calls = 0;
    const fail = () => {
      calls++;
      return Promise.reject(new Error('down'));
    };
    expect(await b.run(fail, () => 'fallback')).toBe('fallback');
    expect(b.state).toBe('closed');
    expect(await b.run(fail, () => 'fallback')).toBe('fallback');
    expect(b.state).toBe('open');
    expect(await b.run(fail, () => 'fallback')).toBe('fallback');
    expect(calls).toBe(2); // refused without calling
    clock.advance(100);
    expect(b.allows()).toBe(true); // the probe
    expect(b.allows()).toBe(false); // only one at a time
    b.success();
    expect(b.state).toBe('closed');
    expect(await b.run(() => Promise.resolve('ok'), () => 'fallback')).toBe('ok');
  });

  it('a failed probe re-opens the breaker for another cooldown', () => {
    const clock = new ManualClock();
    const b = new CircuitBreaker({ failureThreshold: 1, cooldownMs: 50, clock });
    b.failure();
    expect(b.state).toBe('open');
    clock.advance(50);
    expect(b.allows()).toBe(true);
    b.failure();
    expect(b.state).toBe('open');
    clock.advance(49);
    expect(b.allows()).toBe(false);
    expect(b.opens).toBe(2);
  });

  it('rejects bad options naming the field', () => {
    expect(() => new CircuitBreaker({ failureThreshold: 0 })).toThrow(/failureThreshold/);
    expect(() => new CircuitBreaker({ cooldownMs: -1 })).toThrow(/cooldownMs/);
  });
});
