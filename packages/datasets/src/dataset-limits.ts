import { DEFAULT_LIMITS } from '@plotbox/sandbox-protocol';
import { DatasetError } from './dataset-error.ts';

/**
 * Caps applied while parsing, decoding and building datasets: one set for every input format,
 * checked while the input is read (never after everything is in memory).
 */
export interface DatasetLimits {
  /** Maximum rows (default: the sandbox's per-run row limit, 1,000,000). */
  readonly maxRows: number;
  /** Maximum columns (default 1,000). */
  readonly maxColumns: number;
  /** Maximum length of one text value (CSV field, JSON string, Arrow string), in UTF-16 code units (default 65,536). */
  readonly maxFieldChars: number;
  /**
   * Maximum size of the dataset as typed columns in memory, in bytes (default 256 MiB): values at
   * their width (8 for numbers and dates, 4 for ints and string codes, 1 for bools), a validity
   * byte per row of a nullable column, and the dictionary strings. Counted while reading, before
   * allocating, so an input that would decode to more is refused early.
   */
  readonly maxDecodedBytes: number;
  /** Maximum size of the stored (canonical Arrow IPC) form, in bytes (default 256 MiB). */
  readonly maxStoredBytes: number;
}

const MIB = 1024 * 1024;

/** The defaults of {@link DatasetLimits}. */
export const DEFAULT_DATASET_LIMITS: DatasetLimits = Object.freeze({
  maxRows: DEFAULT_LIMITS.rows,
  maxColumns: 1000,
  maxFieldChars: 64 * 1024,
  maxDecodedBytes: 256 * MIB,
  maxStoredBytes: 256 * MIB,
});

/** Longest column name accepted, in UTF-16 code units. */
export const MAX_COLUMN_NAME_CHARS = 256;

/** Resolve partial limits against the defaults, checking them eagerly (a bad option is a programming error). */
export function resolveLimits(partial: Partial<DatasetLimits> | undefined): DatasetLimits {
  const limits = { ...DEFAULT_DATASET_LIMITS, ...dropUndefined(partial ?? {}) };
  for (const [name, value] of Object.entries(limits)) {
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) throw new TypeError(`dataset limit ${name} must be a non-negative safe integer`);
  }
  return limits;
}

function dropUndefined<T extends object>(obj: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [k, v] of Object.entries(obj)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}

/** Throw DATASET_TOO_LARGE when `rows` exceeds the cap. */
export function assertRowCount(rows: number, limits: DatasetLimits): void {
  if (rows > limits.maxRows) {
    throw new DatasetError('DATASET_TOO_LARGE', `dataset has more than ${limits.maxRows} rows`, { limit: { name: 'rows', value: limits.maxRows } });
  }
}

/** Throw DATASET_TOO_LARGE when `columns` exceeds the cap. */
export function assertColumnCount(columns: number, limits: DatasetLimits): void {
  if (columns > limits.maxColumns) {
    throw new DatasetError('DATASET_TOO_LARGE', `dataset has ${columns} columns; at most ${limits.maxColumns} are allowed`, { limit: { name: 'columns', value: limits.maxColumns } });
  }
}

/** The DATASET_TOO_LARGE for a decoded size over the cap (`what` says where it was found). */
export function decodedTooLarge(limits: DatasetLimits, what: string): DatasetError {
  return new DatasetError('DATASET_TOO_LARGE', `${what}: the dataset would take more than ${limits.maxDecodedBytes} bytes as columns in memory`, {
    limit: { name: 'decodedBytes', value: limits.maxDecodedBytes },
  });
}

/** The DATASET_TOO_LARGE for a stored size over the cap. */
export function storedTooLarge(limits: DatasetLimits, bytes: number, exact: boolean): DatasetError {
  const size = exact ? `${bytes} bytes` : `at least ${bytes} bytes`;
  return new DatasetError('DATASET_TOO_LARGE', `its stored Arrow form would be ${size}; at most ${limits.maxStoredBytes} are allowed`, {
    limit: { name: 'storedBytes', value: limits.maxStoredBytes },
  });
}

/** Throw DATASET_TOO_LARGE (`fieldChars`) for a text value longer than the cap. */
export function fieldTooLong(limits: DatasetLimits, where: string, extra: { readonly line?: number; readonly row?: number; readonly column?: string } = {}): DatasetError {
  return new DatasetError('DATASET_TOO_LARGE', `${where}: a value longer than ${limits.maxFieldChars} characters`, { ...extra, limit: { name: 'fieldChars', value: limits.maxFieldChars } });
}

/**
 * Running count of the bytes a dataset being built holds as typed columns, against
 * `maxDecodedBytes`. Builders charge what they are about to allocate, before allocating it.
 */
export class DecodeBudget {
  readonly limits: DatasetLimits;
  #used = 0;
  constructor(limits: DatasetLimits) {
    this.limits = limits;
  }
  get used(): number {
    return this.#used;
  }
  /** Count `bytes` more; DATASET_TOO_LARGE (`decodedBytes`) when the total would pass the cap. */
  charge(bytes: number, what = 'while reading'): void {
    this.#used += bytes;
    if (this.#used > this.limits.maxDecodedBytes) throw decodedTooLarge(this.limits, what);
  }
}

/** The streaming readers check the stored size every this many rows (a power of two, minus one as a mask). */
export const STORED_CHECK_MASK = 16_384 - 1;

/**
 * Refuse as soon as the rows read so far prove the stored form cannot fit: each column's least
 * stored width per row (from what it has seen) times the rows. `rows` is what the columns will hold.
 */
export function checkStoredSoFar(columns: readonly { readonly storedWidthAtLeast: number }[], rows: number, limits: DatasetLimits): void {
  let perRow = 0;
  for (const c of columns) perRow += c.storedWidthAtLeast;
  const atLeast = Math.floor(perRow * rows);
  if (atLeast > limits.maxStoredBytes) throw storedTooLarge(limits, atLeast, false);
}
