import type { Clock } from './clock.js';
import { systemClock } from './clock.js';
import { checkInteger, checkKnownKeys, checkPositive } from './validate.js';

export type BreakerState = 'closed' | 'open' | 'half-open';

export interface CircuitBreakerOptions {
  /** Consecutive failures that open the breaker. @default 3 */
  readonly failureThreshold?: number;
  /** How long an open breaker refuses calls before letting one probe through. @default 1000 */
  readonly cooldownMs?: number;
  /** Time source for the cooldown. @default systemClock */
  readonly clock?: Clock;
}

export const DEFAULT_CIRCUIT_BREAKER_OPTIONS = Object.freeze({ failureThreshold: 3, cooldownMs: 1000 });

/**
 * A backend guard (the classic closed → open → half-open cycle): after `failureThreshold`
 * consecutive failures callers stop waiting on a dead service and fall back at once; after
 * `cooldownMs` one probe is let through, and its success closes the breaker again.
 */
export class CircuitBreaker {
  private readonly failureThreshold: number;
  private readonly cooldownMs: number;
  private readonly clock: Clock;
  private failures = 0;
  private openedAtMs = 0;
  private probing = false;
  private current: BreakerState = 'closed';
  /** Times the breaker opened, for metrics. */
  opens = 0;

  constructor(options: CircuitBreakerOptions = {}) {
    checkKnownKeys('options', options, ['failureThreshold', 'cooldownMs', 'clock']);
    this.failureThreshold = checkInteger('failureThreshold', options.failureThreshold ?? DEFAULT_CIRCUIT_BREAKER_OPTIONS.failureThreshold, 1);
    this.cooldownMs = checkPositive('cooldownMs', options.cooldownMs ?? DEFAULT_CIRCUIT_BREAKER_OPTIONS.cooldownMs);
    this.clock = options.clock ?? systemClock;
  }

  get state(): BreakerState {
    return this.current;
  }

  /** Whether a call may go to the backend now; in half-open, only one probe at a time. */
  allows(): boolean {
    if (this.current === 'closed') return true;
    if (this.current === 'open' && this.clock.monotonicMs() - this.openedAtMs >= this.cooldownMs) this.current = 'half-open';
    if (this.current === 'half-open' && !this.probing) {
      this.probing = true;
      return true;
    }
    return false;
  }

  success(): void {
    this.failures = 0;
    this.probing = false;
    this.current = 'closed';
  }

  failure(): void {
    this.probing = false;
    this.failures++;
    if (this.current === 'half-open' || this.failures >= this.failureThreshold) {
      if (this.current !== 'open') this.opens++;
      this.current = 'open';
      this.openedAtMs = this.clock.monotonicMs();
    }
  }

  /** Runs `call` if allowed; records its outcome. Returns `fallback()` when refused or failed. */
  async run<T>(call: () => Promise<T>, fallback: (error: unknown) => T): Promise<T> {
    if (!this.allows()) return fallback(undefined);
    try {
      const value = await call();
      this.success();
      return value;
    } catch (e) {
      this.failure();
      return fallback(e);
    }
  }
}
