/**
 * Column checks and the canonical form every stored dataset is in, so that equal content always
 * encodes to equal bytes (and so to an equal sha256).
 */
import type { Column, StringColumn } from '@plotbox/sandbox-protocol';
import { DatasetError } from './dataset-error.ts';
import { MAX_COLUMN_NAME_CHARS, assertColumnCount, assertRowCount, type DatasetLimits } from './dataset-limits.ts';

/** ±8.64e15 ms is the range a JavaScript Date can hold. */
export const MAX_DATE_MS = 8.64e15;

// C0 and C1 control characters, DEL, and the Unicode line/paragraph separators.
// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

/**
 * Check one column name: a non-empty string of at most {@link MAX_COLUMN_NAME_CHARS} code units,
 * no control characters, and not `__proto__` (assigning that key on a plain object changes its
 * prototype, which the isolate's table libraries do).
 * @throws DatasetError DATASET_SCHEMA or DATASET_TOO_LARGE (`nameChars`).
 */
export function assertColumnName(name: unknown, index: number): asserts name is string {
  if (typeof name !== 'string') throw new DatasetError('DATASET_SCHEMA', `column ${index + 1} has no name`);
  if (name.length === 0) throw new DatasetError('DATASET_SCHEMA', `column ${index + 1} has an empty name`);
  if (name.length > MAX_COLUMN_NAME_CHARS) {
    throw new DatasetError('DATASET_TOO_LARGE', `column ${index + 1}: name is longer than ${MAX_COLUMN_NAME_CHARS} characters`, { limit: { name: 'nameChars', value: MAX_COLUMN_NAME_CHARS } });
  }
  if (CONTROL_CHARS.test(name)) throw new DatasetError('DATASET_SCHEMA', `column ${index + 1}: name contains a control character`, { column: name });
  if (name === '__proto__') throw new DatasetError('DATASET_SCHEMA', 'a column may not be named "__proto__"', { column: name });
}

/** Check a list of names: each valid (see {@link assertColumnName}) and all distinct. */
export function assertColumnNames(names: readonly unknown[]): void {
  const seen = new Set<string>();
  names.forEach((name, i) => {
    assertColumnName(name, i);
    if (seen.has(name)) throw new DatasetError('DATASET_SCHEMA', `two columns are named "${name}"`, { column: name });
    seen.add(name);
  });
}

/**
 * Check that `columns` is a well-formed dataset within `limits` and return its row count:
 * at least one column, valid distinct names, the right typed arrays, equal lengths, string codes
 * within their dictionary, and date values that a JavaScript Date can hold.
 * @throws DatasetError DATASET_EMPTY, DATASET_SCHEMA or DATASET_TOO_LARGE.
 */
export function assertValidColumns(columns: readonly Column[], limits: DatasetLimits): number {
  if (!Array.isArray(columns)) throw new DatasetError('DATASET_SCHEMA', 'columns must be an array');
  if (columns.length === 0) throw new DatasetError('DATASET_EMPTY', 'a dataset needs at least one column');
  assertColumnCount(columns.length, limits);
  assertColumnNames(columns.map((c) => (c !== null && typeof c === 'object' ? (c as { name?: unknown }).name : undefined)));
  let rowCount = -1;
  for (const column of columns) {
    const length = columnLength(column);
    if (rowCount === -1) {
      rowCount = length;
      assertRowCount(rowCount, limits);
    } else if (length !== rowCount) {
      throw new DatasetError('DATASET_SCHEMA', `column "${column.name}" has ${length} rows, the first column has ${rowCount}`, { column: column.name });
    }
  }
  return rowCount;
}

function columnLength(column: Column): number {
  const where = `column "${column.name}"`;
  const bad = (what: string): never => {
    throw new DatasetError('DATASET_SCHEMA', `${where}: ${what}`, { column: column.name });
  };
  switch (column.kind) {
    case 'string': {
      if (!(column.codes instanceof Int32Array)) bad('codes must be an Int32Array');
      if (!Array.isArray(column.dictionary)) bad('dictionary must be an array');
      const size = column.dictionary.length;
      for (let i = 0; i < size; i++) if (typeof column.dictionary[i] !== 'string') bad(`dictionary entry ${i} is not a string`);
      const codes = column.codes;
      for (let i = 0; i < codes.length; i++) {
        const code = codes[i] as number;
        if (code < -1 || code >= size) bad(`row ${i} has code ${code}, outside its dictionary`);
      }
      return codes.length;
    }
    case 'number':
    case 'date':
      if (!(column.values instanceof Float64Array)) bad('values must be a Float64Array');
      break;
    case 'int':
      if (!(column.values instanceof Int32Array)) bad('values must be an Int32Array');
      break;
    case 'bool':
      if (!(column.values instanceof Uint8Array)) bad('values must be a Uint8Array');
      break;
    default:
      bad(`unknown kind "${String((column as { kind?: unknown }).kind)}"`);
  }
  const { values, valid } = column as Exclude<Column, StringColumn>;
  if (valid !== undefined && (!(valid instanceof Uint8Array) || valid.length !== values.length)) bad('valid must be a Uint8Array as long as values');
  if (column.kind === 'date') {
    const v = column.values;
    for (let i = 0; i < v.length; i++) {
      if (valid !== undefined && valid[i] === 0) continue;
      const ms = v[i] as number;
      if (!(Math.abs(ms) <= MAX_DATE_MS)) bad(`row ${i} is not a valid date (${ms})`);
    }
  }
  return values.length;
}

/**
 * The canonical form of a (valid) column, which is what gets encoded and hashed:
 * - a column whose every value is null is the all-null string column (empty dictionary);
 * - `valid` only when some value is null, and values under nulls are 0;
 * - bools are exactly 0/1, dates are whole milliseconds;
 * - a string dictionary holds each used string once, in order of first use (unused entries
 *   dropped), so the same strings in the same rows always give the same codes.
 * Returns the column itself when it is already canonical (the common case: no copy).
 */
export function canonicalizeColumn(column: Column): Column {
  if (column.kind === 'string') return canonicalizeStrings(column);
  // A column of nothing but nulls has no kind to keep: it is the all-null string column CSV and
  // JSON give, stored as an Arrow Null column (no bytes per row).
  if (column.valid !== undefined && column.valid.length > 0 && !column.valid.includes(1) && column.valid.every((v) => v === 0)) {
    return { name: column.name, kind: 'string', dictionary: [], codes: new Int32Array(column.valid.length).fill(-1) };
  }
  const valid = column.valid !== undefined && column.valid.includes(0) ? column.valid : undefined;
  let values = column.values;
  const copy = (): void => {
    if (values === column.values) values = values.slice() as typeof values;
  };
  if (valid !== undefined) {
    for (let i = 0; i < values.length; i++) {
      if (valid[i] === 0 && !Object.is(values[i], 0)) {
        copy();
        values[i] = 0;
      }
    }
  }
  if (column.kind === 'bool') {
    for (let i = 0; i < values.length; i++) {
      if ((values[i] as number) > 1) {
        copy();
        values[i] = 1;
      }
    }
  } else if (column.kind === 'date') {
    for (let i = 0; i < values.length; i++) {
      const v = values[i] as number;
      if (!Number.isInteger(v) || Object.is(v, -0)) {
        copy();
        values[i] = Math.round(v) + 0;
      }
    }
  }
  if (values === column.values && valid === column.valid) return column;
  return { name: column.name, kind: column.kind, values, ...(valid === undefined ? {} : { valid }) } as Column;
}

/**
 * Dictionaries built here by string-keyed maps (the readers' encoders, the Arrow decoder), whose
 * entries are distinct by construction: canonicalizing them skips the duplicate check (a `Set` of
 * a million strings). Only arrays never handed out for writing are marked.
 */
const UNIQUE_DICTIONARIES = new WeakSet<readonly string[]>();

/** Mark a dictionary built with distinct entries (see {@link UNIQUE_DICTIONARIES}). */
export function markUniqueDictionary(dictionary: readonly string[]): readonly string[] {
  UNIQUE_DICTIONARIES.add(dictionary);
  return dictionary;
}

function canonicalizeStrings(column: StringColumn): StringColumn {
  const { dictionary, codes } = column;
  const size = dictionary.length;
  // Old code → new code; -2 = not yet seen.
  const remap = new Int32Array(size).fill(-2);
  let next = 0;
  let identity = true;
  for (let i = 0; i < codes.length; i++) {
    const code = codes[i] as number;
    if (code < 0 || remap[code] !== -2) continue;
    remap[code] = next;
    if (code !== next) identity = false;
    next++;
  }
  if (identity && next === size && (UNIQUE_DICTIONARIES.has(dictionary) || new Set(dictionary).size === size)) return column;
  // Rebuild: first-use order, duplicates of a string merged into one code.
  const byString = new Map<string, number>();
  const out: string[] = [];
  const order: number[] = [];
  for (let i = 0; i < codes.length; i++) {
    const code = codes[i] as number;
    if (code >= 0 && remap[code] !== -3) {
      remap[code] = -3;
      order.push(code);
    }
  }
  const final = new Int32Array(size).fill(-1);
  for (const code of order) {
    const text = dictionary[code] as string;
    let c = byString.get(text);
    if (c === undefined) {
      c = out.length;
      out.push(text);
      byString.set(text, c);
    }
    final[code] = c;
  }
  const newCodes = new Int32Array(codes.length);
  for (let i = 0; i < codes.length; i++) {
    const code = codes[i] as number;
    newCodes[i] = code < 0 ? -1 : (final[code] as number);
  }
  return { name: column.name, kind: 'string', dictionary: out, codes: newCodes };
}
