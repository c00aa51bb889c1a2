/**
 * Reading columns for px: groups (colour, facets, categories) as ids per row, numbers as typed
 * arrays where the dataset has them, row subsets, aggregation per group. Every function gives
 * the same result on the base `df` (typed fast paths) as on any other table (generic path).
 * Pure ECMAScript; runs inside the isolate.
 */
import { createAccumulator, isFiniteNumber } from '../stats.ts';
import type { Accumulator, Aggregation } from '../stats.ts';
import { datasetFunctionKeys, isRowFunction } from '../px-source.ts';
import type { ColumnRef, Source } from '../px-source.ts';
import type { KeyColumn } from '../dataset.ts';
import { fail, refName } from './options.ts';
import type { Ctx } from './options.ts';

/** Row indices, or `null` for "every row of the table". */
export type RowSet = ArrayLike<number> | null;

/** Group label for a value: nulls are a group of their own, shown as "(null)". */
export function groupName(value: unknown): string {
  return value === null || value === undefined ? '(null)' : String(value);
}

/** Group ids per row from plain values: nulls (and undefined) are one group; first appearance order. */
export function keysFromValues(values: ArrayLike<unknown>): KeyColumn {
  const index = new Map<unknown, number>();
  const keys: unknown[] = [];
  const ids = new Int32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i] ?? null;
    let g = index.get(v);
    if (g === undefined) {
      g = keys.length;
      index.set(v, g);
      keys.push(v);
    }
    ids[i] = g;
  }
  return { ids, keys };
}

/**
 * The grouping of `ref`: straight from dictionary codes (or a memoised row function) for the
 * base `df`, else from the column's values. Both give the same groups in the same order.
 */
export function keyColumn(src: Source, ref: ColumnRef, option: string): KeyColumn {
  const view = src.dataset;
  if (view !== undefined) {
    if (typeof ref === 'string' && view.raw(ref) !== undefined) {
      const keys = view.keys(ref);
      if (keys !== undefined) return keys;
    } else if (isRowFunction(ref)) {
      const keys = datasetFunctionKeys(view, ref);
      if (keys !== undefined) return keys;
    }
  }
  return keysFromValues(src.column(ref, option));
}

/**
 * {@link keyColumn} with the analyst's `category_orders` applied: the listed values first, in the
 * given order, then the others in order of first appearance.
 */
export function orderedKeys(c: Ctx, src: Source, ref: ColumnRef, option: string): KeyColumn {
  const key = keyColumn(src, ref, option);
  const orders = c.o['category_orders'];
  if (orders === undefined) return key;
  if (orders === null || typeof orders !== 'object' || Array.isArray(orders)) fail(c, "category_orders must be an object like { region: ['North', 'South'] }");
  const wanted = (orders as Record<string, unknown>)[refName(ref, option)];
  if (wanted === undefined) return key;
  if (!Array.isArray(wanted)) fail(c, `category_orders.${refName(ref, option)} must be an array of values`);
  return reorderKeys(key, wanted);
}

/** Renumber `key` so the values in `first` come first (in that order), the rest after in their order. */
export function reorderKeys(key: KeyColumn, first: readonly unknown[]): KeyColumn {
  const position = new Map<unknown, number>();
  first.forEach((v, i) => {
    if (!position.has(v ?? null)) position.set(v ?? null, i);
  });
  const order = key.keys.map((_, i) => i).sort((a, b) => (position.get(key.keys[a]) ?? first.length + a) - (position.get(key.keys[b]) ?? first.length + b));
  if (order.every((v, i) => v === i)) return key;
  const remap = new Int32Array(order.length);
  order.forEach((old, now) => (remap[old] = now));
  const ids = new Int32Array(key.ids.length);
  for (let i = 0; i < ids.length; i++) ids[i] = remap[key.ids[i] as number] as number;
  return { ids, keys: order.map((i) => key.keys[i]) };
}

/** What a column holds, for error messages: 'text', 'true/false values', 'dates'. */
function kindName(value: unknown): string {
  if (typeof value === 'string') return /^\d{4}-\d\d-\d\d/.test(value) ? 'dates (as text)' : 'text';
  if (typeof value === 'boolean') return 'true/false values';
  return typeof value;
}

/**
 * Values of `ref` for numeric summaries (aggregation, bins, quartiles, fits): for a number/int
 * column of the base `df`, its typed array with nulls as NaN, which every summary skips exactly
 * as it skips null. A column with values but no numbers at all is refused, naming it.
 */
export function numericColumn(c: Ctx | string, src: Source, ref: ColumnRef, option: string): ArrayLike<unknown> {
  const view = src.dataset;
  if (view !== undefined && typeof ref === 'string') {
    const raw = view.raw(ref);
    if (raw !== undefined) {
      const values = view.numeric(ref);
      if (values !== undefined) return values;
      const reader = view.reader(ref);
      for (let i = 0; i < view.rowCount; i++) {
        const v = reader(i);
        if (v !== null && v !== undefined) fail(c, `${option}: column "${ref}" holds ${kindName(v)}, not numbers`);
      }
      return src.column(ref, option);
    }
  }
  const values = src.column(ref, option);
  let other: unknown;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (typeof v === 'number') return values;
    if (other === undefined && v !== null && v !== undefined) other = v;
  }
  if (other !== undefined) fail(c, `${option}: ${typeof ref === 'string' ? `column "${ref}"` : 'the values'} hold${typeof ref === 'string' ? 's' : ''} ${kindName(other)}, not numbers`);
  return values;
}

/**
 * {@link numericColumn} for code that only reads the numbers into new values (aggregations,
 * correlations), never into a figure: on the dataset itself, its bound array without a copy.
 */
export function numericToRead(c: Ctx | string, src: Source, ref: ColumnRef, option: string): ArrayLike<unknown> {
  const view = src.dataset;
  if (view !== undefined && typeof ref === 'string') {
    const values = view.numericToRead(ref);
    if (values !== undefined) return values;
  }
  return numericColumn(c, src, ref, option);
}

/** Number of rows in a set (`n` for all rows). */
export function sizeOf(rows: RowSet, n: number): number {
  return rows === null ? n : rows.length;
}

/** Row `k` of a set. */
export function rowAt(rows: RowSet, k: number): number {
  return rows === null ? k : (rows[k] as number);
}

/** One group of rows: the group's index in `keys` (its colour and order) and its rows. */
export interface RowGroup {
  readonly index: number;
  readonly key: unknown;
  readonly rows: RowSet;
}

/**
 * Split `rows` by `key` (all of `rows` in one group when there is no key), keeping the key's
 * global order so a value has the same index (colour) in every facet. Empty groups are left out.
 */
export function splitRows(key: KeyColumn | undefined, rows: RowSet, n: number): RowGroup[] {
  if (key === undefined) return [{ index: 0, key: undefined, rows }];
  const count = sizeOf(rows, n);
  const sizes = new Int32Array(key.keys.length);
  const ids = key.ids;
  for (let k = 0; k < count; k++) {
    const id = ids[rowAt(rows, k)] as number;
    sizes[id] = (sizes[id] as number) + 1;
  }
  const out: (Int32Array | undefined)[] = Array.from(sizes, (s) => (s > 0 ? new Int32Array(s) : undefined));
  const fill = new Int32Array(key.keys.length);
  for (let k = 0; k < count; k++) {
    const r = rowAt(rows, k);
    const id = ids[r] as number;
    (out[id] as Int32Array)[fill[id] as number] = r;
    fill[id] = (fill[id] as number) + 1;
  }
  const groups: RowGroup[] = [];
  out.forEach((g, index) => {
    if (g !== undefined) groups.push({ index, key: key.keys[index], rows: g });
  });
  return groups;
}

/** Plain array of `values` at `rows` (all rows when `rows` is null); `undefined` → null. */
export function pick(values: ArrayLike<unknown>, rows: RowSet): unknown[] {
  const n = rows === null ? values.length : rows.length;
  // push, for the reason given in pickWith.
  const out: unknown[] = [];
  if (rows === null) for (let i = 0; i < n; i++) out.push(values[i] ?? null);
  else for (let i = 0; i < n; i++) out.push(values[rows[i] as number] ?? null);
  return out;
}

/** Finite numbers of `values` at `rows`, as a Float64Array (nulls, NaN and non-numbers skipped). */
export function finiteAt(values: ArrayLike<unknown>, rows: RowSet): Float64Array {
  const n = sizeOf(rows, values.length);
  const out = new Float64Array(n);
  let m = 0;
  for (let k = 0; k < n; k++) {
    const v = values[rowAt(rows, k)];
    if (isFiniteNumber(v)) out[m++] = v;
  }
  return m === n ? out : out.slice(0, m);
}

/** Order for sorting mixed cells: numbers numerically, text by code units, nulls last. */
export function compareValues(a: unknown, b: unknown): number {
  const an = a === null || a === undefined;
  const bn = b === null || b === undefined;
  if (an || bn) return an === bn ? 0 : an ? 1 : -1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a !== typeof b) return typeof a < typeof b ? -1 : 1;
  const sa = String(a);
  const sb = String(b);
  return sa < sb ? -1 : sa > sb ? 1 : 0;
}

/** Sort `keys` ascending and apply the same permutation to `others`, in place; skips sorted input. */
export function sortTogether(keys: unknown[], ...others: unknown[][]): void {
  let sorted = true;
  for (let i = 1; i < keys.length && sorted; i++) sorted = compareValues(keys[i - 1], keys[i]) <= 0;
  if (sorted) return;
  const order = keys.map((_, i) => i).sort((i, j) => compareValues(keys[i], keys[j]) || i - j);
  for (const arr of [keys, ...others]) {
    const copy = arr.slice();
    for (let i = 0; i < order.length; i++) arr[i] = copy[order[i] as number];
  }
}

/**
 * Aggregate `values` per group id (`ids[row]`, `nIds` groups) over `rows` (all `n` rows when null).
 * @returns the ids in order of first appearance among those rows, and each id's result.
 */
export function aggregateIds(
  ids: ArrayLike<number>,
  nIds: number,
  values: ArrayLike<unknown> | undefined,
  rows: RowSet,
  agg: Aggregation,
  n: number,
): { order: number[]; result: (id: number) => number | null } {
  const order: number[] = [];
  const count = rows === null ? n : rows.length;
  if (agg === 'sum' || agg === 'mean' || agg === 'count' || agg === 'min' || agg === 'max') {
    // Typed accumulators: the same arithmetic, in the same row order, as createAccumulator's.
    const acc = new Float64Array(nIds);
    const cnt = new Float64Array(nIds);
    const seen = new Uint8Array(nIds);
    const kind = agg === 'count' || values === undefined ? 0 : agg === 'sum' || agg === 'mean' ? 1 : agg === 'min' ? 2 : 3;
    if (rows === null && kind !== 0 && ids instanceof Int32Array && (values instanceof Float64Array || values instanceof Int32Array)) {
      aggregateTyped(ids, values, count, kind, acc, cnt, seen, order);
      return { order, result: typedResult(agg, acc, cnt) };
    }
    for (let k = 0; k < count; k++) {
      const r = rows === null ? k : (rows[k] as number);
      const id = ids[r] as number;
      if (seen[id] === 0) {
        seen[id] = 1;
        order.push(id);
      }
      if (kind === 0) {
        cnt[id] = (cnt[id] as number) + 1;
        continue;
      }
      const v = (values as ArrayLike<unknown>)[r];
      if (typeof v !== 'number' || v - v !== 0) continue;
      const c = cnt[id] as number;
      if (kind === 1) acc[id] = (acc[id] as number) + v;
      else if (c === 0 || (kind === 2 ? v < (acc[id] as number) : v > (acc[id] as number))) acc[id] = v;
      cnt[id] = c + 1;
    }
    return { order, result: typedResult(agg, acc, cnt) };
  }
  const accs: (Accumulator | undefined)[] = new Array<Accumulator | undefined>(nIds);
  for (let k = 0; k < count; k++) {
    const r = rows === null ? k : (rows[k] as number);
    const id = ids[r] as number;
    let a = accs[id];
    if (a === undefined) {
      a = accs[id] = createAccumulator(agg);
      order.push(id);
    }
    a.add(values === undefined ? 1 : values[r]);
  }
  return { order, result: (id) => (accs[id] as Accumulator).result() };
}

function typedResult(agg: Aggregation, acc: Float64Array, cnt: Float64Array): (id: number) => number | null {
  return (id) => {
    const c = cnt[id] as number;
    if (agg === 'count') return c;
    if (c === 0) return null;
    return agg === 'mean' ? (acc[id] as number) / c : (acc[id] as number);
  };
}

/**
 * {@link aggregateIds}' loop for every row of a typed column (the dataset's own columns, a row
 * function's results): the same arithmetic in the same order, in a function that only ever sees
 * typed arrays, so V8 keeps its loads specialised from run to run instead of the generic loop's,
 * which has seen every kind of array earlier runs passed.
 * @param kind 1 sum/mean, 2 min, 3 max
 */
function aggregateTyped(ids: Int32Array, values: Float64Array | Int32Array, count: number, kind: number, acc: Float64Array, cnt: Float64Array, seen: Uint8Array, order: number[]): void {
  for (let r = 0; r < count; r++) {
    const id = ids[r] as number;
    if (seen[id] === 0) {
      seen[id] = 1;
      order.push(id);
    }
    const v = values[r] as number;
    if (v - v !== 0) continue;
    const c = cnt[id] as number;
    if (kind === 1) acc[id] = (acc[id] as number) + v;
    else if (c === 0 || (kind === 2 ? v < (acc[id] as number) : v > (acc[id] as number))) acc[id] = v;
    cnt[id] = c + 1;
  }
}

/** Aggregate `values` per key (restricted to `rows`), keys in first-appearance order; no key → one group per row. */
export function aggregateBy(key: KeyColumn | undefined, values: ArrayLike<unknown> | undefined, rows: RowSet, agg: Aggregation, n: number): { keys: unknown[]; values: (number | null)[] } {
  if (key === undefined) {
    const all = rows === null ? Array.from({ length: n }, (_, i) => i) : Array.from(rows);
    const ids = new Int32Array(n);
    all.forEach((r, i) => (ids[r] = i));
    const a = aggregateIds(ids, all.length, values, rows, agg, n);
    return { keys: a.order.map((id) => all[id]), values: a.order.map(a.result) };
  }
  const a = aggregateIds(key.ids, key.keys.length, values, rows, agg, n);
  return { keys: a.order.map((id) => key.keys[id]), values: a.order.map(a.result) };
}

/** {@link aggregateBy} over a key, with the keys in the key's own (global) order instead of first appearance among `rows`. */
export function aggregateInKeyOrder(key: KeyColumn, values: ArrayLike<unknown> | undefined, rows: RowSet, agg: Aggregation, n: number): { keys: unknown[]; values: (number | null)[] } {
  const a = aggregateIds(key.ids, key.keys.length, values, rows, agg, n);
  const ids = a.order.slice().sort((p, q) => p - q);
  return { keys: ids.map((id) => key.keys[id]), values: ids.map(a.result) };
}

/**
 * One column's values, to read by row: on the base `df`, the dataset's per-row reader over the
 * typed payload (a builder that draws a sample of a million rows never decodes the whole column);
 * on other tables, the column's array, read in place ({@link pickRows}).
 */
export type RowPicker = { readonly read: (row: number) => unknown; readonly values?: undefined } | { readonly read?: undefined; readonly values: ArrayLike<unknown> };

/** How to read `ref` by row (see {@link RowPicker}). */
export function rowPicker(src: Source, ref: ColumnRef, option: string): RowPicker {
  const view = src.dataset;
  if (view !== undefined && typeof ref === 'string' && view.raw(ref) !== undefined) return { read: view.reader(ref) };
  return { values: src.column(ref, option) };
}

/** Row → value of `ref`, exactly what `data[name][row]` holds ({@link rowPicker} as a function). */
export function columnReader(src: Source, ref: ColumnRef, option: string): (row: number) => unknown {
  const picker = rowPicker(src, ref, option);
  if (picker.values === undefined) return picker.read;
  const values = picker.values;
  return (row) => values[row] ?? null;
}

/**
 * The picked column at `rows` (all `n` rows when null), as a plain array: what {@link pickWith}
 * gives with the column's reader. A column's array is read in place rather than through a
 * closure per row: many builders pass pickWith their own closures, so V8 calls them without
 * inlining (a 5,000-point scatter spent ≈12% of px.scatter there).
 */
export function pickRows(picker: RowPicker, rows: RowSet, n: number): unknown[] {
  const values = picker.values;
  if (values === undefined) return pickWith(picker.read, rows, n);
  const count = sizeOf(rows, n);
  const out: unknown[] = [];
  if (rows === null) for (let k = 0; k < count; k++) out.push(values[k] ?? null);
  else for (let k = 0; k < count; k++) out.push(values[rows[k] as number] ?? null);
  return out;
}

/** `read` at `rows` (all `n` rows when null), as a plain array. */
export function pickWith(read: (row: number) => unknown, rows: RowSet, n: number): unknown[] {
  const count = sizeOf(rows, n);
  // push, not `new Array(count)` written by index: once lockdown has frozen Array.prototype, a write
  // into a hole looks up the prototype chain for a setter, ≈10× slower in an isolate.
  const out: unknown[] = [];
  for (let k = 0; k < count; k++) out.push(read(rowAt(rows, k)) ?? null);
  return out;
}

/** Rows of the table behind `src`; for `null` with array options, the length of the first one. */
export function rowCount(src: Source, refs: readonly (ColumnRef | undefined)[], options: readonly string[]): number {
  if (src.rows >= 0) return src.rows;
  for (let i = 0; i < refs.length; i++) {
    const r = refs[i];
    if (r !== undefined) return src.column(r, options[i] ?? 'x').length;
  }
  return 0;
}

/** Is the first non-null value of `ref` a number (numeric colour scales vs. categories)? */
export function firstIsNumber(src: Source, ref: ColumnRef, option: string): boolean {
  const read = columnReader(src, ref, option);
  const n = rowCount(src, [ref], [option]);
  for (let i = 0; i < n; i++) {
    const v = read(i);
    if (v !== null && v !== undefined) return typeof v === 'number';
  }
  return false;
}
