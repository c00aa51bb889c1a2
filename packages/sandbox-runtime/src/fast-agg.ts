/**
 * Grouping through dictionary codes, for arquero verbs on the dataset's own table.
 *
 * `df.groupby('product')` in arquero reads every row's value, turns it into a string key and looks
 * it up in an object (≈10 ms per 100k rows, before any aggregation). A dictionary-encoded column
 * already numbers its values: the groups are its codes, renumbered in order of first appearance.
 * This module builds arquero's own group structure from them, so every verb that follows
 * (`rollup`, `count`, `derive`, `filter`, …) runs unchanged on groups identical to the ones arquero
 * would have made (create-globals.test.ts / fast-agg.test.ts compare the two on random data).
 * Runs inside the isolate: ECMAScript built-ins only.
 */
import { codesToRead } from './columns.ts';
import type { DatasetView } from './dataset.ts';

/** The group structure arquero's verbs read (`table.groups()`): see arquero's `verbs/groupby.js`. */
export interface ArqueroGroups {
  /** Group index per row. */
  readonly keys: Uint32Array;
  /** One value reader per grouping column, `(row) => value`. */
  readonly get: readonly ((row: number) => unknown)[];
  readonly names: readonly string[];
  /** First row of each group. */
  readonly rows: number[];
  readonly size: number;
}

/**
 * arquero's groups for grouping the whole dataset by one of its dictionary (string) columns, or
 * undefined for another kind of column.
 */
export function dictionaryGroups(view: DatasetView, name: string): ArqueroGroups | undefined {
  const column = view.raw(name);
  if (column === undefined || column.kind !== 'string') return undefined;
  const { dictionary } = column;
  // Read only: the groups are new arrays (columns.ts codesToRead).
  const codes = codesToRead(column);
  const size = dictionary.length;
  const rowCount = view.rowCount;
  // arquero keys groups by its `key(value)`: a string is keyed quoted, null as null, so equal
  // strings share a group and null (an out-of-range code) has its own, as here.
  const codeToGroup = new Int32Array(size + 1).fill(-1);
  const byValue = new Map<string, number>();
  let nullGroup = -1;
  const rows: number[] = [];
  const keys = new Uint32Array(rowCount);
  for (let i = 0; i < rowCount; i++) {
    let code = codes[i] as number;
    if (!(code >= 0 && code < size)) code = size;
    let group = codeToGroup[code] as number;
    if (group < 0) {
      if (code === size) {
        if (nullGroup < 0) {
          nullGroup = rows.length;
          rows.push(i);
        }
        group = nullGroup;
      } else {
        const value = dictionary[code] as string;
        group = byValue.get(value) ?? -1;
        if (group < 0) {
          group = rows.length;
          rows.push(i);
          byValue.set(value, group);
        }
      }
      codeToGroup[code] = group;
    }
    keys[i] = group;
  }
  const read = view.reader(name);
  return markOurs({ keys, get: [read], names: [name], rows, size: rows.length });
}

/**
 * The one column name a `groupby(...)` call groups by, when it is that simple: `'a'` or `['a']`.
 * Anything else (several keys, objects, functions, selections) is arquero's to handle.
 */
export function singleColumnKey(args: readonly unknown[]): string | undefined {
  const flat = args.length === 1 && Array.isArray(args[0]) ? (args[0] as readonly unknown[]) : args;
  return flat.length === 1 && typeof flat[0] === 'string' ? flat[0] : undefined;
}

/** Groups made by {@link dictionaryGroups}: a table grouped by one of them is the dataset, grouped through its codes. */
const ours = new WeakSet<object>();

/** Marks `groups` as made by {@link dictionaryGroups}. */
export function markOurs(groups: ArqueroGroups): ArqueroGroups {
  ours.add(groups);
  return groups;
}

/** An arquero aggregate expression as `op.sum('x')` builds it (arquero's `Op`). */
interface OpLike {
  readonly name: string;
  readonly fields: readonly unknown[];
  readonly params: readonly unknown[];
}

const FAST_OPS = new Set(['count', 'valid', 'sum', 'mean', 'min', 'max']);

/**
 * `rollup(values)` of the dataset, ungrouped or grouped through its codes, when every value is
 * `op.count()`, or `op.valid|sum|mean|min|max(column)` of a number or int column: the columns
 * arquero's `rollup` makes (group keys first, then each aggregate, in order), computed in one
 * pass over the typed columns with arquero's own arithmetic in arquero's order (so sums and
 * means are bit for bit the same). Undefined when anything else is asked.
 */
export function fastRollup(view: DatasetView, groups: ArqueroGroups | null, values: unknown, opPrototype: object): { readonly names: string[]; readonly data: Record<string, unknown[]> } | undefined {
  // arquero aggregates fewer than two groups as one (an empty table then gets one output row):
  // leave those rare cases to it.
  if (groups !== null && (!ours.has(groups) || groups.size < 2)) return undefined;
  if (values === null || typeof values !== 'object' || Array.isArray(values) || Object.getPrototypeOf(values) !== Object.prototype) return undefined;
  const specs: { name: string; op: string; column: Float64Array | Int32Array | undefined }[] = [];
  for (const [name, value] of Object.entries(values)) {
    if (value === null || typeof value !== 'object' || Object.getPrototypeOf(value) !== opPrototype) return undefined;
    const op = value as OpLike;
    if (!FAST_OPS.has(op.name) || op.params.length !== 0) return undefined;
    if (op.name === 'count') {
      if (op.fields.length !== 0) return undefined;
      specs.push({ name, op: op.name, column: undefined });
      continue;
    }
    const field = op.fields[0];
    if (op.fields.length !== 1 || typeof field !== 'string') return undefined;
    const column = view.numeric(field);
    if (column === undefined) return undefined;
    specs.push({ name, op: op.name, column });
  }
  const size = groups === null ? 1 : groups.size;
  const keys = groups?.keys;
  const rowCount = view.rowCount;
  const names: string[] = [];
  const data: Record<string, unknown[]> = Object.create(null) as Record<string, unknown[]>;
  const add = (name: string, column: unknown[]): void => {
    if (!Object.hasOwn(data, name)) names.push(name);
    data[name] = column;
  };
  if (groups !== null) {
    groups.names.forEach((name, j) => {
      const read = groups.get[j] as (row: number) => unknown;
      const out = new Array<unknown>(size);
      for (let i = 0; i < size; i++) out[i] = read(groups.rows[i] as number);
      add(name, out);
    });
  }
  // The passes over the rows are functions of typed arrays alone, apart from this one: their
  // optimised code then depends on nothing a run makes (the analyst's `values` object and its
  // hidden class die with the run, and code specialised to them is thrown away at the next full
  // collection), so a kept isolate's next run starts on it.
  const counts = groupCounts(keys, size, rowCount);
  for (const spec of specs) {
    if (spec.column === undefined) {
      add(spec.name, Array.from(counts));
      continue;
    }
    add(spec.name, aggregate(spec.op, spec.column, keys, size, rowCount));
  }
  return { names, data };
}

/** Rows per group (`keys` undefined: one group of every row). */
function groupCounts(keys: Uint32Array | undefined, size: number, rowCount: number): Float64Array {
  const counts = new Float64Array(size);
  if (keys === undefined) counts[0] = rowCount;
  else
    for (let i = 0; i < rowCount; i++) {
      const g = keys[i] as number;
      counts[g] = (counts[g] as number) + 1;
    }
  return counts;
}

/**
 * One aggregate per group over a numeric column (nulls are NaN), with arquero's arithmetic in
 * arquero's order. arquero counts a value valid when it is neither null nor NaN, and an aggregate
 * of no valid values is undefined (its NULL).
 */
function aggregate(op: string, values: Float64Array | Int32Array, keys: Uint32Array | undefined, size: number, rowCount: number): unknown[] {
  const out = new Array<unknown>(size);
  const valid = new Float64Array(size);
  switch (op) {
    case 'valid': {
      for (let i = 0; i < rowCount; i++) {
        if (values[i] !== values[i]) continue;
        const g = keys === undefined ? 0 : (keys[i] as number);
        valid[g] = (valid[g] as number) + 1;
      }
      for (let g = 0; g < size; g++) out[g] = valid[g];
      break;
    }
    case 'sum': {
      const acc = new Float64Array(size);
      for (let i = 0; i < rowCount; i++) {
        const v = values[i] as number;
        if (v !== v) continue;
        const g = keys === undefined ? 0 : (keys[i] as number);
        valid[g] = (valid[g] as number) + 1;
        acc[g] = (acc[g] as number) + v;
      }
      for (let g = 0; g < size; g++) out[g] = (valid[g] as number) > 0 ? acc[g] : undefined;
      break;
    }
    case 'mean': {
      // arquero's running mean: mean += (v - mean) / valid, in row order.
      const acc = new Float64Array(size);
      for (let i = 0; i < rowCount; i++) {
        const v = values[i] as number;
        if (v !== v) continue;
        const g = keys === undefined ? 0 : (keys[i] as number);
        const n = (valid[g] as number) + 1;
        valid[g] = n;
        const m = acc[g] as number;
        acc[g] = m + (v - m) / n;
      }
      for (let g = 0; g < size; g++) out[g] = (valid[g] as number) > 0 ? acc[g] : undefined;
      break;
    }
    case 'min':
    case 'max': {
      const best = new Array<number | undefined>(size).fill(undefined);
      const less = op === 'min';
      for (let i = 0; i < rowCount; i++) {
        const v = values[i] as number;
        if (v !== v) continue;
        const g = keys === undefined ? 0 : (keys[i] as number);
        const b = best[g];
        if (b === undefined || (less ? v < b : v > b)) best[g] = v;
      }
      for (let g = 0; g < size; g++) out[g] = best[g];
      break;
    }
  }
  return out;
}
