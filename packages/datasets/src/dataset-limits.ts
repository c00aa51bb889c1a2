import { DEFAULT_LIMITS } from '@plotbox/sandbox-protocol';
import { DatasetError } from './dataset-error.ts';

/** Caps applied while building, parsing and decoding datasets. */
export interface DatasetLimits {
  /** Maximum rows (default: the sandbox's per-run row limit, 1,000,000). */
  readonly maxRows: number;
  /** Maximum columns (default 1,000). */
  readonly maxColumns: number;
  /** Maximum length of one text field in CSV/JSON input, in UTF-16 code units (default 65,536). */
  readonly maxFieldChars: number;
}

/** The defaults of {@link DatasetLimits}. */
export const DEFAULT_DATASET_LIMITS: DatasetLimits = Object.freeze({
  maxRows: DEFAULT_LIMITS.rows,
  maxColumns: 1000,
  maxFieldChars: 64 * 1024,
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
