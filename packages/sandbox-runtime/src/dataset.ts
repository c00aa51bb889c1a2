/**
 * Fast paths over the dataset's own typed arrays.
 *
 * `createGlobals` registers the base `df` here (a module-private WeakMap, unreachable from analyst
 * code). When a px builder is handed that table, it reads the columnar payload directly: groups by
 * dictionary code, aggregates over Float64Array/Int32Array, bins and sorts typed copies. Nothing is
 * decoded into frozen arrays, and every result equals what the generic path computes from the
 * decoded columns (tests compare the two).
 * Runs inside the isolate: ECMAScript built-ins only.
 */
import type { Column } from '@plotbox/sandbox-protocol';
import { codesToRead, dateFormatter, validToRead, valuesToRead } from './columns.ts';
import type { LazyColumns } from './columns.ts';

/** Rows grouped by value: `ids[row]` indexes `keys`, which are in order of first appearance. */
export interface KeyColumn {
  /** Read only, never handed out: it may be the dataset's own codes, shared by every run of an isolate. */
  readonly ids: Int32Array;
  /** Decoded values (as `data.<column>` holds them; nulls as `null`). */
  readonly keys: unknown[];
}

/** The base dataset behind `df`. */
export interface DatasetView {
  readonly rowCount: number;
  readonly names: readonly string[];
  /** The raw payload column, or undefined for an unknown name. */
  raw(name: string): Column | undefined;
  /** Numbers of a `number`/`int` column with nulls as NaN (every numeric summary skips both); undefined for other kinds. */
  numeric(name: string): Float64Array | Int32Array | undefined;
  /**
   * {@link DatasetView.numeric} for reading only, by code whose results are new values (sums,
   * correlations): may be the dataset's bound array, which must never be written or handed out.
   */
  numericToRead(name: string): Float64Array | Int32Array | undefined;
  /** Group ids per row and the decoded distinct values; undefined for number/int columns (too many distinct values to pay off). */
  keys(name: string): KeyColumn | undefined;
  /** A per-row reader returning exactly what `data[name][row]` holds. */
  reader(name: string): (row: number) => unknown;
}

interface Registered {
  readonly view: DatasetView;
  readonly holder: LazyColumns;
}

const registry = new WeakMap<object, Registered>();

/** Register `table` (the base `df`) as reading `holder`, decoded from `raw`. */
export function registerDataset(table: object, holder: LazyColumns, names: readonly string[], rowCount: number, raw: ReadonlyMap<string, Column>): void {
  registry.set(table, { view: createView(names, rowCount, raw), holder });
}

/** Registers `derived` (a table arquero made from `base` by grouping it) as reading `base`'s dataset. */
export function shareDataset(derived: object, base: object): void {
  const entry = registry.get(base);
  if (entry !== undefined) registry.set(derived, entry);
}

/**
 * The dataset view for `table` when it is the registered base `df`, or a table arquero derived from
 * it that still reads all its rows, in order, under the same column names (a `groupby` of it: the
 * groups are the caller's to check), since arquero's internals are plain fields, check they are
 * what they were.
 */
export function datasetOf(table: unknown): DatasetView | undefined {
  if (table === null || typeof table !== 'object') return undefined;
  const entry = registry.get(table);
  if (entry === undefined) return undefined;
  const t = table as { _data?: unknown; _mask?: unknown; _order?: unknown; _nrows?: unknown; _names?: unknown };
  if (t._data !== entry.holder || t._mask !== null || t._order !== null || t._nrows !== entry.view.rowCount || !sameNames(t._names, entry.view.names)) return undefined;
  return entry.view;
}

/** Tables arquero derives (`groupby`) copy the names array: the same names, in order, are the dataset's. */
function sameNames(names: unknown, expected: readonly string[]): boolean {
  if (names === expected) return true;
  if (!Array.isArray(names) || names.length !== expected.length) return false;
  for (let i = 0; i < expected.length; i++) if (names[i] !== expected[i]) return false;
  return true;
}

function createView(names: readonly string[], rowCount: number, raw: ReadonlyMap<string, Column>): DatasetView {
  return new ColumnView(names, rowCount, raw);
}

/**
 * A class, not an object of closures: its methods are the same functions in every run, and its
 * instances share one hidden class, so optimised code that calls them (fast-agg.ts, px) stays valid
 * from one run of a kept isolate to the next, instead of deoptimising whenever the previous run's
 * closures are collected. Its prototype is frozen with the runtime's (create-globals.ts).
 */
export class ColumnView implements DatasetView {
  readonly rowCount: number;
  readonly names: readonly string[];
  readonly #raw: ReadonlyMap<string, Column>;
  readonly #numeric = new Map<string, Float64Array | Int32Array>();
  readonly #keys = new Map<string, KeyColumn>();
  readonly #dateText = new Map<string, (ms: number) => string | null>();
  readonly #readers = new Map<string, (row: number) => unknown>();

  constructor(names: readonly string[], rowCount: number, raw: ReadonlyMap<string, Column>) {
    this.rowCount = rowCount;
    this.names = names;
    this.#raw = raw;
  }

  raw(name: string): Column | undefined {
    return this.#raw.get(name);
  }

  numeric(name: string): Float64Array | Int32Array | undefined {
    const hit = this.#numeric.get(name);
    if (hit !== undefined) return hit;
    const column = this.#raw.get(name);
    if (column === undefined || (column.kind !== 'number' && column.kind !== 'int')) return undefined;
    const valid = validToRead(column);
    // Handed out (px puts columns in figures): the run's private copy, unless a new array is made anyway.
    let out: Float64Array | Int32Array;
    if (valid === undefined) out = column.values;
    else {
      const copy = new Float64Array(valuesToRead(column));
      for (let i = 0; i < this.rowCount; i++) if (valid[i] === 0) copy[i] = NaN;
      out = copy;
    }
    this.#numeric.set(name, out);
    return out;
  }

  numericToRead(name: string): Float64Array | Int32Array | undefined {
    const column = this.#raw.get(name);
    if (column === undefined || (column.kind !== 'number' && column.kind !== 'int')) return undefined;
    // With nulls, numeric() makes a new array (NaN for null) from the bound one anyway.
    return validToRead(column) === undefined ? valuesToRead(column) : this.numeric(name);
  }

  keys(name: string): KeyColumn | undefined {
    const hit = this.#keys.get(name);
    if (hit !== undefined) return hit;
    const column = this.#raw.get(name);
    if (column === undefined || column.kind === 'number' || column.kind === 'int') return undefined;
    const rowCount = this.rowCount;
    const out =
      column.kind === 'string'
        ? stringKeys(column, rowCount)
        : column.kind === 'date'
          ? mappedKeys(valuesToRead(column), validToRead(column), rowCount, this.#formatter(name, column))
          : mappedKeys(valuesToRead(column), validToRead(column), rowCount, boolValue);
    this.#keys.set(name, out);
    return out;
  }

  reader(name: string): (row: number) => unknown {
    let read = this.#readers.get(name);
    if (read === undefined) {
      read = this.#makeReader(name);
      this.#readers.set(name, read);
    }
    return read;
  }

  #formatter(name: string, column: Column & { kind: 'date' }): (ms: number) => string | null {
    let f = this.#dateText.get(name);
    if (f === undefined) {
      f = dateFormatter(valuesToRead(column), validToRead(column), this.rowCount);
      this.#dateText.set(name, f);
    }
    return f;
  }

  #makeReader(name: string): (row: number) => unknown {
    const column = this.#raw.get(name);
    if (column === undefined) return () => undefined;
    switch (column.kind) {
      // The readers return values, never the arrays: they read the bound arrays (columns.ts).
      case 'string': {
        const { dictionary } = column;
        const codes = codesToRead(column);
        const size = dictionary.length;
        return (row) => {
          const code = codes[row] as number;
          return code >= 0 && code < size ? dictionary[code] : null;
        };
      }
      case 'number':
      case 'int': {
        const values = valuesToRead(column);
        const valid = validToRead(column);
        return valid === undefined ? (row) => values[row] : (row) => (valid[row] === 0 ? null : values[row]);
      }
      case 'bool': {
        const values = valuesToRead(column);
        const valid = validToRead(column);
        return (row) => (valid !== undefined && valid[row] === 0 ? null : values[row] !== 0);
      }
      case 'date': {
        const values = valuesToRead(column);
        const valid = validToRead(column);
        const text = this.#formatter(name, column);
        return (row) => (valid !== undefined && valid[row] === 0 ? null : text(values[row] as number));
      }
    }
  }
}

const boolValue = (v: number): boolean => v !== 0;

/** An instance of {@link ColumnView} alive as long as the isolate, for the reason of `COLUMN_SHAPE_KEEPERS` (columns.ts). */
export const VIEW_SHAPE_KEEPER: object = new ColumnView([], 0, new Map());

/** Dictionary codes → group ids in first-appearance order; equal strings (or out-of-range codes, which are null) share a group. */
function stringKeys(column: Column & { kind: 'string' }, rowCount: number): KeyColumn {
  const { dictionary } = column;
  const codes = codesToRead(column);
  const size = dictionary.length;
  // Dictionary entry → group id, assigned on first appearance; slot `size` is null.
  const codeToId = new Int32Array(size + 1).fill(-1);
  const byValue = new Map<unknown, number>();
  const keys: unknown[] = [];
  // A dictionary in order of first appearance, without repeats or nulls, makes every row's id its
  // code: then the ids are the codes themselves (read only, as every KeyColumn's ids are), and no
  // array of the dataset's length is written. Otherwise ids are written from the first row where
  // they differ.
  let ids: Int32Array | undefined;
  for (let i = 0; i < rowCount; i++) {
    const given = codes[i] as number;
    let code = given;
    if (!(code >= 0 && code < size)) code = size;
    let id = codeToId[code] as number;
    if (id < 0) {
      const value = code === size ? null : (dictionary[code] as string);
      id = byValue.get(value) ?? -1;
      if (id < 0) {
        id = keys.length;
        keys.push(value);
        byValue.set(value, id);
      }
      codeToId[code] = id;
    }
    if (ids !== undefined) ids[i] = id;
    else if (id !== given) {
      ids = new Int32Array(rowCount);
      ids.set(codes.subarray(0, i));
      ids[i] = id;
    }
  }
  return { ids: ids ?? codes, keys };
}

/** Group ids for a typed column whose decoded value is `decode(value)` (nulls where `valid` is 0). */
function mappedKeys(values: Float64Array | Uint8Array, valid: Uint8Array | undefined, rowCount: number, decode: (v: number) => unknown): KeyColumn {
  const byRaw = new Map<number, number>();
  const byValue = new Map<unknown, number>();
  const keys: unknown[] = [];
  const ids = new Int32Array(rowCount);
  let nullId = -1;
  let lastRaw = NaN;
  let lastId = -1;
  for (let i = 0; i < rowCount; i++) {
    if (valid !== undefined && valid[i] === 0) {
      if (nullId < 0) nullId = idFor(null);
      ids[i] = nullId;
      continue;
    }
    const v = values[i] as number;
    // Sorted or run-length data repeats the previous value; skip the Map then.
    if (v === lastRaw) {
      ids[i] = lastId;
      continue;
    }
    let id = byRaw.get(v);
    if (id === undefined) {
      id = idFor(decode(v));
      byRaw.set(v, id);
    }
    ids[i] = id;
    lastRaw = v;
    lastId = id;
  }
  return { ids, keys };

  function idFor(value: unknown): number {
    const key = value ?? null;
    let id = byValue.get(key);
    if (id === undefined) {
      id = keys.length;
      keys.push(key);
      byValue.set(key, id);
    }
    return id;
  }
}
