import { parse } from 'csv-parse/sync';
import type { Column } from '@plotbox/sandbox-protocol';
import { DatasetError, decodeUtf8 } from './dataset-error.ts';
import { assertColumnCount, resolveLimits, type DatasetLimits } from './dataset-limits.ts';
import { TextColumnBuilder, type InferOptions } from './infer-columns.ts';
import { assertColumnNames } from './validate-columns.ts';

/** Options of {@link parseCsv}. */
export interface ParseCsvOptions extends InferOptions {
  /** Field delimiter (default `,`). */
  readonly delimiter?: string;
  /** Field texts read as null (default: only the empty field). */
  readonly nullValues?: readonly string[];
  readonly limits?: Partial<DatasetLimits>;
}

/**
 * Parse CSV (UTF-8 bytes or text) with a header row into typed columns (see {@link InferOptions}).
 * Handles quoted fields (with delimiters, quotes and newlines inside), CRLF or LF, a UTF-8 BOM
 * and blank lines; an empty field is null. Cells are typed column by column as they stream
 * past, without keeping a string per cell.
 * @throws DatasetError DATASET_EMPTY (no header), DATASET_PARSE (invalid UTF-8, bad quoting,
 *   a row with a different number of fields: the message names the line), DATASET_SCHEMA (bad
 *   or duplicate header names), DATASET_TOO_LARGE (rows, columns, field length).
 */
export function parseCsv(input: Uint8Array | string, options: ParseCsvOptions = {}): Column[] {
  const limits = resolveLimits(options.limits);
  const text = decodeUtf8(input, 'CSV');
  const nullValues = new Set(options.nullValues ?? ['']);
  let builders: TextColumnBuilder[] | undefined;
  let rows = 0;
  let failure: DatasetError | undefined;
  const fail = (error: DatasetError): null => {
    failure = error;
    throw error;
  };
  try {
    parse(text, {
      bom: true,
      delimiter: options.delimiter ?? ',',
      skip_empty_lines: true,
      max_record_size: limits.maxFieldChars + 1,
      on_record: (record: string[], context) => {
        if (builders === undefined) {
          assertColumnCountOr(record.length, limits, fail);
          try {
            assertColumnNames(record);
          } catch (error) {
            return fail(error as DatasetError);
          }
          builders = record.map((name) => new TextColumnBuilder(name, options));
          return null;
        }
        if (++rows > limits.maxRows) {
          return fail(new DatasetError('DATASET_TOO_LARGE', `the CSV has more than ${limits.maxRows} rows (line ${context.lines})`, { line: context.lines, limit: { name: 'rows', value: limits.maxRows } }));
        }
        for (let i = 0; i < record.length; i++) {
          const cell = record[i] as string;
          if (cell.length > limits.maxFieldChars) {
            return fail(new DatasetError('DATASET_TOO_LARGE', `line ${context.lines}, column "${(builders[i] as TextColumnBuilder).name}": field longer than ${limits.maxFieldChars} characters`, { line: context.lines, column: (builders[i] as TextColumnBuilder).name, limit: { name: 'fieldChars', value: limits.maxFieldChars } }));
          }
          (builders[i] as TextColumnBuilder).push(nullValues.has(cell) ? null : cell);
        }
        return null;
      },
    });
  } catch (error) {
    if (failure !== undefined) throw failure;
    if (error instanceof DatasetError) throw error;
    throw csvError(error, limits);
  }
  if (builders === undefined) throw new DatasetError('DATASET_EMPTY', 'the CSV is empty: a header row is required');
  return builders.map((b) => b.finish());
}

function assertColumnCountOr(count: number, limits: DatasetLimits, fail: (error: DatasetError) => null): void {
  try {
    assertColumnCount(count, limits);
  } catch (error) {
    fail(error as DatasetError);
  }
}

function csvError(error: unknown, limits: DatasetLimits): DatasetError {
  const e = error as { code?: unknown; lines?: unknown; message?: unknown };
  const line = typeof e.lines === 'number' ? e.lines : undefined;
  const where = line === undefined ? '' : ` (line ${line})`;
  const extra = line === undefined ? {} : { line };
  switch (e.code) {
    case 'CSV_MAX_RECORD_SIZE':
      return new DatasetError('DATASET_TOO_LARGE', `a CSV field is longer than ${limits.maxFieldChars} characters${where}`, { cause: error, ...extra, limit: { name: 'fieldChars', value: limits.maxFieldChars } });
    case 'CSV_RECORD_INCONSISTENT_FIELDS_LENGTH':
    case 'CSV_RECORD_DONT_MATCH_COLUMNS_LENGTH':
      return new DatasetError('DATASET_PARSE', `a CSV row has a different number of fields than the header${where}`, { cause: error, ...extra });
    case 'CSV_QUOTE_NOT_CLOSED':
      return new DatasetError('DATASET_PARSE', `a quoted CSV field is never closed${where}`, { cause: error, ...extra });
    default:
      return new DatasetError('DATASET_PARSE', `the CSV could not be parsed${where}: ${typeof e.message === 'string' ? e.message.split('\n')[0] : 'unknown error'}`, { cause: error, ...extra });
  }
}
