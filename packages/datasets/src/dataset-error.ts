import { PlotboxError, errorGuard, isCodeOf } from '@plotbox/errors';

/** Every error code this package can produce. The API translates each in its one error table. */
export const DATASET_ERROR_CODES = [
  /** The bytes or text could not be read as the claimed format (bad CSV quoting, invalid JSON, broken Arrow IPC). */
  'DATASET_PARSE',
  /** A limit was exceeded: rows, columns, field length, name length, decoded or stored size. `limit` says which. */
  'DATASET_TOO_LARGE',
  /** Nothing to make a dataset from: empty input, no header, no columns. */
  'DATASET_EMPTY',
  /** The data parsed but does not fit the column model: bad or duplicate names, unsupported Arrow type, nested values, ragged lengths. */
  'DATASET_SCHEMA',
  /** Bytes did not hash to the sha256 they were expected to have (a corrupted or substituted blob). */
  'DATASET_HASH_MISMATCH',
] as const;

export type DatasetErrorCode = (typeof DATASET_ERROR_CODES)[number];

/** Names of the limits, as reported in {@link DatasetError.limit}. */
export type DatasetLimitName = 'rows' | 'columns' | 'fieldChars' | 'nameChars' | 'decodedBytes' | 'storedBytes';

/** Is `value` one of {@link DATASET_ERROR_CODES}? */
export function isDatasetErrorCode(value: unknown): value is DatasetErrorCode {
  return isCodeOf(DATASET_ERROR_CODES, value);
}

/** Options of {@link DatasetError}. */
export interface DatasetErrorOptions {
  /** The underlying error (papaparse, the JSON tokenizer, apache-arrow), for logs only. */
  readonly cause?: unknown;
  /** The column the problem is in, when there is one. */
  readonly column?: string;
  /** 1-based line of the input (CSV) where the problem is. */
  readonly line?: number;
  /** 0-based row index (JSON rows, columns) where the problem is. */
  readonly row?: number;
  /** For DATASET_TOO_LARGE: which limit and its value. */
  readonly limit?: { readonly name: DatasetLimitName; readonly value: number };
}

/**
 * The one error class of this package. `code` is stable and machine-readable; `message` is safe
 * to show to the uploader (it names the column, line or row, never a host path); the library
 * error, if any, is kept in `cause`. Where the problem is (`column`, `line`, `row`) and, for
 * `DATASET_TOO_LARGE`, which limit (`limit`, also its `reason`) are fields of their own.
 */
export class DatasetError extends PlotboxError<DatasetErrorCode, DatasetLimitName> {
  readonly column: string | undefined;
  readonly line: number | undefined;
  readonly row: number | undefined;
  readonly limit: { readonly name: DatasetLimitName; readonly value: number } | undefined;

  constructor(code: DatasetErrorCode, message: string, options: DatasetErrorOptions = {}) {
    super(code, message, { ...(options.cause === undefined ? {} : { cause: options.cause }), ...(options.limit === undefined ? {} : { reason: options.limit.name }) });
    this.name = 'DatasetError';
    this.column = options.column;
    this.line = options.line;
    this.row = options.row;
    this.limit = options.limit;
  }
}

/** Is `value` a {@link DatasetError} (optionally with the given code)? */
export const isDatasetError = errorGuard(DatasetError);

/** Upload bytes as text: strict UTF-8 (a bad byte is a `DATASET_PARSE` naming the format). */
export function decodeUtf8(input: Uint8Array | string, format: 'CSV' | 'JSON'): string {
  if (typeof input === 'string') return input;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(input);
  } catch (error) {
    throw new DatasetError('DATASET_PARSE', `the ${format} is not valid UTF-8`, { cause: error });
  }
}
