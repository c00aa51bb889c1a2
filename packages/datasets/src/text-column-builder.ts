import type { Column, ColumnKind } from '@plotbox/sandbox-protocol';
import type { DecodeBudget } from './dataset-limits.ts';
import { GrowableFloat64, GrowableUint8 } from './growable.ts';
import { type InferOptions, columnFromValues } from './infer-columns.ts';
import { INT32_MIN, INT32_MAX, NOT_INT, MAY_DIFFER, scanDecimal } from './parse-cell-text.ts';
import { StringEncoder, stringsToDates, textToBool } from './column-encoding.ts';

/**
 * Streaming typing of one CSV column from its text cells, without keeping a string per cell:
 * numeric text is kept as Float64 (with the rare text that does not round-trip, like `1.50`,
 * remembered by row) until the first non-numeric cell, when the column becomes a dictionary.
 * At the end, a dictionary of only `true`/`false` becomes `bool` and, with `parseDates`, one of
 * only ISO dates becomes `date`.
 */
export class TextColumnBuilder {
  readonly name: string;
  readonly #parseDates: boolean;
  readonly #forced: ColumnKind | undefined;
  readonly #budget: DecodeBudget | undefined;
  #rows = 0;
  // Numeric mode.
  #numbers: GrowableFloat64 | undefined;
  #valid: GrowableUint8;
  #nulls = 0;
  #allInt = true;
  #texts = new Map<number, string>();
  // String mode.
  #strings: StringEncoder | undefined;
  // Forced kinds keep the raw cells.
  #raw: (string | null)[] | undefined;

  constructor(name: string, options: InferOptions = {}, budget?: DecodeBudget) {
    this.name = name;
    this.#parseDates = options.parseDates === true;
    this.#forced = options.kinds !== undefined && Object.hasOwn(options.kinds, name) ? options.kinds[name] : undefined;
    this.#budget = budget;
    this.#numbers = new GrowableFloat64(1024, budget);
    this.#valid = new GrowableUint8(1024, budget);
    if (this.#forced !== undefined) {
      this.#raw = [];
      this.#numbers = undefined;
    }
  }

  /**
   * The least this column can take per row once stored, from what was read so far: nothing while
   * every cell is null, a bit while it may still become `bool`, else 4 bytes (`int`, codes) or 8.
   */
  get storedWidthAtLeast(): number {
    if (this.#raw !== undefined) return 0;
    if (this.#strings !== undefined) return this.#strings.dictionary.length <= 6 ? 0.125 : 4;
    return this.#nulls === this.#rows ? 0 : 4;
  }

  /** Append one cell; `null` is a null. */
  push(text: string | null): void {
    const row = this.#rows++;
    if (this.#raw !== undefined) {
      this.#budget?.charge(text === null ? 8 : 2 * text.length + 24);
      this.#raw.push(text);
      return;
    }
    if (this.#strings !== undefined) {
      this.#strings.push(text);
      return;
    }
    const numbers = this.#numbers as GrowableFloat64;
    if (text === null) {
      numbers.push(0);
      this.#valid.push(0);
      this.#nulls++;
      return;
    }
    const flags = scanDecimal(text);
    const value = flags < 0 ? NaN : Number(text);
    if (!Number.isFinite(value)) {
      this.#toStrings();
      (this.#strings as unknown as StringEncoder).push(text);
      return;
    }
    numbers.push(value);
    this.#valid.push(1);
    if ((flags & MAY_DIFFER) !== 0 && String(value) !== text) this.#texts.set(row, text);
    if (this.#allInt && ((flags & NOT_INT) !== 0 || value < INT32_MIN || value > INT32_MAX)) this.#allInt = false;
  }

  #toStrings(): void {
    const numbers = this.#numbers as GrowableFloat64;
    const enc = new StringEncoder(Math.max(1024, numbers.length * 2), this.#budget);
    for (let i = 0; i < numbers.length; i++) enc.push(this.#valid.get(i) === 0 ? null : (this.#texts.get(i) ?? String(numbers.get(i))));
    this.#strings = enc;
    this.#numbers = undefined;
    this.#texts = new Map();
    this.#valid = new GrowableUint8(1);
  }

  /** The typed column. */
  finish(): Column {
    if (this.#raw !== undefined) return columnFromValues(this.name, this.#raw, { kinds: { [this.name]: this.#forced as ColumnKind } });
    if (this.#strings !== undefined) {
      const column = this.#strings.finish(this.name) as Column & { kind: 'string' };
      return textToBool(column, this.#budget) ?? (this.#parseDates ? (stringsToDates(column, this.#budget) ?? column) : column);
    }
    const numbers = this.#numbers as GrowableFloat64;
    if (this.#nulls === this.#rows) {
      this.#budget?.charge(this.#rows * 4);
      return { name: this.name, kind: 'string', dictionary: [], codes: new Int32Array(this.#rows).fill(-1) };
    }
    const values = numbers.finish();
    const valid = this.#nulls > 0 ? this.#valid.finish() : undefined;
    const extra = valid === undefined ? {} : { valid };
    if (!this.#allInt) return { name: this.name, kind: 'number', values, ...extra };
    this.#budget?.charge(values.length * 4);
    return { name: this.name, kind: 'int', values: Int32Array.from(values), ...extra };
  }
}
