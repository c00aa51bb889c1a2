import type { Column, ColumnKind } from '@plotbox/sandbox-protocol';

/** Summary of one column, for the API's dataset profile. */
export interface ColumnProfile {
  readonly name: string;
  readonly kind: ColumnKind;
  /** Non-null values. */
  readonly count: number;
  readonly nulls: number;
  /** Numbers and dates (epoch ms): smallest and largest non-null, non-NaN value; strings: first and last in code-unit order; bools: 0/1. Absent when every value is null. */
  readonly min?: number | string;
  readonly max?: number | string;
  /** Strings: distinct non-null values. */
  readonly distinct?: number;
}

/** Count, nulls and min/max of every column, in one pass each (dictionaries, not rows, for strings). */
export function profileColumns(columns: readonly Column[]): ColumnProfile[] {
  return columns.map(profileColumn);
}

function profileColumn(column: Column): ColumnProfile {
  const { name, kind } = column;
  if (column.kind === 'string') {
    const { codes, dictionary } = column;
    const used = new Uint8Array(dictionary.length);
    let nulls = 0;
    for (const code of codes) {
      if (code < 0) nulls++;
      else used[code] = 1;
    }
    let min: string | undefined;
    let max: string | undefined;
    let distinct = 0;
    dictionary.forEach((s, i) => {
      if (used[i] === 0) return;
      distinct++;
      if (min === undefined || s < min) min = s;
      if (max === undefined || s > max) max = s;
    });
    return { name, kind, count: codes.length - nulls, nulls, distinct, ...(min === undefined ? {} : { min, max: max as string }) };
  }
  const { values, valid } = column;
  let nulls = 0;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < values.length; i++) {
    if (valid !== undefined && valid[i] === 0) {
      nulls++;
      continue;
    }
    const v = values[i] as number;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const bounds = min <= max ? { min, max } : {};
  return { name, kind, count: values.length - nulls, nulls, ...bounds };
}
