/**
 * Grouping through dictionary codes, for arquero verbs on the dataset's own table.
 *
 * `df.groupby('product')` in arquero reads every row's value, turns it into a string key and looks
 * it up in an object (≈10 ms per 100k rows, before any aggregation). A dictionary-encoded column
 * already numbers its values: the groups are its codes, renumbered in order of first appearance.
 * This module builds arquero's own group structure from them, so every verb that follows
 * (`rollup`, `count`, `derive`, `filter`, …) runs unchanged on groups identical to the ones arquero
 * would have made (create-globals.test.ts / fast-agg.test.ts compare the two on random data).
 * The group index per row is built only when such a verb reads it: a plain `rollup` (fastRollup)
 * sums through the codes themselves when each group is one code and no row is null.
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
  // One light pass finds each code's first row (out-of-range codes, null, share slot `size`);
  // the groups are then the slots in order of first row. arquero keys groups by its
  // `key(value)`: a string is keyed quoted, null as null, so equal strings share a group and
  // null has its own, as here.
  const first = firstRows(codes, size, rowCount);
  const slots: number[] = [];
  for (let slot = 0; slot <= size; slot++) if ((first[slot] as number) >= 0) slots.push(slot);
  slots.sort((a, b) => (first[a] as number) - (first[b] as number));
  const codeToGroup = new Int32Array(size + 1).fill(-1);
  const byValue = new Map<string, number>();
  const rows: number[] = [];
  for (const slot of slots) {
    let group = slot === size ? -1 : (byValue.get(dictionary[slot] as string) ?? -1);
    if (group < 0) {
      group = rows.length;
      rows.push(first[slot] as number);
      if (slot !== size) byValue.set(dictionary[slot] as string, group);
    }
    codeToGroup[slot] = group;
  }
  // The group index per row is only built when a verb reads it: a rollup through the codes
  // (fastRollup) never does.
  let keys: Uint32Array | undefined;
  const groups = {
    get keys(): Uint32Array {
      return (keys ??= groupKeys(codes, codeToGroup, size, rowCount));
    },
    get: [view.reader(name)],
    names: [name],
    rows,
    size: rows.length,
  };
  // Aggregating per code is the same as per group, in the same row order, when every group is
  // one code and no row is null: the codes can then stand for the group index.
  const direct = slots.length === rows.length && (first[size] as number) < 0;
  ours.set(groups, direct ? { codes: new Uint32Array(codes.buffer, codes.byteOffset, rowCount), slots: size, codeToGroup } : undefined);
  return groups;
}

/** First row of each code (-1: none); out-of-range codes count as code `size`. */
function firstRows(codes: Int32Array, size: number, rowCount: number): Int32Array {
  const first = new Int32Array(size + 1).fill(-1);
  let unseen = size;
  let i = 0;
  for (; i < rowCount && unseen > 0; i++) {
    let code = codes[i] as number;
    if (!(code >= 0 && code < size)) code = size;
    if ((first[code] as number) < 0) {
      first[code] = i;
      if (code !== size) unseen--;
    }
  }
  // Every code has been seen (on real data, within a few rows): only a null can still be first.
  if ((first[size] as number) < 0)
    for (; i < rowCount; i++) {
      const code = codes[i] as number;
      if (!(code >= 0 && code < size)) {
        first[size] = i;
        break;
      }
    }
  return first;
}

/** arquero's group index per row, from the codes. */
function groupKeys(codes: Int32Array, codeToGroup: Int32Array, size: number, rowCount: number): Uint32Array {
  const keys = new Uint32Array(rowCount);
  for (let i = 0; i < rowCount; i++) {
    let code = codes[i] as number;
    if (!(code >= 0 && code < size)) code = size;
    keys[i] = codeToGroup[code] as number;
  }
  return keys;
}

/**
 * The one column name a `groupby(...)` call groups by, when it is that simple: `'a'` or `['a']`.
 * Anything else (several keys, objects, functions, selections) is arquero's to handle.
 */
export function singleColumnKey(args: readonly unknown[]): string | undefined {
  const flat = args.length === 1 && Array.isArray(args[0]) ? (args[0] as readonly unknown[]) : args;
  return flat.length === 1 && typeof flat[0] === 'string' ? flat[0] : undefined;
}

/** Per-code aggregation: the codes as group indices over `slots` slots, and each slot's group. */
interface DirectCodes {
  readonly codes: Uint32Array;
  readonly slots: number;
  readonly codeToGroup: Int32Array;
}

/**
 * Groups made by {@link dictionaryGroups} (a table grouped by one of them is the dataset, grouped
 * through its codes), with their codes when rows can be aggregated per code.
 */
const ours = new WeakMap<object, DirectCodes | undefined>();

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
  const direct = groups === null ? undefined : ours.get(groups);
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
    // Read only: the aggregates are new values.
    const column = view.numericToRead(field);
    if (column === undefined) return undefined;
    specs.push({ name, op: op.name, column });
  }
  const size = groups === null ? 1 : groups.size;
  // Per code (then each code's result moved to its group) or per group index; both in row order.
  const keys = groups === null ? undefined : direct === undefined ? groups.keys : direct.codes;
  const slots = direct === undefined ? size : direct.slots;
  const place = (perSlot: ArrayLike<unknown>): unknown[] => {
    if (direct === undefined) return Array.from(perSlot);
    const out = new Array<unknown>(size);
    for (let slot = 0; slot < slots; slot++) {
      const group = direct.codeToGroup[slot] as number;
      if (group >= 0) out[group] = perSlot[slot];
    }
    return out;
  };
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
  let counts: Float64Array | undefined;
  for (const spec of specs) {
    if (spec.column === undefined) {
      counts ??= groupCounts(keys, slots, rowCount);
      add(spec.name, place(counts));
      continue;
    }
    add(spec.name, place(aggregate(spec.op, spec.column, keys, slots, rowCount)));
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
      if (keys !== undefined) {
        // Grouped: one loop per array type, each monomorphic (an int column has no NaN).
        if (values instanceof Int32Array) {
          // No nulls, and every group has a row: every sum is defined (a code no row has is
          // never placed in a group, see fastRollup).
          sumInts(values, keys, acc, rowCount);
          for (let g = 0; g < size; g++) out[g] = acc[g];
          break;
        }
        sumFloats(values, keys, acc, valid, rowCount);
        for (let g = 0; g < size; g++) out[g] = (valid[g] as number) > 0 ? acc[g] : undefined;
        break;
      }
      // Ungrouped: one sum.
      let sum = 0;
      let count = 0;
      for (let i = 0; i < rowCount; i++) {
        const v = values[i] as number;
        if (v !== v) continue;
        count++;
        sum += v;
      }
      out[0] = count > 0 ? sum : undefined;
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

/** Grouped sums of an int column (no nulls: a nullable int column arrives as floats with NaN). */
function sumInts(values: Int32Array, keys: Uint32Array, acc: Float64Array, rowCount: number): void {
  for (let i = 0; i < rowCount; i++) {
    const g = keys[i] as number;
    acc[g] = (acc[g] as number) + (values[i] as number);
  }
}

/** Grouped sums of a number column, NaN (null) skipped. */
function sumFloats(values: Float64Array, keys: Uint32Array, acc: Float64Array, valid: Float64Array, rowCount: number): void {
  for (let i = 0; i < rowCount; i++) {
    const v = values[i] as number;
    if (v !== v) continue;
    const g = keys[i] as number;
    valid[g] = (valid[g] as number) + 1;
    acc[g] = (acc[g] as number) + v;
  }
}
