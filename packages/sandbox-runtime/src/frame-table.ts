/**
 * px's adapter for dataframe libraries other than arquero: a danfo `DataFrame` (the `danfo`
 * runtime's `df`, and every frame its methods return) seen as the table shape px-source.ts reads.
 * Duck-typed, so the arquero runtime bundles no danfo code. Columns are danfo's own column arrays
 * (read, never written, and copied into the figure when it is serialized).
 */
import type { TableLike } from './px-source.ts';

/** The parts of a danfo DataFrame the adapter reads (public getters of danfo 1.x). */
interface DanfoFrameLike {
  readonly columns: readonly string[];
  readonly shape: readonly number[];
  readonly getColumnData: readonly (readonly unknown[])[];
  readonly $isSeries?: boolean;
}

/** Is `value` a danfo DataFrame (not a Series)? */
export function isDanfoFrame(value: unknown): value is DanfoFrameLike {
  if (value === null || typeof value !== 'object') return false;
  const v = value as Record<string, unknown>;
  return v['$isSeries'] === false && Array.isArray(v['columns']) && Array.isArray(v['shape']) && typeof v['groupby'] === 'function';
}

/** A danfo DataFrame as a {@link TableLike}; other values are returned as they are. */
export function frameAsTable(value: unknown): unknown {
  if (!isDanfoFrame(value)) return value;
  const names = [...value.columns];
  const rows = value.shape[0] ?? 0;
  const data = names.length === 0 ? [] : value.getColumnData;
  const column = (name: string): ArrayLike<unknown> | undefined => {
    const i = names.indexOf(name);
    return i < 0 ? undefined : data[i];
  };
  const table: TableLike = {
    numRows: () => rows,
    columnNames: () => names.slice(),
    column,
    array: (name) => column(name) ?? [],
    isFiltered: () => false,
    isOrdered: () => false,
  };
  return table;
}
