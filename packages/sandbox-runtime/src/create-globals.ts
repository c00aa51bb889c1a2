/**
 * The analyst's globals for one run: `df`, `aq`, `op`, `data`, `px`.
 * Runs inside the isolate (and in Node for tests and benchmarks): ECMAScript built-ins and arquero only.
 */
import * as arquero from 'arquero';
import { ColumnTable } from 'arquero';
import { createLazyColumns, decodeRows } from './columns.ts';
import type { DatasetPayload, LazyColumns, LazyColumnsOptions } from './columns.ts';
import { registerDataset } from './dataset.ts';
import type { Column } from '@plotbox/sandbox-protocol';
import { px } from './px.ts';
import type { Px } from './px.ts';

/** The five names Code Mode adds to the ECMAScript built-ins (SPEC §2). */
export const GLOBAL_NAMES = Object.freeze(['df', 'aq', 'op', 'data', 'px'] as const);

export interface SandboxGlobals {
  /** The dataset as an arquero table over the same frozen arrays as `data`. */
  readonly df: arquero.ColumnTable;
  /** arquero's namespace (frozen copy, no URL/stream loaders): `aq.table`, `aq.from`, `aq.desc`, `aq.seed`, … */
  readonly aq: Readonly<typeof arquero>;
  /** arquero's operator namespace: `op.sum`, `op.mean`, `op.substring`, … */
  readonly op: typeof arquero.op;
  /** The dataset as a deep-frozen, null-prototype object of column arrays: `data.region[i]`. */
  readonly data: LazyColumns;
  /** Figure builders returning Plotly figure JSON. */
  readonly px: Px;
}

/** Lazily-decoded column holders this module created, with their row counts and raw columns. */
const lazyHolders = new WeakMap<object, { readonly rowCount: number; readonly raw: ReadonlyMap<string, Column> }>();

/**
 * An arquero table that keeps a lazy column holder lazy.
 *
 * arquero's `Table` constructor copies its columns with `{ ...columns }`, which would run every
 * column getter (decoding the whole dataset) the moment `df` is built and again on every
 * `groupby`/`filter`/`orderby`. For a holder from {@link createLazyColumns} this constructor
 * hands the base class a one-column stub that only carries the row count, then keeps the
 * (already frozen) holder itself as the table's data. Any other data takes arquero's normal path,
 * so tables derived by `rollup`, `derive`, `select`, … are ordinary.
 */
class DatasetTable extends ColumnTable {
  constructor(columns: object, names?: readonly string[], ...rest: unknown[]) {
    const lazy = lazyHolders.get(columns);
    if (lazy === undefined) {
      // @ts-expect-error arquero's constructor takes (data, names, filter, group, order, params).
      super(columns, names, ...rest);
      return;
    }
    const keys = names ?? Object.keys(columns);
    const stub: Record<string, { length: number }> = {};
    if (keys[0] !== undefined) stub[keys[0]] = { length: lazy.rowCount };
    // @ts-expect-error as above.
    super(stub, keys, ...rest);
    (this as unknown as { _data: object })._data = columns;
  }

  /**
   * arquero's `reify(indices)` (behind `sample`, `slice` of the dataset, …) reads whole columns;
   * for the dataset's own ungrouped rows, decode just the picked rows instead. Same values, same
   * (plain array) column type; anything else takes arquero's path.
   */
  override reify(indices?: ArrayLike<number>): this {
    const self = this as unknown as { _data: object; _names: readonly string[]; isGrouped(): boolean; create(parts: object): unknown };
    const lazy = lazyHolders.get(self._data);
    if (lazy === undefined || indices === undefined || self.isGrouped()) {
      // @ts-expect-error arquero's typings declare reify(indices?: number[]).
      return super.reify(indices);
    }
    const data: Record<string, unknown[]> = {};
    for (const name of self._names) {
      const column = lazy.raw.get(name);
      // @ts-expect-error as above.
      if (column === undefined) return super.reify(indices);
      data[name] = decodeRows(column, lazy.rowCount, indices);
    }
    return self.create({ data, names: self._names, groups: null, filter: null, order: null }) as this;
  }
}

/**
 * arquero's namespace without the loaders (`loadCSV`, `fromCSVStream`, …): they fetch URLs or
 * read streams, which a sandbox has neither of, so they could only fail confusingly.
 */
const aqNamespace = Object.freeze(
  Object.fromEntries(Object.entries(arquero).filter(([name]) => !name.startsWith('load') && !name.endsWith('Stream'))),
) as Readonly<typeof arquero>;

/**
 * Build the analyst's globals from a columnar payload. Nothing is decoded here: a column becomes
 * a frozen array the first time `data.<name>` or an arquero verb reads it.
 * @throws TypeError when the payload is malformed.
 */
export function createGlobals(payload: DatasetPayload, options: LazyColumnsOptions = {}): SandboxGlobals {
  const { columns, names, rowCount, raw } = createLazyColumns(payload, options);
  lazyHolders.set(columns, { rowCount, raw });
  const df = new DatasetTable(columns, names) as unknown as arquero.ColumnTable;
  registerDataset(df, columns, (df as unknown as { _names: readonly string[] })._names, rowCount, raw);
  return Object.freeze({ df, aq: aqNamespace, op: arquero.op, data: columns, px });
}
