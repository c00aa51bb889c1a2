/**
 * Type inference: JavaScript values (JSON) and text cells (CSV) → typed columns.
 *
 * Rules (README "Type inference"): integers that fit int32 → `int`; any other number → `number`;
 * booleans → `bool`; `Date` objects → `date`; strings → `string` (dictionary-encoded);
 * null/undefined (and empty CSV fields) → nulls; a column mixing kinds → `string`, each value
 * written as text. ISO date strings become `date` only with `parseDates: true`.
 */
import type { Column, ColumnKind } from '@plotbox/sandbox-protocol';
import { DatasetError } from './dataset-error.ts';
import { GrowableFloat64, GrowableInt32, GrowableUint8 } from './growable.ts';
import { MAX_DATE_MS } from './validate-columns.ts';

/** How columns are typed. */
export interface InferOptions {
  /**
   * Turn string columns whose every value is an ISO-8601 date (`YYYY-MM-DD`, optionally with
   * `THH:mm[:ss[.sss]]` and `Z`/`±hh:mm`; no offset means UTC) into `date` columns. Default
   * false: Code Mode snippets treat the sales dataset's `date` column as a string.
   */
  readonly parseDates?: boolean;
  /** Force the kind of named columns instead of inferring it; a value that does not convert is a DATASET_SCHEMA error. */
  readonly kinds?: Readonly<Record<string, ColumnKind>>;
}

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;
/** Decimal number text. Infinity/NaN/hex stay text. */
const NUMERIC_TEXT = /^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$/;
/** `007`, `-012`: identifiers and zip codes, kept as text so the zeros survive. */
const LEADING_ZERO = /^[-+]?0\d/;
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2})?)?$/;
const DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Parse decimal number text as CSV inference does; undefined if it is not one. */
export function parseNumericText(text: string): number | undefined {
  if (!NUMERIC_TEXT.test(text) || LEADING_ZERO.test(text)) return undefined;
  const value = Number(text);
  return Number.isFinite(value) ? value : undefined;
}

/** Parse an ISO-8601 date or date-time (see {@link InferOptions.parseDates}) to epoch ms; undefined if it is not one. */
export function parseIsoDate(text: string): number | undefined {
  const m = ISO_DATE.exec(text);
  if (m === null) return undefined;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  if (month < 1 || month > 12 || day < 1 || day > (DAYS_IN_MONTH[month - 1] as number)) return undefined;
  if (month === 2 && day === 29 && !(year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0))) return undefined;
  const hour = m[4] === undefined ? 0 : Number(m[4]);
  const minute = m[5] === undefined ? 0 : Number(m[5]);
  const second = m[6] === undefined ? 0 : Number(m[6]);
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  const ms = m[7] === undefined ? 0 : Math.floor(Number(`0.${m[7]}`) * 1000);
  let offsetMin = 0;
  const zone = m[8];
  if (zone !== undefined && zone !== 'Z') {
    const digits = zone.replace(':', '');
    const oh = Number(digits.slice(1, 3));
    const om = Number(digits.slice(3, 5));
    if (oh > 23 || om > 59) return undefined;
    offsetMin = (zone[0] === '-' ? -1 : 1) * (oh * 60 + om);
  }
  const t = Date.UTC(year, month - 1, day, hour, minute, second, ms) - offsetMin * 60_000;
  return Number.isFinite(t) ? t : undefined;
}

type Cell = { readonly type: 'number'; readonly value: number } | { readonly type: 'bool'; readonly value: boolean } | { readonly type: 'string'; readonly value: string } | { readonly type: 'date'; readonly value: number } | null;

function schemaError(column: string, row: number, what: string): DatasetError {
  return new DatasetError('DATASET_SCHEMA', `column "${column}", row ${row + 1}: ${what}`, { column, row });
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/** Classify one JavaScript value. Invalid Dates are null; nested values are an error. */
function classify(value: unknown, column: string, row: number): Cell {
  switch (typeof value) {
    case 'number':
      return { type: 'number', value };
    case 'bigint':
      return { type: 'number', value: Number(value) };
    case 'boolean':
      return { type: 'bool', value };
    case 'string':
      return { type: 'string', value };
    case 'undefined':
      return null;
    case 'object':
      if (value === null) return null;
      if (value instanceof Date) {
        const t = value.getTime();
        return Number.isFinite(t) ? { type: 'date', value: t } : null;
      }
      throw schemaError(column, row, `${describe(value)} is not a supported cell value (use numbers, strings, booleans, dates or null)`);
    default:
      throw schemaError(column, row, `${describe(value)} is not a supported cell value`);
  }
}

function cellText(cell: NonNullable<Cell>): string {
  switch (cell.type) {
    case 'string':
      return cell.value;
    case 'date':
      return new Date(cell.value).toISOString();
    default:
      return String(cell.value);
  }
}

/** Incremental dictionary encoder for string columns. */
class StringEncoder {
  readonly dictionary: string[] = [];
  readonly #index = new Map<string, number>();
  readonly codes: GrowableInt32;
  constructor(capacity?: number) {
    this.codes = new GrowableInt32(capacity);
  }
  push(text: string | null): void {
    if (text === null) {
      this.codes.push(-1);
      return;
    }
    let code = this.#index.get(text);
    if (code === undefined) {
      code = this.dictionary.length;
      this.dictionary.push(text);
      this.#index.set(text, code);
    }
    this.codes.push(code);
  }
  finish(name: string): Column {
    return { name, kind: 'string', dictionary: this.dictionary, codes: this.codes.finish() };
  }
}

/** A string column whose dictionary is all ISO dates → a date column (only the dictionary is parsed). */
function stringsToDates(column: Column & { kind: 'string' }): Column | undefined {
  if (column.dictionary.length === 0) return undefined;
  const ms = new Float64Array(column.dictionary.length);
  for (let i = 0; i < ms.length; i++) {
    const t = parseIsoDate(column.dictionary[i] as string);
    if (t === undefined) return undefined;
    ms[i] = t;
  }
  const values = new Float64Array(column.codes.length);
  const valid = decodeCodes(column.codes, ms, values);
  return { name: column.name, kind: 'date', values, ...(valid === undefined ? {} : { valid }) };
}

/**
 * `out[i] = table[codes[i]]` for a dictionary-encoded column re-typed through its dictionary; a
 * negative code is a null. Returns the validity mask (1 = present), or `undefined` when no null.
 */
function decodeCodes(codes: ArrayLike<number>, table: ArrayLike<number>, out: Float64Array | Uint8Array): Uint8Array | undefined {
  let valid: Uint8Array | undefined;
  for (let i = 0; i < codes.length; i++) {
    const code = codes[i] as number;
    if (code < 0) {
      valid ??= new Uint8Array(codes.length).fill(1);
      valid[i] = 0;
    } else out[i] = table[code] as number;
  }
  return valid;
}

/** Convert one classified cell to the forced `kind`; undefined when it does not convert. */
function convert(kind: ColumnKind, cell: NonNullable<Cell>): number | string | undefined {
  switch (kind) {
    case 'string':
      return cellText(cell);
    case 'number':
    case 'int': {
      const v = cell.type === 'number' ? cell.value : cell.type === 'string' ? parseNumericText(cell.value.trim()) : undefined;
      if (v === undefined) return undefined;
      if (kind === 'int' && !(Number.isInteger(v) && v >= INT32_MIN && v <= INT32_MAX)) return undefined;
      return v;
    }
    case 'bool':
      if (cell.type === 'bool') return cell.value ? 1 : 0;
      if (cell.type === 'string') {
        const t = cell.value.trim().toLowerCase();
        return t === 'true' ? 1 : t === 'false' ? 0 : undefined;
      }
      return undefined;
    case 'date': {
      const t = cell.type === 'date' ? cell.value : cell.type === 'string' ? parseIsoDate(cell.value.trim()) : cell.type === 'number' ? cell.value : undefined;
      return t !== undefined && Math.abs(t) <= MAX_DATE_MS ? Math.round(t) : undefined;
    }
  }
}

function buildKind(name: string, kind: ColumnKind, cells: ArrayLike<unknown>, classifyAt: (i: number) => Cell): Column {
  const n = cells.length;
  if (kind === 'string') {
    const enc = new StringEncoder(Math.max(n, 1));
    for (let i = 0; i < n; i++) {
      const cell = classifyAt(i);
      enc.push(cell === null ? null : cellText(cell));
    }
    return enc.finish(name);
  }
  const values = kind === 'int' ? new Int32Array(n) : kind === 'bool' ? new Uint8Array(n) : new Float64Array(n);
  let valid: Uint8Array | undefined;
  for (let i = 0; i < n; i++) {
    const cell = classifyAt(i);
    if (cell === null) {
      valid ??= new Uint8Array(n).fill(1);
      valid[i] = 0;
      continue;
    }
    const v = convert(kind, cell);
    if (v === undefined || typeof v === 'string') throw schemaError(name, i, `${JSON.stringify(cellText(cell)).slice(0, 60)} is not a valid ${kind}`);
    values[i] = v;
  }
  return { name, kind, values, ...(valid === undefined ? {} : { valid }) } as Column;
}

/**
 * Type one column of JavaScript values (see the module comment for the rules).
 * @throws DatasetError DATASET_SCHEMA for nested values, or values that do not fit a forced kind.
 */
export function columnFromValues(name: string, values: ArrayLike<unknown>, options: InferOptions = {}): Column {
  const n = values.length;
  const classifyAt = (i: number): Cell => classify(values[i], name, i);
  const forced = options.kinds !== undefined && Object.hasOwn(options.kinds, name) ? options.kinds[name] : undefined;
  if (forced !== undefined) return buildKind(name, forced, values, classifyAt);
  let numbers = 0;
  let nonInt = false;
  let bools = 0;
  let strings = 0;
  let dates = 0;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    switch (typeof v) {
      case 'number':
        numbers++;
        if (!nonInt && !(Number.isInteger(v) && v >= INT32_MIN && v <= INT32_MAX)) nonInt = true;
        break;
      case 'string':
        strings++;
        break;
      case 'boolean':
        bools++;
        break;
      default: {
        const cell = classifyAt(i);
        if (cell?.type === 'number') {
          numbers++;
          nonInt = true;
        } else if (cell?.type === 'date') dates++;
      }
    }
  }
  const kindsSeen = (numbers > 0 ? 1 : 0) + (bools > 0 ? 1 : 0) + (strings > 0 ? 1 : 0) + (dates > 0 ? 1 : 0);
  let kind: ColumnKind;
  if (kindsSeen !== 1) kind = 'string';
  else if (numbers > 0) kind = nonInt ? 'number' : 'int';
  else if (bools > 0) kind = 'bool';
  else if (dates > 0) kind = 'date';
  else kind = 'string';
  const column = buildKind(name, kind, values, classifyAt);
  if (column.kind === 'string' && options.parseDates === true && strings === n - countNulls(values)) return stringsToDates(column) ?? column;
  return column;
}

function countNulls(values: ArrayLike<unknown>): number {
  let nulls = 0;
  for (let i = 0; i < values.length; i++) if (values[i] == null || (values[i] instanceof Date && !Number.isFinite((values[i] as Date).getTime()))) nulls++;
  return nulls;
}

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
  #rows = 0;
  // Numeric mode.
  #numbers: GrowableFloat64 | undefined = new GrowableFloat64();
  #valid = new GrowableUint8();
  #nulls = 0;
  #allInt = true;
  #texts = new Map<number, string>();
  // String mode.
  #strings: StringEncoder | undefined;
  // Forced kinds keep the raw cells.
  #raw: (string | null)[] | undefined;

  constructor(name: string, options: InferOptions = {}) {
    this.name = name;
    this.#parseDates = options.parseDates === true;
    this.#forced = options.kinds !== undefined && Object.hasOwn(options.kinds, name) ? options.kinds[name] : undefined;
    if (this.#forced !== undefined) {
      this.#raw = [];
      this.#numbers = undefined;
    }
  }

  /** Append one cell; `null` is a null. */
  push(text: string | null): void {
    const row = this.#rows++;
    if (this.#raw !== undefined) {
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
    const value = parseNumericText(text);
    if (value === undefined) {
      this.#toStrings();
      (this.#strings as unknown as StringEncoder).push(text);
      return;
    }
    numbers.push(value);
    this.#valid.push(1);
    if (String(value) !== text) this.#texts.set(row, text);
    if (this.#allInt && (!Number.isInteger(value) || value < INT32_MIN || value > INT32_MAX || /[.eE]/.test(text))) this.#allInt = false;
  }

  #toStrings(): void {
    const numbers = this.#numbers as GrowableFloat64;
    const enc = new StringEncoder(Math.max(1024, numbers.length * 2));
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
      return textToBool(column) ?? (this.#parseDates ? (stringsToDates(column) ?? column) : column);
    }
    const numbers = this.#numbers as GrowableFloat64;
    if (this.#nulls === this.#rows) return { name: this.name, kind: 'string', dictionary: [], codes: new Int32Array(this.#rows).fill(-1) };
    const values = numbers.finish();
    const valid = this.#nulls > 0 ? this.#valid.finish() : undefined;
    const extra = valid === undefined ? {} : { valid };
    return this.#allInt ? { name: this.name, kind: 'int', values: Int32Array.from(values), ...extra } : { name: this.name, kind: 'number', values, ...extra };
  }
}

function textToBool(column: Column & { kind: 'string' }): Column | undefined {
  const { dictionary, codes } = column;
  if (dictionary.length === 0 || dictionary.length > 6) return undefined;
  const truth = dictionary.map((t) => (t.toLowerCase() === 'true' ? 1 : t.toLowerCase() === 'false' ? 0 : -1));
  if (truth.includes(-1)) return undefined;
  const values = new Uint8Array(codes.length);
  const valid = decodeCodes(codes, truth, values);
  return { name: column.name, kind: 'bool', values, ...(valid === undefined ? {} : { valid }) };
}
