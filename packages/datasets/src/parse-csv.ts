import type { Column } from '@plotbox/sandbox-protocol';
import { createCsvReader, type ParseCsvOptions } from './csv-reader.ts';

export type { ParseCsvOptions };

/**
 * Parse CSV (UTF-8 bytes or text) with a header row into typed columns (see {@link InferOptions}).
 * Handles quoted fields (with delimiters, quotes and newlines inside), CRLF, LF or CR line breaks
 * (taken from the first line), a UTF-8 BOM and blank lines; an empty field is null. Cells are
 * typed column by column as they stream past, without keeping a string per cell. The same
 * parser as {@link createCsvReader}, fed the whole input at once.
 * @throws DatasetError DATASET_EMPTY (no header), DATASET_PARSE (invalid UTF-8, bad quoting,
 *   a row with a different number of fields: the message names the line), DATASET_SCHEMA (bad
 *   or duplicate header names), DATASET_TOO_LARGE (rows, columns, field length, decoded size).
 */
export function parseCsv(input: Uint8Array | string, options: ParseCsvOptions = {}): Column[] {
  const reader = createCsvReader(options);
  // Pieces of 1 MiB, as a stream would deliver them: the same code path, bounded re-reads.
  const step = 1024 * 1024;
  if (typeof input === 'string') {
    for (let at = 0; at < input.length; at += step) reader.write(input.slice(at, at + step));
  } else {
    for (let at = 0; at < input.byteLength; at += step) reader.write(input.subarray(at, at + step));
  }
  return reader.end();
}
