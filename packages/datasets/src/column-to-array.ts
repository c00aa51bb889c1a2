import type { Column } from '@plotbox/sandbox-protocol';

/** One cell as a plain value: dates as epoch ms, bools as booleans, nulls as null. */
export type CellValue = number | string | boolean | null;

/** Materialise a column as a plain array (tests, exports, small previews; not for hot paths). */
export function columnToArray(column: Column): CellValue[] {
  const out: CellValue[] = [];
  if (column.kind === 'string') {
    for (const code of column.codes) out.push(code < 0 ? null : (column.dictionary[code] ?? null));
    return out;
  }
  const { values, valid } = column;
  for (let i = 0; i < values.length; i++) {
    if (valid !== undefined && valid[i] === 0) out.push(null);
    else out.push(column.kind === 'bool' ? values[i] !== 0 : (values[i] as number));
  }
  return out;
}
