/**
 * Time as a port: deadlines, TTLs and timeouts read the clock through this interface so tests can
 * drive time by hand instead of sleeping.
 */
export interface TimerHandle {
  readonly id: number;
}

export interface Clock {
  /** Milliseconds since the Unix epoch (wall time, for timestamps and TTLs). */
  nowMs(): number;
  /** A monotonic reading in milliseconds with sub-millisecond resolution (for deadlines and latency). */
  monotonicMs(): number;
  setTimeout(callback: () => void, delayMs: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

/** The real clock. */
export const systemClock: Clock = (() => {
  const timers = new Map<number, ReturnType<typeof setTimeout>>();
  let nextId = 1;
  return {
    nowMs: () => Date.now(),
    monotonicMs: () => performance.now(),
    setTimeout(callback, delayMs) {
      const id = nextId++;
      const t = setTimeout(() => {
        timers.delete(id);
        callback();
      }, delayMs);
      timers.set(id, t);
      return { id };
    },
    clearTimeout(handle) {
      const t = timers.get(handle.id);
      if (t !== undefined) {
        clearTimeout(t);
        timers.delete(handle.id);
      }
    },
  };
})();

interface PendingTimer {
  readonly id: number;
  readonly dueMs: number;
  readonly seq: number;
  readonly callback: () => void;
}

/** A clock that moves only when told to; timers fire in due order during `advance`. */
export class ManualClock implements Clock {
  private now: number;
  private readonly pending: PendingTimer[] = [];
  private nextId = 1;
  private seq = 0;

  constructor(startMs = 0) {
    this.now = startMs;
  }

  nowMs(): number {
    return this.now;
  }

  monotonicMs(): number {
    return this.now;
  }

  setTimeout(callback: () => void, delayMs: number): TimerHandle {
    const id = this.nextId++;
    this.pending.push({ id, dueMs: this.now + Math.max(0, delayMs), seq: this.seq++, callback });
    return { id };
  }

  clearTimeout(handle: TimerHandle): void {
    const i = this.pending.findIndex((t) => t.id === handle.id);
    if (i >= 0) this.pending.splice(i, 1);
  }

  /** Moves time forward by `ms`, firing every timer that falls due, earliest first. */
  advance(ms: number): void {
    const target = this.now + ms;
    for (;;) {
      let best = -1;
      for (let i = 0; i < this.pending.length; i++) {
        const t = this.pending[i] as PendingTimer;
        const b = best < 0 ? undefined : (this.pending[best] as PendingTimer);
        if (t.dueMs <= target && (b === undefined || t.dueMs < b.dueMs || (t.dueMs === b.dueMs && t.seq < b.seq))) best = i;
      }
      if (best < 0) break;
      const [timer] = this.pending.splice(best, 1) as [PendingTimer];
      this.now = Math.max(this.now, timer.dueMs);
      timer.callback();
    }
    this.now = target;
  }

  /** Number of timers not yet fired. */
  get pendingTimers(): number {
    return this.pending.length;
  }
}

/**
 * `work()`'s result, or a rejection with `timeoutError()` once `timeoutMs` has passed on `clock`;
 * the timer is cleared either way, and a `work` that throws synchronously rejects instead.
 */
export function withTimeout<T>(clock: Clock, timeoutMs: number, work: () => T | Promise<T>, timeoutError: () => Error): Promise<T> {
  let timer: TimerHandle | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = clock.setTimeout(() => reject(timeoutError()), timeoutMs);
  });
  return Promise.race([Promise.resolve().then(work), timeout]).finally(() => {
    if (timer !== undefined) clock.clearTimeout(timer);
  });
}
