/**
 * @plotbox/datasets: dataset ingest (CSV, JSON, Arrow IPC) → typed columns → canonical Arrow IPC
 * addressed by sha256, and back to the columnar shape the sandbox copies into isolates.
 */
export { DATASET_ERROR_CODES, DatasetError, isDatasetError, isDatasetErrorCode } from './dataset-error.ts';
export type { DatasetErrorCode, DatasetErrorOptions, DatasetLimitName } from './dataset-error.ts';
export { DEFAULT_DATASET_LIMITS, DecodeBudget, MAX_COLUMN_NAME_CHARS, resolveLimits } from './dataset-limits.ts';
export type { DatasetLimits } from './dataset-limits.ts';
export { columnsFromObject, columnsFromRows } from './columns-from-values.ts';
export type { ColumnsFromValuesOptions } from './columns-from-values.ts';
export { parseIsoDate, parseNumericText } from './parse-cell-text.ts';
export type { InferOptions } from './infer-columns.ts';
export { assertColumnName, assertValidColumns, canonicalizeColumn } from './validate-columns.ts';
export { buildDataset, canonicalDataset, datasetFromColumns } from './dataset-from-columns.ts';
export type { BuiltDataset, CanonicalDataset, DatasetOptions } from './dataset-from-columns.ts';
export { decodeArrowIPC, encodeArrowIPC } from './arrow-ipc.ts';
export type { DecodeOptions, EncodeOptions } from './arrow-ipc.ts';
export { MAX_BATCH_ROWS, TARGET_BATCH_BYTES, planBatches, writeCanonical } from './arrow-encode.ts';
export { cutText, previewRows, readArrowPrefix } from './arrow-prefix.ts';
export type { ArrowPrefix, Preview, PreviewCell, PreviewOptions } from './arrow-prefix.ts';
export { createCsvReader } from './csv-reader.ts';
export type { CsvReader } from './csv-reader.ts';
export { createJsonReader } from './json-reader.ts';
export type { JsonReader } from './json-reader.ts';
export { parseCsv } from './parse-csv.ts';
export type { ParseCsvOptions } from './parse-csv.ts';
export { parseJsonRows } from './parse-json-rows.ts';
export type { ParseJsonOptions } from './parse-json-rows.ts';
export { SALES_SCHEMA, SALES_SEED, generateSales, loadBaselineColumnar } from './generate-sales.ts';
export { columnToArray } from './column-to-array.ts';
export type { CellValue } from './column-to-array.ts';
export { profileColumns } from './profile-columns.ts';
export type { ColumnProfile } from './profile-columns.ts';
