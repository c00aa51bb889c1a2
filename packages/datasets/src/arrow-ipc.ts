/**
 * Arrow IPC codec: columns ↔ Arrow IPC **stream** format (apache-arrow).
 *
 * Stream rather than file format: it is what a stored version and the sandbox exchange, it needs
 * no footer (one less structure to trust on read), and its bytes are a pure function of the
 * columns. Encoding: strings as Dictionary<Utf8, Int32>, ints as Int32, floats as Float64, bools
 * as Bool, dates as Timestamp(ms, "UTC"); nulls as validity bitmaps; all fields nullable; no
 * metadata. Decoding accepts both stream and file format and most primitive types.
 */

import { createHash } from 'node:crypto';
import { RecordBatchReader, Table, Type, type DataType, type Dictionary, type RecordBatch } from 'apache-arrow';
import type { Column, ColumnarDataset } from '@plotbox/sandbox-protocol';
import { encodeCanonical, storedSizeLowerBound } from './arrow-encode.ts';
import { DatasetError } from './dataset-error.ts';
import { DecodeBudget, resolveLimits, storedTooLarge, type DatasetLimits } from './dataset-limits.ts';
import { verifyArrowIPC } from './ipc-verify.ts';
import { assertColumnNames, assertValidColumns, canonicalizeColumn } from './validate-columns.ts';
import type { StringGuard } from './column-reader.ts';
import { decodeColumn } from './decode-column.ts';

// ------------------------------------------------------------------------------------------
// Encoding
// ------------------------------------------------------------------------------------------

/** Options of {@link encodeArrowIPC}. */
export interface EncodeOptions {
  readonly limits?: Partial<DatasetLimits>;
}

/**
 * Encode columns as Arrow IPC stream bytes, in canonical form (see `canonicalizeColumn` and
 * `arrow-encode.ts`), so equal content always gives equal bytes.
 * @throws DatasetError DATASET_EMPTY, DATASET_SCHEMA or DATASET_TOO_LARGE for invalid columns.
 */
export function encodeArrowIPC(columns: readonly Column[], options: EncodeOptions = {}): Uint8Array {
  assertValidColumns(columns, resolveLimits(options.limits));
  return encodeCanonical(columns.map(canonicalizeColumn));
}

export { encodeCanonical };

// ------------------------------------------------------------------------------------------
// Decoding
// ------------------------------------------------------------------------------------------

/** Options of {@link decodeArrowIPC}. */
export interface DecodeOptions {
  /** Row cap (default 1,000,000); more is DATASET_TOO_LARGE, detected before any column is built. */
  readonly maxRows?: number;
  /** Column cap (default 1,000). */
  readonly maxColumns?: number;
  /**
   * The full ingest limits, for untrusted input: with them, the decoded size (rows × the width
   * of each column, before anything is allocated, then every dictionary string), the stored size
   * (a lower bound from the shape) and the length of every string are checked too. Without them
   * (stored versions, which passed these checks when they were uploaded) only rows and columns are.
   */
  readonly limits?: Partial<DatasetLimits>;
  /** When given, the bytes must hash to it (DATASET_HASH_MISMATCH otherwise): a stored version checks its address. */
  readonly expectSha256?: string;
}

/**
 * Decode Arrow IPC bytes (stream or file format) into a ColumnarDataset whose `sha256` is the
 * hash of `bytes` exactly (for bytes made by {@link encodeArrowIPC}, the dataset's address).
 *
 * Numeric columns of the native width are zero-copy views into `bytes` when there is one record
 * batch (do not modify `bytes` afterwards); dictionary strings are decoded once per dictionary
 * entry, never per row, including dictionaries sent as deltas.
 * Type mapping: Int8/16/32 and Uint8/16 → int; Int64, Uint32, Uint64, Float16/32/64 and Decimal
 * → number (64-bit integers and decimals beyond 2^53 lose precision); Date and Timestamp (any
 * unit, time zone ignored: values are UTC instants) → date; Bool → bool; Utf8, LargeUtf8 and
 * dictionaries of them → string; Null → an all-null string column. Anything else (nested types,
 * binary, time of day, intervals, dictionaries of non-strings) is DATASET_SCHEMA naming the
 * column and the type, refused from the schema before any batch is read. Every column must have
 * exactly as many values as the batches have rows.
 * @throws DatasetError DATASET_PARSE for broken bytes (never a crash or a hang), DATASET_SCHEMA,
 *   DATASET_TOO_LARGE, DATASET_HASH_MISMATCH.
 */
export function decodeArrowIPC(bytes: Uint8Array, options: DecodeOptions = {}): ColumnarDataset {
  if (!(bytes instanceof Uint8Array)) throw new DatasetError('DATASET_PARSE', 'Arrow IPC input must be bytes');
  const limits = resolveLimits({
    ...options.limits,
    ...(options.maxRows === undefined ? {} : { maxRows: options.maxRows }),
    ...(options.maxColumns === undefined ? {} : { maxColumns: options.maxColumns }),
  });
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  if (options.expectSha256 !== undefined && options.expectSha256.toLowerCase() !== sha256) {
    throw new DatasetError('DATASET_HASH_MISMATCH', 'dataset bytes do not match their sha256');
  }
  try {
    return decodeVerified(bytes, limits, sha256, options.limits !== undefined);
  } catch (error) {
    // Defence in depth: whatever slipped past the checks is still a parse error, not a crash.
    if (error instanceof DatasetError) throw error;
    throw new DatasetError('DATASET_PARSE', 'not valid Arrow IPC', { cause: error });
  }
}

/** The column kind an Arrow type decodes to, or `undefined` when it is not supported. */
function kindOfType(type: DataType): Column['kind'] | undefined {
  const t = type as DataType & { bitWidth?: number; isSigned?: boolean };
  switch (type.typeId) {
    case Type.Int:
      return (t.bitWidth as number) < 32 || ((t.bitWidth as number) === 32 && t.isSigned === true) ? 'int' : 'number';
    case Type.Float:
    case Type.Decimal:
      return 'number';
    case Type.Date:
    case Type.Timestamp:
      return 'date';
    case Type.Bool:
      return 'bool';
    case Type.Utf8:
    case Type.LargeUtf8:
    case Type.Null:
      return 'string';
    case Type.Dictionary: {
      const value = (type as Dictionary).dictionary;
      return value.typeId === Type.Utf8 || value.typeId === Type.LargeUtf8 ? 'string' : undefined;
    }
    default:
      return undefined;
  }
}

function unsupportedType(name: string, type: DataType): DatasetError {
  return new DatasetError('DATASET_SCHEMA', `column "${name}" has Arrow type ${String(type)}, which is not supported (use numbers, strings, booleans, dates or timestamps)`, { column: name });
}

/** Bytes per row a column of `kind` takes decoded: its values plus a validity byte. */
function decodedWidth(kind: Column['kind']): number {
  return (kind === 'number' || kind === 'date' ? 8 : kind === 'bool' ? 1 : 4) + 1;
}

function decodeVerified(bytes: Uint8Array, limits: DatasetLimits, sha256: string, untrusted: boolean): ColumnarDataset {
  // Typed-array views need aligned offsets; a Buffer from Node's pool may not be.
  const aligned = bytes.byteOffset % 8 === 0 ? bytes : bytes.slice();
  const { stream, rows, hasValues } = verifyArrowIPC(aligned, limits);
  let reader: RecordBatchReader;
  try {
    reader = RecordBatchReader.from(stream);
    // Synchronous for bytes in memory; typed as possibly async for stream sources.
    void reader.open();
  } catch (error) {
    throw new DatasetError('DATASET_PARSE', 'not valid Arrow IPC', { cause: error });
  }
  // The schema first: every type must map to a column kind, and the shape must fit the budgets,
  // before any record batch is read (a batch of 1M rows of Null columns costs nothing to send).
  const fields = reader.schema.fields;
  assertColumnNames(fields.map((f) => f.name));
  const kinds = fields.map((f) => {
    const kind = kindOfType(f.type);
    if (kind === undefined) throw unsupportedType(f.name, f.type);
    return kind;
  });
  let guard: StringGuard | undefined;
  if (untrusted) {
    const budget = new DecodeBudget(limits);
    budget.charge(rows * kinds.reduce((sum, k) => sum + decodedWidth(k), 0), `${rows} rows of ${kinds.length} columns`);
    // A column without a single value is stored as an all-null column (no bytes per row); the
    // batches' field nodes say which columns have values (nested types are refused above, so
    // node i is column i).
    const lowerBound = storedSizeLowerBound(
      kinds.filter((_kind, i) => fields[i]?.type.typeId !== Type.Null && hasValues[i] === true),
      rows,
    );
    if (lowerBound > limits.maxStoredBytes) throw storedTooLarge(limits, lowerBound, false);
    guard = { budget, maxFieldChars: limits.maxFieldChars };
  }
  let table: Table;
  try {
    const batches: RecordBatch[] = [];
    for (const batch of reader) batches.push(batch);
    table = new Table(reader.schema, batches);
  } catch (error) {
    throw new DatasetError('DATASET_PARSE', 'not valid Arrow IPC', { cause: error });
  }
  if (table.numRows !== rows) throw new DatasetError('DATASET_PARSE', 'not valid Arrow IPC: batch lengths disagree');
  const columns = fields.map((field, i) => {
    const chunks = table.getChildAt(i)?.data ?? [];
    try {
      return decodeColumn(field.name, field.type, chunks, rows, guard);
    } catch (error) {
      if (error instanceof DatasetError) throw error;
      throw new DatasetError('DATASET_PARSE', `column "${field.name}": not valid Arrow data`, { cause: error, column: field.name });
    }
  });
  return { sha256, rowCount: rows, columns };
}
