import type { Column } from '@plotbox/sandbox-protocol';
import { DatasetError } from './dataset-error.ts';
import { assertColumnCount, assertRowCount, resolveLimits, type DatasetLimits } from './dataset-limits.ts';
import { columnFromValues, type InferOptions } from './infer-columns.ts';
import { assertColumnNames } from './validate-columns.ts';

/** Options of {@link columnsFromObject} and {@link columnsFromRows}. */
export interface ColumnsFromValuesOptions extends InferOptions {
  readonly limits?: Partial<DatasetLimits>;
}

/**
 * Type an object of column arrays (`{ region: ['North', …], units: [3, …] }`), keeping key order.
 * See {@link InferOptions} and the README for the inference rules.
 * @throws DatasetError DATASET_EMPTY (no columns), DATASET_SCHEMA (a value that is not an array,
 *   unequal lengths, nested values, bad names), DATASET_TOO_LARGE.
 */
export function columnsFromObject(obj: Readonly<Record<string, readonly unknown[]>>, options: ColumnsFromValuesOptions = {}): Column[] {
  const limits = resolveLimits(options.limits);
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) throw new DatasetError('DATASET_SCHEMA', 'expected an object of column arrays');
  const names = Object.keys(obj);
  if (names.length === 0) throw new DatasetError('DATASET_EMPTY', 'the object has no columns');
  assertColumnCount(names.length, limits);
  assertColumnNames(names);
  let rows = -1;
  for (const name of names) {
    const values: unknown = obj[name];
    if (!Array.isArray(values)) throw new DatasetError('DATASET_SCHEMA', `column "${name}" is not an array`, { column: name });
    if (rows === -1) {
      rows = values.length;
      assertRowCount(rows, limits);
    } else if (values.length !== rows) {
      throw new DatasetError('DATASET_SCHEMA', `column "${name}" has ${values.length} values, the first column has ${rows}`, { column: name });
    }
  }
  return names.map((name) => columnFromValues(name, obj[name] as readonly unknown[], options));
}

/**
 * Type an array of row objects (`[{ region: 'North', units: 3 }, …]`). Columns are the union of
 * the rows' own keys in order of first appearance; a key missing from a row is a null there.
 * @throws DatasetError DATASET_EMPTY (no rows), DATASET_SCHEMA (a row that is not an object,
 *   nested values, bad names), DATASET_TOO_LARGE.
 */
export function columnsFromRows(rows: readonly Readonly<Record<string, unknown>>[], options: ColumnsFromValuesOptions = {}): Column[] {
  const limits = resolveLimits(options.limits);
  if (!Array.isArray(rows)) throw new DatasetError('DATASET_SCHEMA', 'expected an array of row objects');
  if (rows.length === 0) throw new DatasetError('DATASET_EMPTY', 'there are no rows');
  assertRowCount(rows.length, limits);
  const index = new Map<string, number>();
  const names: string[] = [];
  for (let r = 0; r < rows.length; r++) {
    const row: unknown = rows[r];
    if (row === null || typeof row !== 'object' || Array.isArray(row)) throw new DatasetError('DATASET_SCHEMA', `row ${r + 1} is not an object`, { row: r });
    for (const key of Object.keys(row)) {
      if (index.has(key)) continue;
      index.set(key, names.length);
      names.push(key);
      assertColumnCount(names.length, limits);
    }
  }
  assertColumnNames(names);
  return names.map((name) => {
    const values = new Array<unknown>(rows.length);
    for (let r = 0; r < rows.length; r++) {
      const row = rows[r] as Record<string, unknown>;
      values[r] = Object.hasOwn(row, name) ? row[name] : null;
    }
    return columnFromValues(name, values, options);
  });
}
