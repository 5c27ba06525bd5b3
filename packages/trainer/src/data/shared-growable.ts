import { invalidArgument } from '@laserkit/core';

/** The typed arrays a reader appends to. */
export type GrowableKind = Int32Array | Float32Array | Float64Array;

type TypedArrayConstructor<T extends GrowableKind> = {
  new (buffer: SharedArrayBuffer, byteOffset: number, length: number): T;
  readonly BYTES_PER_ELEMENT: number;
};

/** A growable SharedArrayBuffer (ES2024; the compile target's lib predates it). */
interface GrowableBuffer extends SharedArrayBuffer {
  readonly growable: boolean;
  readonly maxByteLength: number;
  grow(newByteLength: number): void;
}

const GrowableSharedArrayBuffer = SharedArrayBuffer as unknown as new (byteLength: number, options?: { readonly maxByteLength: number }) => GrowableBuffer;

/** V8 caps a growable SharedArrayBuffer's maximum at 4 GiB. */
const MAX_GROWABLE_BYTES = 2 ** 32;
const INITIAL_LENGTH = 1024;

/**
 * An append-only typed array on a SharedArrayBuffer, so that worker threads can read what a
 * reader builds without a copy (ParallelGlmObjective uses arrays already on shared memory as they
 * are).
 *
 * It grows in place: the buffer is a growable SharedArrayBuffer whose maximum (`maxLength`, a
 * bound the caller knows, such as the file size) is only reserved address space, so neither the
 * reservation nor a doubling copies or touches memory that is not written. Past V8's 4 GiB cap, or
 * past `maxLength`, it falls back to copying into a larger buffer. `view()` is a fixed-length view
 * of exactly `length` elements, on the same memory.
 */
export class SharedGrowable<T extends GrowableKind> {
  /** Elements written. */
  length = 0;
  /** The current backing array (capacity >= length); hot loops write it directly, after `reserve`. */
  data: T;
  private buffer: GrowableBuffer;
  private readonly ctor: TypedArrayConstructor<T>;

  constructor(ctor: TypedArrayConstructor<T>, maxLength: number) {
    if (!Number.isInteger(maxLength) || maxLength < 0) throw invalidArgument('maxLength', maxLength, 'must be a non-negative integer');
    this.ctor = ctor;
    const bpe = ctor.BYTES_PER_ELEMENT;
    const maxBytes = Math.min(Math.max(maxLength, INITIAL_LENGTH) * bpe, Math.floor(MAX_GROWABLE_BYTES / bpe) * bpe);
    this.buffer = new GrowableSharedArrayBuffer(INITIAL_LENGTH * bpe, { maxByteLength: maxBytes });
    this.data = new ctor(this.buffer, 0, INITIAL_LENGTH);
  }

  get capacity(): number {
    return this.data.length;
  }

  /** Makes room for `length + extra` elements. */
  reserve(extra: number): T {
    const needed = this.length + extra;
    if (needed > this.data.length) this.growTo(needed);
    return this.data;
  }

  push(v: number): void {
    if (this.length === this.data.length) this.growTo(this.length + 1);
    this.data[this.length++] = v;
  }

  /** Exactly the elements written, on the shared memory (not a copy). */
  view(): T {
    return new this.ctor(this.buffer, 0, this.length);
  }

  private growTo(needed: number): void {
    const bpe = this.ctor.BYTES_PER_ELEMENT;
    const target = Math.max(needed, this.data.length * 2);
    if (this.buffer.growable && target * bpe <= this.buffer.maxByteLength) {
      this.buffer.grow(target * bpe);
      this.data = new this.ctor(this.buffer, 0, target);
      return;
    }
    if (this.buffer.growable && needed * bpe <= this.buffer.maxByteLength) {
      this.buffer.grow(this.buffer.maxByteLength);
      this.data = new this.ctor(this.buffer, 0, this.buffer.maxByteLength / bpe);
      return;
    }
    // Beyond the reservation: copy into a fixed buffer twice the size.
    const next = new GrowableSharedArrayBuffer(target * bpe);
    const data = new this.ctor(next, 0, target);
    data.set(this.data.subarray(0, this.length));
    this.buffer = next;
    this.data = data;
  }
}
