import type { Column } from '@plotbox/sandbox-protocol';
import { createJsonReader, type ParseJsonOptions } from './json-reader.ts';

export type { ParseJsonOptions };

/**
 * Parse JSON text (or UTF-8 bytes) holding either an array of row objects
 * (`[{"region":"North","units":3}, …]`) or an object of column arrays
 * (`{"region":["North", …], "units":[3, …]}`) into typed columns. Columns of row objects are the
 * union of the rows' keys in order of first appearance; a key missing from a row is a null there.
 * The same streaming parser as {@link createJsonReader}, fed the whole input at once.
 * @throws DatasetError DATASET_PARSE (invalid JSON or UTF-8; the message has the position),
 *   DATASET_EMPTY, DATASET_SCHEMA (a row that is not an object, nested values, a key twice in a
 *   row: the message names the row and column), DATASET_TOO_LARGE.
 */
export function parseJsonRows(input: string | Uint8Array, options: ParseJsonOptions = {}): Column[] {
  const reader = createJsonReader(options);
  reader.write(input);
  return reader.end();
}
