/**
 * Append-only typed arrays for inputs whose length is not known in advance (CSV, JSON rows).
 * Growth is charged to a {@link DecodeBudget} before the larger array is allocated, so a huge
 * input is refused instead of allocating past the decoded-size cap.
 */
import type { DecodeBudget } from './dataset-limits.ts';

type TypedCtor<T> = { new (length: number): T; readonly BYTES_PER_ELEMENT: number };

class Growable<T extends Float64Array | Int32Array | Uint8Array> {
  #data: T;
  #length = 0;
  readonly #ctor: TypedCtor<T>;
  readonly #budget: DecodeBudget | undefined;
  constructor(ctor: TypedCtor<T>, capacity = 1024, budget?: DecodeBudget) {
    this.#ctor = ctor;
    this.#budget = budget;
    budget?.charge(capacity * ctor.BYTES_PER_ELEMENT);
    this.#data = new ctor(capacity);
  }
  get length(): number {
    return this.#length;
  }
  push(value: number): void {
    if (this.#length === this.#data.length) this.#grow(this.#length + 1);
    this.#data[this.#length++] = value;
  }
  /** Append `count` copies of `value`. */
  fill(value: number, count: number): void {
    if (count <= 0) return;
    if (this.#length + count > this.#data.length) this.#grow(this.#length + count);
    this.#data.fill(value, this.#length, this.#length + count);
    this.#length += count;
  }
  #grow(need: number): void {
    const capacity = Math.max(need, this.#data.length * 2, 16);
    this.#budget?.charge((capacity - this.#data.length) * this.#ctor.BYTES_PER_ELEMENT);
    const next = new this.#ctor(capacity);
    next.set(this.#data as never);
    this.#data = next;
  }
  get(i: number): number {
    return this.#data[i] as number;
  }
  /** The pushed values: a view of exactly the pushed length (no copy). */
  finish(): T {
    return this.#data.length === this.#length ? this.#data : (this.#data.subarray(0, this.#length) as T);
  }
}

export class GrowableFloat64 extends Growable<Float64Array> {
  constructor(capacity?: number, budget?: DecodeBudget) {
    super(Float64Array, capacity, budget);
  }
}
export class GrowableInt32 extends Growable<Int32Array> {
  constructor(capacity?: number, budget?: DecodeBudget) {
    super(Int32Array, capacity, budget);
  }
}
export class GrowableUint8 extends Growable<Uint8Array> {
  constructor(capacity?: number, budget?: DecodeBudget) {
    super(Uint8Array, capacity, budget);
  }
}
