// Shared by the column builders: classifying a value, dictionary-encoding strings, converting
// a column to a forced kind, and turning an all-dates or all-booleans dictionary into its kind.

import type { Column, ColumnKind } from '@plotbox/sandbox-protocol';
import { DatasetError } from './dataset-error.ts';
import type { DecodeBudget } from './dataset-limits.ts';
import { GrowableInt32 } from './growable.ts';
import { MAX_DATE_MS, markUniqueDictionary } from './validate-columns.ts';
import { INT32_MIN, INT32_MAX, parseNumericText, parseIsoDate } from './parse-cell-text.ts';

export type Cell =
  | { readonly type: 'number'; readonly value: number }
  | { readonly type: 'bool'; readonly value: boolean }
  | { readonly type: 'string'; readonly value: string }
  | { readonly type: 'date'; readonly value: number }
  | null;

function schemaError(column: string, row: number, what: string): DatasetError {
  return new DatasetError('DATASET_SCHEMA', `column "${column}", row ${row + 1}: ${what}`, { column, row });
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/** Classify one JavaScript value. Invalid Dates are null; nested values are an error. */
export function classify(value: unknown, column: string, row: number): Cell {
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
export class StringEncoder {
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
export function stringsToDates(column: Column & { kind: 'string' }, budget?: DecodeBudget): Column | undefined {
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

export function buildKind(name: string, kind: ColumnKind, cells: ArrayLike<unknown>, classifyAt: (i: number) => Cell): Column {
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

export function textToBool(column: Column & { kind: 'string' }, budget?: DecodeBudget): Column | undefined {
  const { dictionary, codes } = column;
  if (dictionary.length === 0 || dictionary.length > 6) return undefined;
  const truth = dictionary.map((t) => (t.toLowerCase() === 'true' ? 1 : t.toLowerCase() === 'false' ? 0 : -1));
  if (truth.includes(-1)) return undefined;
  budget?.charge(codes.length * 2);
  const values = new Uint8Array(codes.length);
  const valid = decodeCodes(codes, truth, values);
  return { name: column.name, kind: 'bool', values, ...(valid === undefined ? {} : { valid }) };
}
