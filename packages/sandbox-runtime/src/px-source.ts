/**
 * What px builders accept as "a table": an arquero table, a plain object of column arrays, an
 * array of row objects, or nothing when every option is itself an array. Columns are read as
 * arrays (array-likes) once per option; nothing here copies a column it does not need.
 */

import { datasetOf } from './dataset.ts';
import { frameAsTable } from './frame-table.ts';
import { arithmeticRows } from './row-expression.ts';
import type { DatasetView, KeyColumn } from './dataset.ts';

/** A per-row function in px options: `(d, i) => d.units * d.price`; `d` reads the row's columns. */
export type RowFunction = (row: Readonly<Record<string, unknown>>, index: number) => unknown;

/** A column reference in px options: a column name, the values themselves, or a function of the row. */
export type ColumnRef = string | ArrayLike<unknown> | RowFunction;

/** The parts of an arquero table px relies on (duck-typed, so any arquero 8 table works). */
export interface TableLike {
  numRows(): number;
  columnNames(): string[];
  column(name: string): ArrayLike<unknown> | undefined;
  array(name: string): ArrayLike<unknown>;
  isFiltered(): boolean;
  isOrdered(): boolean;
}

export interface Source {
  /** Row count, or -1 when unknown (only array options were given). */
  readonly rows: number;
  readonly names: readonly string[];
  /** Set when the table is the base `df`: px then reads the typed payload directly. */
  readonly dataset?: DatasetView;
  /** The values of `ref` for option `option` of builder `fn`; throws a helpful error for unknown names. */
  column(ref: ColumnRef, option: string): ArrayLike<unknown>;
}

/** Is `value` an arquero table (or anything shaped like one)? */
export function isTableLike(value: unknown): value is TableLike {
  if (value === null || typeof value !== 'object') return false;
  const t = value as Record<string, unknown>;
  return typeof t['numRows'] === 'function' && typeof t['columnNames'] === 'function' && typeof t['array'] === 'function' && typeof t['column'] === 'function';
}

/** Is `value` an array or a typed array (not a DataView)? */
export function isArrayLikeColumn(value: unknown): value is ArrayLike<unknown> {
  return Array.isArray(value) || (ArrayBuffer.isView(value) && !(value instanceof DataView));
}

/** Normalise a px table argument. `fn` names the builder in error messages. */
export function toSource(fn: string, given: unknown): Source {
  // A danfo DataFrame (the danfo runtime) is read through its column arrays (frame-table.ts).
  const input = frameAsTable(given);
  if (isTableLike(input)) {
    const table = input;
    const names = table.columnNames();
    // A filtered or ordered table's backing arrays are not its rows; array() materialises them.
    const direct = !table.isFiltered() && !table.isOrdered();
    const dataset = datasetOf(table);
    const get = (name: string): ArrayLike<unknown> => (direct ? table.column(name) : table.array(name)) ?? [];
    const rows = table.numRows();
    if (dataset !== undefined) {
      return { rows, names, dataset, column: (ref, option) => resolve(fn, ref, option, names, rows, get, (f) => datasetRows(dataset, f)) };
    }
    return { rows, names, column: (ref, option) => resolve(fn, ref, option, names, rows, get) };
  }
  if (Array.isArray(input)) {
    const rows = input as readonly unknown[];
    const first = rows.find((r) => r !== null && typeof r === 'object');
    const names = first === undefined ? [] : Object.keys(first);
    return {
      rows: rows.length,
      names,
      column: (ref, option) => resolve(fn, ref, option, names, rows.length, (name) => rows.map((r) => (r !== null && typeof r === 'object' ? ((r as Record<string, unknown>)[name] ?? null) : null))),
    };
  }
  if (input === null || input === undefined) {
    return { rows: -1, names: [], column: (ref, option) => resolve(fn, ref, option, [], -1, () => []) };
  }
  if (typeof input === 'object') {
    const columns = input as Record<string, unknown>;
    const names = Object.keys(columns).filter((k) => isArrayLikeColumn(columns[k]));
    const first = names[0];
    const rows = first === undefined ? -1 : (columns[first] as ArrayLike<unknown>).length;
    return { rows, names, column: (ref, option) => resolve(fn, ref, option, names, rows, (name) => columns[name] as ArrayLike<unknown>) };
  }
  throw new TypeError(`${fn}: the first argument must be a table (df: an arquero table or a danfo DataFrame), an object of column arrays or an array of row objects`);
}

function resolve(
  fn: string,
  ref: ColumnRef,
  option: string,
  names: readonly string[],
  rows: number,
  get: (name: string) => ArrayLike<unknown>,
  evaluate?: (f: RowFunction) => ArrayLike<unknown>,
): ArrayLike<unknown> {
  if (typeof ref === 'function') {
    if (rows < 0) throw new TypeError(`${fn}: ${option}: a function needs a table to run on`);
    return evaluate !== undefined ? evaluate(ref) : genericRows(names, rows, get, ref);
  }
  if (typeof ref === 'string') {
    if (!names.includes(ref)) {
      const list = names.length === 0 ? 'none' : names.map((n) => `"${n}"`).join(', ');
      throw new TypeError(`${fn}: ${option}: no column named "${ref}" (columns: ${list})`);
    }
    return get(ref);
  }
  if (isArrayLikeColumn(ref)) {
    if (rows >= 0 && ref.length !== rows) throw new TypeError(`${fn}: ${option}: an array of ${ref.length} values does not match the table's ${rows} rows`);
    return ref;
  }
  throw new TypeError(`${fn}: ${option} must be a column name, an array or a function of the row`);
}

/** Is `value` a per-row function? */
export function isRowFunction(value: unknown): value is RowFunction {
  return typeof value === 'function';
}

function genericRows(names: readonly string[], rows: number, get: (name: string) => ArrayLike<unknown>, f: RowFunction): ArrayLike<unknown> {
  return runRowFunction(
    names,
    rows,
    (name) => {
      const values = get(name);
      return (row) => values[row] ?? null;
    },
    f,
  );
}

/** `f` over every row of the dataset, reading the typed payload (same values `data` holds). */
function datasetRows(view: DatasetView, f: RowFunction): ArrayLike<unknown> {
  // Arithmetic over numeric columns runs a column at a time (row-expression.ts): same numbers.
  const columnwise = view.rowCount > 0 ? arithmeticRows(f, (name) => view.raw(name), view.rowCount) : undefined;
  if (columnwise !== undefined) return columnwise;
  return runRowFunction(view.names, view.rowCount, (name) => view.reader(name), f);
}

/**
 * The prototype of every row object `d`: empty, frozen, with a null prototype, so `d` offers
 * nothing but its columns (like `Object.create(null)`). Objects made by `Object.create(null)` are
 * dictionaries in V8, and reading `d.units` from one on every row costs several times a read from
 * an ordinary object; instances of this class keep V8's fast, shape-based properties.
 */
class RowObject {}
Reflect.deleteProperty(RowObject.prototype, 'constructor');
Object.setPrototypeOf(RowObject.prototype, null);
Object.freeze(RowObject.prototype);

/**
 * `f(d, i)` for every row. The columns row 0 reads become plain data properties of `d`, refreshed
 * before each row (much cheaper than getters); every other column stays a getter, so a function
 * that reads more on later rows still sees the right values. `d` is not extensible, getters have
 * no setters, and data properties are reset per row, so nothing written to `d` reaches another row.
 */
function runRowFunction(names: readonly string[], rows: number, readerFor: (name: string) => (row: number) => unknown, f: RowFunction): ArrayLike<unknown> {
  if (rows === 0) return [];
  const hot: string[] = [];
  const probe = Object.create(null) as Record<string, unknown>;
  for (const name of names) {
    const reader = readerFor(name);
    Object.defineProperty(probe, name, { enumerable: true, get: () => (hot.includes(name) || hot.push(name), reader(0)), set: ignore });
  }
  f(Object.freeze(probe), 0);
  const at = { row: 0 };
  const d = new RowObject() as Record<string, unknown>;
  for (const name of names) {
    // Row 0's value, not null: V8 then stores a number column's values in place instead of
    // allocating a boxed number for every row.
    if (hot.includes(name)) Object.defineProperty(d, name, { enumerable: true, writable: true, value: readerFor(name)(0) });
    else {
      const reader = readerFor(name);
      Object.defineProperty(d, name, { enumerable: true, get: () => reader(at.row), set: ignore });
    }
  }
  Object.preventExtensions(d);
  const readers = hot.map(readerFor);
  const h0 = hot[0];
  const h1 = hot[1];
  const r0 = readers[0];
  const r1 = readers[1];
  const fill = (i: number): void => {
    at.row = i;
    if (h0 !== undefined) {
      d[h0] = (r0 as (row: number) => unknown)(i);
      if (h1 !== undefined) {
        d[h1] = (r1 as (row: number) => unknown)(i);
        for (let j = 2; j < hot.length; j++) d[hot[j] as string] = (readers[j] as (row: number) => unknown)(i);
      }
    }
  };
  // Most row functions compute numbers (`d => d.units * d.price`): those go into a Float64Array
  // (no boxed number per row for V8 to allocate and collect). The first result that is not a
  // number moves what was computed so far into a plain array, which takes the rest.
  const numbers = new Float64Array(rows);
  let i = 0;
  for (; i < rows; i++) {
    fill(i);
    const v = f(d, i);
    if (typeof v !== 'number') {
      const out = Array.from(numbers.subarray(0, i)) as unknown[];
      out.push(v ?? null);
      for (i++; i < rows; i++) {
        fill(i);
        out.push(f(d, i) ?? null);
      }
      return out;
    }
    numbers[i] = v;
  }
  return numbers;
}

/** Setter of the row object's getter columns: assignments to `d` are ignored, never thrown. */
function ignore(): void {}

/** Thrown inside a memo probe when the function reads a second column. */
const ABORT = Object.freeze({});

/**
 * Group keys for a row function over the dataset. When the function reads one categorical column
 * only (e.g. `d => d.date.slice(0, 7)`), it runs once per distinct value of that column instead
 * of once per row; otherwise per row. Documented: row functions must depend only on `d`.
 */
export function datasetFunctionKeys(view: DatasetView, f: RowFunction): KeyColumn | undefined {
  if (view.rowCount === 0 || f.length >= 2) return undefined;
  // Which columns does row 0 read?
  const read = new Set<string>();
  const probe = Object.create(null) as Record<string, unknown>;
  for (const name of view.names) {
    const reader = view.reader(name);
    Object.defineProperty(probe, name, { enumerable: true, get: () => (read.add(name), reader(0)), set: ignore });
  }
  f(Object.freeze(probe), 0);
  if (read.size !== 1) return undefined;
  const only = read.values().next().value as string;
  const base = view.keys(only);
  if (base === undefined) return undefined;
  let current: unknown = null;
  const memo = Object.create(null) as Record<string, unknown>;
  for (const name of view.names) {
    Object.defineProperty(memo, name, {
      enumerable: true,
      get: () => {
        if (name !== only) throw ABORT;
        return current;
      },
      set: ignore,
    });
  }
  Object.freeze(memo);
  const results: unknown[] = [];
  try {
    for (const key of base.keys) {
      current = key;
      results.push(f(memo, 0) ?? null);
    }
  } catch (err) {
    if (err === ABORT) return undefined;
    throw err;
  }
  // Regroup by result, in order of first appearance over the rows.
  const remap = new Int32Array(base.keys.length).fill(-1);
  const byValue = new Map<unknown, number>();
  const keys: unknown[] = [];
  const ids = new Int32Array(view.rowCount);
  const src = base.ids;
  for (let i = 0; i < ids.length; i++) {
    const b = src[i] as number;
    let id = remap[b] as number;
    if (id < 0) {
      const value = results[b];
      id = byValue.get(value) ?? -1;
      if (id < 0) {
        id = keys.length;
        keys.push(value);
        byValue.set(value, id);
      }
      remap[b] = id;
    }
    ids[i] = id;
  }
  return { ids, keys };
}
