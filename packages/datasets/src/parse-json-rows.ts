import type { Column } from '@plotbox/sandbox-protocol';
import { columnsFromObject, columnsFromRows, type ColumnsFromValuesOptions } from './columns-from-values.ts';
import { DatasetError, decodeUtf8 } from './dataset-error.ts';

/** Options of {@link parseJsonRows}. */
export type ParseJsonOptions = ColumnsFromValuesOptions;

/**
 * Parse JSON text (or UTF-8 bytes) holding either an array of row objects
 * (`[{"region":"North","units":3}, …]`) or an object of column arrays
 * (`{"region":["North", …], "units":[3, …]}`) into typed columns.
 * @throws DatasetError DATASET_PARSE (invalid JSON or UTF-8; message has the position),
 *   DATASET_EMPTY, DATASET_SCHEMA (a row that is not an object, nested values: the message
 *   names the row and column), DATASET_TOO_LARGE.
 */
export function parseJsonRows(input: string | Uint8Array, options: ParseJsonOptions = {}): Column[] {
  const text = decodeUtf8(input, 'JSON');
  if (text.trim() === '') throw new DatasetError('DATASET_EMPTY', 'the JSON is empty');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new DatasetError('DATASET_PARSE', `invalid JSON: ${(error as Error).message}`, { cause: error });
  }
  if (Array.isArray(value)) return columnsFromRows(value as Record<string, unknown>[], options);
  if (value !== null && typeof value === 'object') return columnsFromObject(value as Record<string, unknown[]>, options);
  throw new DatasetError('DATASET_SCHEMA', 'expected a JSON array of row objects or an object of column arrays');
}
