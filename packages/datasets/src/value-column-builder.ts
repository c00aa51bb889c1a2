import type { Column, ColumnKind } from '@plotbox/sandbox-protocol';
import type { DecodeBudget } from './dataset-limits.ts';
import { GrowableFloat64, GrowableUint8 } from './growable.ts';
import { type InferOptions, columnFromValues } from './infer-columns.ts';
import { INT32_MIN, INT32_MAX } from './parse-cell-text.ts';
import { StringEncoder, stringsToDates } from './column-encoding.ts';

/** A JSON scalar as the streaming JSON reader hands it over. */
export type JsonScalar = number | string | boolean | null;

/**
 * Streaming typing of one column of JSON scalars, with the same rules as
 * {@link columnFromValues}: int32 integers → `int`, other numbers → `number`, booleans → `bool`,
 * strings → `string`; a column mixing kinds becomes `string`, each value written as text
 * (`String(value)`), and a column of only nulls is an empty `string` column. Values live in typed
 * arrays (charged to the budget as they grow), never in a JS array per cell.
 */
export class ValueColumnBuilder {
  readonly name: string;
  readonly #parseDates: boolean;
  readonly #forced: ColumnKind | undefined;
  readonly #budget: DecodeBudget | undefined;
  #rows = 0;
  #nulls = 0;
  /** The kind seen so far; `undefined` while only nulls were seen. */
  #mode: 'number' | 'bool' | 'string' | 'mixed' | undefined;
  #allInt = true;
  #numbers: GrowableFloat64 | undefined;
  #bools: GrowableUint8 | undefined;
  #valid: GrowableUint8 | undefined;
  #strings: StringEncoder | undefined;
  #raw: JsonScalar[] | undefined;

  constructor(name: string, options: InferOptions = {}, budget?: DecodeBudget) {
    this.name = name;
    this.#parseDates = options.parseDates === true;
    this.#forced = options.kinds !== undefined && Object.hasOwn(options.kinds, name) ? options.kinds[name] : undefined;
    this.#budget = budget;
    if (this.#forced !== undefined) this.#raw = [];
  }

  get rows(): number {
    return this.#rows;
  }

  /** The least this column can take per row once stored, from what was read so far (see TextColumnBuilder). */
  get storedWidthAtLeast(): number {
    if (this.#raw !== undefined || this.#mode === undefined) return 0;
    return this.#mode === 'bool' ? 0.125 : 4;
  }

  /** Append `count` nulls (a key that appears only from a later row on). */
  pushNulls(count: number): void {
    for (let i = 0; i < count; i++) this.push(null);
  }

  /** Append one value. */
  push(value: JsonScalar): void {
    this.#rows++;
    if (this.#raw !== undefined) {
      this.#budget?.charge(typeof value === 'string' ? 2 * value.length + 24 : 16);
      this.#raw.push(value);
      return;
    }
    if (value === null) {
      this.#nulls++;
      if (this.#mode === undefined) return;
      if (this.#strings !== undefined) this.#strings.push(null);
      else {
        (this.#numbers ?? this.#bools)?.push(0);
        this.#valid?.push(0);
      }
      return;
    }
    const kind = typeof value === 'number' ? 'number' : typeof value === 'boolean' ? 'bool' : 'string';
    if (this.#mode === undefined) this.#start(kind);
    else if (this.#mode !== kind && this.#mode !== 'mixed') this.#toText();
    if (this.#strings !== undefined) {
      this.#strings.push(this.#mode === 'mixed' ? String(value) : (value as string));
      return;
    }
    if (kind === 'number') {
      const v = value as number;
      (this.#numbers as GrowableFloat64).push(v);
      if (this.#allInt && !(Number.isInteger(v) && v >= INT32_MIN && v <= INT32_MAX)) this.#allInt = false;
    } else (this.#bools as GrowableUint8).push(value === true ? 1 : 0);
    this.#valid?.push(1);
  }

  /** The first non-null value fixes the mode; the nulls before it are filled in. */
  #start(kind: 'number' | 'bool' | 'string'): void {
    const before = this.#rows - 1;
    this.#mode = kind;
    if (kind === 'string') {
      this.#strings = new StringEncoder(Math.max(1024, before + 1), this.#budget);
      this.#strings.pushNulls(before);
      return;
    }
    const capacity = Math.max(1024, before + 1);
    if (kind === 'number') {
      this.#numbers = new GrowableFloat64(capacity, this.#budget);
      this.#numbers.fill(0, before);
    } else {
      this.#bools = new GrowableUint8(capacity, this.#budget);
      this.#bools.fill(0, before);
    }
    this.#valid = new GrowableUint8(capacity, this.#budget);
    this.#valid.fill(0, before);
  }

  /** A second kind: everything so far becomes text, as {@link columnFromValues} writes it. */
  #toText(): void {
    const n = this.#rows - 1;
    const enc = new StringEncoder(Math.max(1024, n + 1), this.#budget);
    if (this.#strings !== undefined) {
      const { dictionary, codes } = this.#strings;
      for (let i = 0; i < n; i++) {
        const c = codes.get(i);
        enc.push(c < 0 ? null : (dictionary[c] as string));
      }
    } else {
      const valid = this.#valid as GrowableUint8;
      for (let i = 0; i < n; i++) {
        if (valid.get(i) === 0) enc.push(null);
        else if (this.#numbers !== undefined) enc.push(String(this.#numbers.get(i)));
        else enc.push((this.#bools as GrowableUint8).get(i) === 1 ? 'true' : 'false');
      }
    }
    this.#strings = enc;
    this.#numbers = undefined;
    this.#bools = undefined;
    this.#valid = undefined;
    this.#mode = 'mixed';
  }

  /** The typed column. */
  finish(): Column {
    const name = this.name;
    if (this.#raw !== undefined) return columnFromValues(name, this.#raw, { kinds: { [name]: this.#forced as ColumnKind } });
    if (this.#mode === undefined) {
      this.#budget?.charge(this.#rows * 4);
      return { name, kind: 'string', dictionary: [], codes: new Int32Array(this.#rows).fill(-1) };
    }
    if (this.#strings !== undefined) {
      const column = this.#strings.finish(name) as Column & { kind: 'string' };
      return this.#mode === 'string' && this.#parseDates ? (stringsToDates(column, this.#budget) ?? column) : column;
    }
    const valid = this.#nulls > 0 ? (this.#valid as GrowableUint8).finish() : undefined;
    const extra = valid === undefined ? {} : { valid };
    if (this.#bools !== undefined) return { name, kind: 'bool', values: this.#bools.finish(), ...extra };
    const values = (this.#numbers as GrowableFloat64).finish();
    if (!this.#allInt) return { name, kind: 'number', values, ...extra };
    this.#budget?.charge(values.length * 4);
    return { name, kind: 'int', values: Int32Array.from(values), ...extra };
  }
}
