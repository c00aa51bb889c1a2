/** Append-only typed arrays for inputs whose length is not known in advance (CSV). */
type TypedCtor<T> = { new (length: number): T };

class Growable<T extends Float64Array | Int32Array | Uint8Array> {
  #data: T;
  #length = 0;
  readonly #ctor: TypedCtor<T>;
  constructor(ctor: TypedCtor<T>, capacity = 1024) {
    this.#ctor = ctor;
    this.#data = new ctor(capacity);
  }
  get length(): number {
    return this.#length;
  }
  push(value: number): void {
    if (this.#length === this.#data.length) {
      const next = new this.#ctor(this.#data.length * 2);
      next.set(this.#data as never);
      this.#data = next;
    }
    this.#data[this.#length++] = value;
  }
  get(i: number): number {
    return this.#data[i] as number;
  }
  /** The pushed values in an exactly sized array. */
  finish(): T {
    return this.#data.length === this.#length ? this.#data : (this.#data.slice(0, this.#length) as T);
  }
}

export class GrowableFloat64 extends Growable<Float64Array> {
  constructor(capacity?: number) {
    super(Float64Array, capacity);
  }
}
export class GrowableInt32 extends Growable<Int32Array> {
  constructor(capacity?: number) {
    super(Int32Array, capacity);
  }
}
export class GrowableUint8 extends Growable<Uint8Array> {
  constructor(capacity?: number) {
    super(Uint8Array, capacity);
  }
}
