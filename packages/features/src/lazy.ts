/**
 * A keyed lazy value. `key` identifies the content and depends only on request info and the
 * input keys; `get()` computes the content and is only called on a cache miss.
 */
export interface Lazy<T> {
  readonly key: string;
  get(): T | Promise<T>;
}

/**
 * A Lazy whose thunk runs at most once while it succeeds: later get() calls (and concurrent ones)
 * share the value or the pending promise. A rejected promise is forgotten, so a retry refetches.
 */
export class MemoLazy<T> implements Lazy<T> {
  readonly key: string;
  private thunk: (() => T | Promise<T>) | undefined;
  private state: { readonly value: T } | undefined;
  private pending: Promise<T> | undefined;

  constructor(key: string, thunk: () => T | Promise<T>) {
    this.key = key;
    this.thunk = thunk;
  }

  get(): T | Promise<T> {
    if (this.state !== undefined) return this.state.value;
    if (this.pending !== undefined) return this.pending;
    const thunk = this.thunk as () => T | Promise<T>;
    const out = thunk();
    if (!(out instanceof Promise)) {
      this.settle(out);
      return out;
    }
    const pending = out.then(
      (value) => {
        this.settle(value);
        return value;
      },
      (e: unknown) => {
        this.pending = undefined;
        throw e;
      },
    );
    this.pending = pending;
    return pending;
  }

  /** True once get() has produced a value. */
  get isEvaluated(): boolean {
    return this.state !== undefined;
  }

  private settle(value: T): void {
    this.state = { value };
    this.pending = undefined;
    // The inputs captured by the thunk are no longer needed.
    this.thunk = undefined;
  }
}

/** A Lazy around an already known value (for namespaces without an assembler, for example). */
export function settledLazy<T>(key: string, value: T): Lazy<T> {
  return { key, get: () => value };
}
