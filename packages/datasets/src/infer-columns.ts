/**
 * Type inference: JavaScript values (JSON) and text cells (CSV) → typed columns.
 *
 * Rules (README "Type inference"): integers that fit int32 → `int`; any other number → `number`;
 * booleans → `bool`; `Date` objects → `date`; strings → `string` (dictionary-encoded);
 * null/undefined (and empty CSV fields) → nulls; a column mixing kinds → `string`, each value
 * written as text. ISO date strings become `date` only with `parseDates: true`.
 */

import type { Column, ColumnKind } from '@plotbox/sandbox-protocol';
import { INT32_MIN, INT32_MAX } from './parse-cell-text.ts';
import { type Cell, classify, stringsToDates, buildKind } from './column-encoding.ts';

/** How columns are typed. */
export interface InferOptions {
  /**
   * Turn string columns whose every value is an ISO-8601 date (`YYYY-MM-DD`, optionally with
   * `THH:mm[:ss[.sss]]` and `Z`/`±hh:mm`; no offset means UTC) into `date` columns. Default
   * false: Code Mode snippets treat the sales dataset's `date` column as a string.
   */
  readonly parseDates?: boolean;
  /** Force the kind of named columns instead of inferring it; a value that does not convert is a DATASET_SCHEMA error. */
  readonly kinds?: Readonly<Record<string, ColumnKind>>;
}

/**
 * Type one column of JavaScript values (see the module comment for the rules).
 * @throws DatasetError DATASET_SCHEMA for nested values, or values that do not fit a forced kind.
 */
export function columnFromValues(name: string, values: ArrayLike<unknown>, options: InferOptions = {}): Column {
  const n = values.length;
  const classifyAt = (i: number): Cell => classify(values[i], name, i);
  const forced = options.kinds !== undefined && Object.hasOwn(options.kinds, name) ? options.kinds[name] : undefined;
  if (forced !== undefined) return buildKind(name, forced, values, classifyAt);
  let numbers = 0;
  let nonInt = false;
  let bools = 0;
  let strings = 0;
  let dates = 0;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    switch (typeof v) {
      case 'number':
        numbers++;
        if (!nonInt && !(Number.isInteger(v) && v >= INT32_MIN && v <= INT32_MAX)) nonInt = true;
        break;
      case 'string':
        strings++;
        break;
      case 'boolean':
        bools++;
        break;
      default: {
        const cell = classifyAt(i);
        if (cell?.type === 'number') {
          numbers++;
          nonInt = true;
        } else if (cell?.type === 'date') dates++;
      }
    }
  }
  const kindsSeen = (numbers > 0 ? 1 : 0) + (bools > 0 ? 1 : 0) + (strings > 0 ? 1 : 0) + (dates > 0 ? 1 : 0);
  let kind: ColumnKind;
  if (kindsSeen !== 1) kind = 'string';
  else if (numbers > 0) kind = nonInt ? 'number' : 'int';
  else if (bools > 0) kind = 'bool';
  else if (dates > 0) kind = 'date';
  else kind = 'string';
  const column = buildKind(name, kind, values, classifyAt);
  if (column.kind === 'string' && options.parseDates === true && strings === n - countNulls(values)) return stringsToDates(column) ?? column;
  return column;
}

function countNulls(values: ArrayLike<unknown>): number {
  let nulls = 0;
  for (let i = 0; i < values.length; i++) if (values[i] == null || (values[i] instanceof Date && !Number.isFinite((values[i] as Date).getTime()))) nulls++;
  return nulls;
}
