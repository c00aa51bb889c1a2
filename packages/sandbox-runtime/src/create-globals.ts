/**
 * The analyst's globals for one run: `df`, `aq`, `op`, `data`, `px`.
 * Runs inside the isolate (and in Node for tests and benchmarks): ECMAScript built-ins and arquero only.
 */
import * as arquero from 'arquero';
import { ColumnTable } from 'arquero';
import { COLUMN_SHAPE_KEEPERS, PrivatePackedColumn, PrivateStringColumn, PrivateValueColumn, UnpackedColumn, createLazyColumns, decodeRows } from './columns.ts';
import type { DatasetPayload, LazyColumns, LazyColumnsOptions } from './columns.ts';
import { ColumnView, VIEW_SHAPE_KEEPER, datasetOf, registerDataset, shareDataset } from './dataset.ts';
import { dictionaryGroups, fastRollup, singleColumnKey } from './fast-agg.ts';
import type { ArqueroGroups } from './fast-agg.ts';

/** The prototype of arquero's aggregate expressions (`op.sum('x')`), to recognise them. */
const OP_PROTOTYPE = Object.getPrototypeOf(arquero.op.count()) as object;
import type { Column } from '@plotbox/sandbox-protocol';
import { collectPrototypes, enableOverrides, hardenCollected } from './harden-prototypes.ts';
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
/** Lazily-decoded holders of rows picked from the dataset (`reify`), with their row counts. */
const pickedHolders = new WeakMap<object, number>();

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
    const rowCount = lazyHolders.get(columns)?.rowCount ?? pickedHolders.get(columns);
    if (rowCount === undefined) {
      // @ts-expect-error arquero's constructor takes (data, names, filter, group, order, params).
      super(columns, names, ...rest);
      return;
    }
    const keys = names ?? Object.keys(columns);
    const stub: Record<string, { length: number }> = {};
    if (keys[0] !== undefined) stub[keys[0]] = { length: rowCount };
    // @ts-expect-error as above.
    super(stub, keys, ...rest);
    (this as unknown as { _data: object })._data = columns;
  }

  /**
   * `groupby` of the dataset itself by one dictionary-encoded column groups through the codes
   * (fast-agg.ts): the same groups arquero makes, without reading every row's string.
   */
  override groupby(...keys: unknown[]): this {
    const name = singleColumnKey(keys);
    const view = name === undefined ? undefined : datasetOf(this);
    const groups = view === undefined || name === undefined ? undefined : dictionaryGroups(view, name);
    if (groups === undefined) {
      // @ts-expect-error arquero's typings declare groupby(...keys: ExprList[]).
      return super.groupby(...keys);
    }
    const grouped = (this as unknown as { create(parts: object): unknown }).create({ groups }) as this;
    shareDataset(grouped, this);
    return grouped;
  }

  /**
   * `rollup` of the dataset (whole, or grouped through its codes) with plain `op.count/valid/sum/
   * mean/min/max(column)` aggregates runs over the typed columns (fast-agg.ts `fastRollup`): the
   * same table arquero makes. Anything else takes arquero's path.
   */
  override rollup(values?: unknown): this {
    const view = datasetOf(this);
    const self = this as unknown as { _group: ArqueroGroups | null; create(parts: object): unknown };
    const fast = view === undefined ? undefined : fastRollup(view, self._group ?? null, values, OP_PROTOTYPE);
    if (fast === undefined) {
      // @ts-expect-error arquero's typings declare rollup(values?: ExprObject).
      return super.rollup(values);
    }
    return self.create({ data: fast.data, names: fast.names, groups: null, filter: null, order: null }) as this;
  }

  /**
   * arquero's `reify(indices)` (behind `sample`, `slice` of the dataset, …) reads whole columns;
   * for the dataset's own ungrouped rows, decode just the picked rows instead, and only those
   * columns that are read (a lazy holder, as the dataset's own). Same values, same (plain array)
   * column type; anything else takes arquero's path.
   */
  override reify(indices?: ArrayLike<number>): this {
    const self = this as unknown as { _data: object; _names: readonly string[]; isGrouped(): boolean; create(parts: object): unknown };
    const lazy = lazyHolders.get(self._data);
    if (lazy === undefined || indices === undefined || self.isGrouped()) {
      // @ts-expect-error arquero's typings declare reify(indices?: number[]).
      return super.reify(indices);
    }
    const columns: Column[] = [];
    for (const name of self._names) {
      const column = lazy.raw.get(name);
      // @ts-expect-error as above.
      if (column === undefined) return super.reify(indices);
      columns.push(column);
    }
    const picked = Uint32Array.from(indices);
    const data = Object.create(null) as Record<string, unknown[]>;
    for (const column of columns) {
      let decoded: unknown[] | undefined;
      Object.defineProperty(data, column.name, { enumerable: true, get: () => (decoded ??= decodeRows(column, lazy.rowCount, picked)) });
    }
    pickedHolders.set(Object.freeze(data), picked.length);
    return self.create({ data, names: self._names, groups: null, filter: null, order: null }) as this;
  }
}

/**
 * arquero's namespace without the loaders (`loadCSV`, `fromCSVStream`, …): they fetch URLs or
 * read streams, which a sandbox has neither of, so they could only fail confusingly; and without
 * `addFunction`, `addAggregateFunction` and `addWindowFunction`, which write into arquero's
 * module-level registries: in an isolate that serves several runs, one run's additions would be
 * there for the next. (A function of the row, or `aq.escape(fn)`, does the same within a run.)
 */
const aqNamespace = Object.freeze(Object.fromEntries(Object.entries(arquero).filter(([name]) => !name.startsWith('load') && !name.endsWith('Stream') && !name.startsWith('add')))) as Readonly<
  typeof arquero
>;

/**
 * Freezes, transitively, every object of the runtime a run can reach and that outlives the run:
 * the `aq` namespace (arquero's classes and their prototypes), `op`, `px` and the `df` class.
 * Inside the isolate only (needs ses's `harden`, installed by `lockdown()`); in Node (tests, the
 * in-process benchmark) it is never called.
 */
export function hardenRuntime(): void {
  const harden = (globalThis as { harden?: (value: unknown) => unknown }).harden;
  if (typeof harden !== 'function') throw new Error('hardenRuntime needs a locked-down realm (ses)');
  // arquero's wrappers (`aq.desc`, `aq.escape`) are made by `Object.assign(this, { toString… })`,
  // which a frozen `toString` on their prototype would refuse (the "override mistake" ses repairs
  // for the built-ins): make those two properties accessors that let instances shadow them.
  const wrapperPrototype = Object.getPrototypeOf(arquero.desc('a')) as object;
  enableOverrides(wrapperPrototype, ['toString', 'toObject']);
  harden(aqNamespace);
  harden(arquero.op);
  harden(px);
  harden(DatasetTable);
  // The runtime's own per-run helpers share their classes across runs (stable code, dataset.ts):
  // analyst code never reaches their instances, but their prototypes are frozen all the same.
  for (const shared of [ColumnView, PrivatePackedColumn, PrivateStringColumn, PrivateValueColumn, UnpackedColumn]) harden(shared);
  // Referenced here so that they live as long as the runtime (a closure of the bundle keeps them).
  harden([COLUMN_SHAPE_KEEPERS, VIEW_SHAPE_KEEPER]);
  // Classes the namespaces do not expose are reachable from what their functions return: arquero's
  // `Op` expressions (`op.sum('x')`), its descending-order and escape wrappers, and flechette's
  // Arrow table, column and batch classes (`toArrow`, `fromArrow`). One cheap instance of each;
  // test/sandbox-reuse.test.ts walks everything a run can reach to catch any left out.
  const t = arquero.table({ a: [1], b: ['x'], c: [1.5], d: [true] });
  const samples: (() => unknown)[] = [() => arquero.op.sum('a'), () => arquero.desc('a'), () => arquero.escape((x: unknown) => x), () => t.toArrow(), () => arquero.fromArrow(t.toArrowIPC())];
  for (const make of samples) hardenPrototypes(make(), harden);
}

/**
 * Hardens the prototype of every object reachable from `root` (not the objects themselves: they
 * are per run), keeping its properties overridable on instances (harden-prototypes.ts).
 */
function hardenPrototypes(root: unknown, harden: (value: unknown) => unknown): void {
  const protos = new Set<object>();
  collectPrototypes(root, protos);
  hardenCollected(protos, harden);
}

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
