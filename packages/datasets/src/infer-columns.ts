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
import type { DecodeBudget } from './dataset-limits.ts';
import { GrowableFloat64, GrowableInt32, GrowableUint8 } from './growable.ts';
import { MAX_DATE_MS, markUniqueDictionary } from './validate-columns.ts';

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
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2})?)?$/;
const DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** {@link scanDecimal}: the text has a fraction or an exponent (never an `int`). */
const NOT_INT = 1;
/** {@link scanDecimal}: `String(Number(text))` may differ from the text (sign, fraction, exponent, -0, many digits). */
const MAY_DIFFER = 2;

/**
 * Check that `text` is decimal number text, `^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$`
 * (Infinity, NaN and hex stay text), without a leading zero (`007`, `-012`: identifiers and zip
 * codes stay text so the zeros survive); -1 if not, else flags ({@link NOT_INT}, {@link MAY_DIFFER}).
 * A character scan: the regular expressions were a third of CSV typing time.
 */
function scanDecimal(text: string): number {
  const n = text.length;
  if (n === 0) return -1;
  let i = 0;
  let flags = 0;
  let c = text.charCodeAt(0);
  if (c === 43 || c === 45) {
    flags |= c === 43 ? MAY_DIFFER : 0;
    i = 1;
  }
  const intStart = i;
  while (i < n && (c = text.charCodeAt(i)) >= 48 && c <= 57) i++;
  const intDigits = i - intStart;
  if (intDigits > 1 && text.charCodeAt(intStart) === 48) return -1;
  if (intDigits === 1 && text.charCodeAt(intStart) === 48 && intStart === 1 && text.charCodeAt(0) === 45) flags |= MAY_DIFFER; // -0
  if (intDigits > 15) flags |= MAY_DIFFER;
  let fracDigits = 0;
  if (i < n && text.charCodeAt(i) === 46) {
    flags |= NOT_INT;
    i++;
    const from = i;
    while (i < n && (c = text.charCodeAt(i)) >= 48 && c <= 57) i++;
    fracDigits = i - from;
    // `String(Number(text))` gives back a decimal text of at most 15 significant digits exactly
    // (DBL_DIG), unless it has a dropped form: `.5`, `1.`, a trailing zero, or below 1e-6
    // (printed with an exponent). Only then is the costly comparison needed.
    let leadingZeros = 0;
    while (leadingZeros < fracDigits && text.charCodeAt(from + leadingZeros) === 48) leadingZeros++;
    const zeroInt = intDigits === 1 && text.charCodeAt(intStart) === 48;
    if (intDigits === 0 || fracDigits === 0 || text.charCodeAt(i - 1) === 48 || intDigits + fracDigits > 15 || (zeroInt && leadingZeros >= 6)) flags |= MAY_DIFFER;
  }
  if (intDigits === 0 && fracDigits === 0) return -1;
  if (i < n && ((c = text.charCodeAt(i)) === 101 || c === 69)) {
    flags |= NOT_INT | MAY_DIFFER;
    i++;
    if (i < n && ((c = text.charCodeAt(i)) === 43 || c === 45)) i++;
    const from = i;
    while (i < n && (c = text.charCodeAt(i)) >= 48 && c <= 57) i++;
    if (i === from) return -1;
  }
  return i === n ? flags : -1;
}

/** Parse decimal number text as CSV inference does; undefined if it is not one. */
export function parseNumericText(text: string): number | undefined {
  if (scanDecimal(text) < 0) return undefined;
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

/** Incremental dictionary encoder for string columns; new strings are charged to the budget. */
class StringEncoder {
  readonly dictionary: string[] = [];
  readonly #index = new Map<string, number>();
  readonly codes: GrowableInt32;
  readonly #budget: DecodeBudget | undefined;
  constructor(capacity?: number, budget?: DecodeBudget) {
    this.#budget = budget;
    this.codes = new GrowableInt32(capacity, budget);
  }
  push(text: string | null): void {
    if (text === null) {
      this.codes.push(-1);
      return;
    }
    let code = this.#index.get(text);
    if (code === undefined) {
      // The string (UTF-16) and its share of the Map and the array.
      this.#budget?.charge(2 * text.length + 48);
      code = this.dictionary.length;
      this.dictionary.push(text);
      this.#index.set(text, code);
    }
    this.codes.push(code);
  }
  pushNulls(count: number): void {
    this.codes.fill(-1, count);
  }
  finish(name: string): Column {
    return { name, kind: 'string', dictionary: markUniqueDictionary(this.dictionary), codes: this.codes.finish() };
  }
}

/** A string column whose dictionary is all ISO dates → a date column (only the dictionary is parsed). */
function stringsToDates(column: Column & { kind: 'string' }, budget?: DecodeBudget): Column | undefined {
  if (column.dictionary.length === 0) return undefined;
  const ms = new Float64Array(column.dictionary.length);
  for (let i = 0; i < ms.length; i++) {
    const t = parseIsoDate(column.dictionary[i] as string);
    if (t === undefined) return undefined;
    ms[i] = t;
  }
  budget?.charge(column.codes.length * 9);
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

function textToBool(column: Column & { kind: 'string' }, budget?: DecodeBudget): Column | undefined {
  const { dictionary, codes } = column;
  if (dictionary.length === 0 || dictionary.length > 6) return undefined;
  const truth = dictionary.map((t) => (t.toLowerCase() === 'true' ? 1 : t.toLowerCase() === 'false' ? 0 : -1));
  if (truth.includes(-1)) return undefined;
  budget?.charge(codes.length * 2);
  const values = new Uint8Array(codes.length);
  const valid = decodeCodes(codes, truth, values);
  return { name: column.name, kind: 'bool', values, ...(valid === undefined ? {} : { valid }) };
}

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
