import { createHash } from 'node:crypto';
import type { Column, ColumnarDataset } from '@plotbox/sandbox-protocol';
import { encodeCanonical, storedSizeLowerBound } from './arrow-encode.ts';
import { resolveLimits, storedTooLarge, type DatasetLimits } from './dataset-limits.ts';
import { assertValidColumns, canonicalizeColumn } from './validate-columns.ts';

/** Options of {@link datasetFromColumns} and {@link buildDataset}. */
export interface DatasetOptions {
  /** Caps; `maxRows` is the row cap (default 1,000,000), `maxColumns` the column cap (default 1,000). */
  readonly limits?: Partial<DatasetLimits>;
}

/** A dataset together with the exact bytes it is stored and sent as. */
export interface BuiltDataset {
  readonly dataset: ColumnarDataset;
  /** Arrow IPC stream bytes; `sha256(bytes) === dataset.sha256`. */
  readonly bytes: Uint8Array;
}

/**
 * Validate columns, bring them to canonical form and encode them as Arrow IPC; the dataset's
 * `sha256` is the hash of those bytes, so equal content always has an equal hash and the hash
 * addresses exactly what is stored. The returned dataset's columns are the canonical ones
 * (what {@link decodeArrowIPC} of `bytes` gives back).
 * @throws DatasetError DATASET_EMPTY (no columns), DATASET_SCHEMA (bad/duplicate names,
 *   unequal lengths, wrong arrays), DATASET_TOO_LARGE (rows, columns).
 */
export function buildDataset(columns: readonly Column[], options: DatasetOptions = {}): BuiltDataset {
  const limits = resolveLimits(options.limits);
  const { rowCount, columns: canonical } = canonicalDataset(columns, limits);
  const bytes = encodeCanonical(canonical);
  if (bytes.byteLength > limits.maxStoredBytes) throw storedTooLarge(limits, bytes.byteLength, true);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  return { dataset: Object.freeze({ sha256, rowCount, columns: canonical }), bytes };
}

/** Columns checked and in canonical form, ready for `writeCanonical`. */
export interface CanonicalDataset {
  readonly rowCount: number;
  readonly columns: readonly Column[];
}

/**
 * Validate columns and bring them to canonical form, refusing at once (before encoding) a
 * dataset whose stored form cannot fit `maxStoredBytes` (its values alone would not).
 * @throws DatasetError DATASET_EMPTY, DATASET_SCHEMA, DATASET_TOO_LARGE (rows, columns, stored size).
 */
export function canonicalDataset(columns: readonly Column[], limits: DatasetLimits): CanonicalDataset {
  const rowCount = assertValidColumns(columns, limits);
  const canonical = Object.freeze(columns.map(canonicalizeColumn));
  // All-null columns (an empty dictionary once canonical) store nothing per row.
  const lowerBound = storedSizeLowerBound(
    canonical.filter((c) => c.kind !== 'string' || c.dictionary.length > 0).map((c) => c.kind),
    rowCount,
  );
  if (lowerBound > limits.maxStoredBytes) throw storedTooLarge(limits, lowerBound, false);
  return { rowCount, columns: canonical };
}

/** {@link buildDataset} without the bytes, for callers that only need the dataset and its hash. */
export function datasetFromColumns(columns: readonly Column[], options: DatasetOptions = {}): ColumnarDataset {
  return buildDataset(columns, options).dataset;
}
