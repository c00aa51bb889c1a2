/**
 * The first rows of a stored dataset version (SPEC §3: the rows need `dataset.download`). Versions
 * are stored as record batches of bounded size, so only the leading batches of the blob are read,
 * as a stream, until they hold `limit` rows; cells are cut and the answer bounded.
 */
import type { BlobStore } from '@plotbox/blobs';
import { isBlobError } from '@plotbox/blobs';
import { isDatasetError, previewRows, readArrowPrefix } from '@plotbox/datasets';
import type { DatasetVersion } from '@plotbox/store';
import type { DatasetPreview } from '../api-types.ts';
import { ApiError } from '../errors.ts';

/** A preview cell is cut to this many characters (with a trailing `…`). */
export const PREVIEW_CELL_CHARS = 1000;
/** A preview stops adding rows once its cells hold about this many characters. */
export const PREVIEW_TOTAL_CHARS = 1024 * 1024;

/** The first `limit` rows of `version`. */
export async function previewDataset(deps: { readonly blobs: BlobStore }, version: DatasetVersion, limit: number): Promise<DatasetPreview> {
  const stream = await deps.blobs.get(version.blobKey);
  try {
    const prefix = await readArrowPrefix(stream as AsyncIterable<Uint8Array>, limit, Math.max(version.bytes, 1) + 16);
    const preview = previewRows(prefix.bytes, { rows: limit, maxCellChars: PREVIEW_CELL_CHARS, maxTotalChars: PREVIEW_TOTAL_CHARS });
    return { versionId: version.id, rowCount: version.rowCount, columns: preview.columns, rows: preview.rows, truncated: preview.truncated };
  } catch (err) {
    // A damaged blob behind existing metadata is the server's fault, not the caller's (a dataset
    // error here is not the upload's: this context decides, not the error table).
    if (isDatasetError(err) || (isBlobError(err) && err.code !== 'BLOB_UNAVAILABLE')) throw new ApiError('API_INTERNAL', { message: 'The stored dataset version could not be read.', cause: err });
    throw err;
  } finally {
    stream.destroy();
  }
}
