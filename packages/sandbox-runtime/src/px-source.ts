/**
 * What px builders accept as "a table": an arquero table, a plain object of column arrays, an
 * array of row objects, or nothing when every option is itself an array. Columns are read as
 * arrays (array-likes) once per option; nothing here copies a column it does not need.
 */

/** A column reference in px options: a column name, or the values themselves. */
export type ColumnRef = string | ArrayLike<unknown>;

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
export function toSource(fn: string, input: unknown): Source {
  if (isTableLike(input)) {
    const table = input;
    const names = table.columnNames();
    // A filtered or ordered table's backing arrays are not its rows; array() materialises them.
    const direct = !table.isFiltered() && !table.isOrdered();
    return {
      rows: table.numRows(),
      names,
      column: (ref, option) => resolve(fn, ref, option, names, table.numRows(), (name) => (direct ? table.column(name) : table.array(name)) ?? []),
    };
  }
  if (Array.isArray(input)) {
    const rows = input as readonly unknown[];
    const first = rows.find((r) => r !== null && typeof r === 'object');
    const names = first === undefined ? [] : Object.keys(first);
    return {
      rows: rows.length,
      names,
      column: (ref, option) =>
        resolve(fn, ref, option, names, rows.length, (name) =>
          rows.map((r) => (r !== null && typeof r === 'object' ? ((r as Record<string, unknown>)[name] ?? null) : null)),
        ),
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
  throw new TypeError(`${fn}: the first argument must be an arquero table (df), an object of column arrays or an array of row objects`);
}

function resolve(fn: string, ref: ColumnRef, option: string, names: readonly string[], rows: number, get: (name: string) => ArrayLike<unknown>): ArrayLike<unknown> {
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
  throw new TypeError(`${fn}: ${option} must be a column name or an array`);
}
