/**
 * Uploading a dataset version (docs/architecture.md "Dataset uploads"): admitted by the ingest pool
 * (or refused before a byte of the body is read), the body streamed to a staged file under
 * `maxUploadBytes`, parsed in an ingest worker process with the dataset limits enforced while
 * reading into a canonical Arrow IPC file, stored as a blob under a key of its own, and recorded in
 * the store by one operation. The write order keeps what is visible consistent at every instant:
 * a failure after the blob was stored deletes it again (a crash leaves it to the repair sweep), and
 * staged files are removed whatever happens. Failures are typed through the error table; a full disk
 * is also audited, since operators must learn of it at once.
 */
import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { isBlobError } from '@plotbox/blobs';
import { DatasetError } from '@plotbox/datasets';
import { isStoreError, type Dataset, type DatasetVersion, type NewDatasetVersion, type Project } from '@plotbox/store';
import type { AppContext } from '../context.ts';
import { toApiError } from '../error-table.ts';
import { ApiError } from '../errors.ts';
import { isIngestError, type IngestSlot } from '../ingest/ingest-pool.ts';
import type { IngestFailure, IngestResult, UploadFormat } from '../ingest/ingest-protocol.ts';
import { isStagingError } from '../ingest/staging.ts';
import type { Caller } from '../context.ts';

export type UploadDeps = Pick<AppContext, 'config' | 'ingest' | 'blobs' | 'audit' | 'newId' | 'logger'>;

/** The refusal of a body over the upload cap (declared or counted). */
export function uploadTooLarge(cap: number): ApiError {
  return new ApiError('VALIDATION_PAYLOAD_TOO_LARGE', { message: `The upload is larger than ${cap} bytes (PLOTBOX_MAX_UPLOAD_MB).`, details: { limit: { name: 'uploadBytes', value: cap } } });
}

/** A place in the ingest pool, or 503 with `Retry-After` before a byte of the body is read. */
function admitUpload(deps: Pick<UploadDeps, 'ingest'>): IngestSlot {
  const slot = deps.ingest.pool.admit();
  if (slot === null) throw new ApiError('DATASET_INGEST_BUSY', { retryAfterSec: 5 });
  return slot;
}

/** The worker's dataset failure (plain data over IPC) as the package's error again. */
function datasetErrorOf(f: IngestFailure): DatasetError {
  return new DatasetError(f.code, f.message, {
    ...(f.line === undefined ? {} : { line: f.line }),
    ...(f.row === undefined ? {} : { row: f.row }),
    ...(f.column === undefined ? {} : { column: f.column }),
    ...(f.limit === undefined ? {} : { limit: f.limit }),
  });
}

/** Stage the body, then parse it in an ingest worker into a canonical file (paths pushed to `staged`). */
async function ingestBody(deps: UploadDeps, slot: IngestSlot, body: Readable, format: UploadFormat, staged: string[]): Promise<{ result: IngestResult; output: string }> {
  const cap = deps.config.maxUploadBytes;
  const input = await deps.ingest.staging.receive(body, cap).then(
    (r) => r.path,
    (err: unknown) => {
      // The cap and its setting are this context's to name.
      throw isStagingError(err) && err.reason === 'too_large' ? uploadTooLarge(cap) : err;
    },
  );
  staged.push(input);
  const output = deps.ingest.staging.path('out');
  staged.push(output);
  const outcome = await slot.run({ format, input, output, limits: deps.config.datasetLimits }).catch((err: unknown) => {
    if (isIngestError(err, 'INGEST_CRASHED')) deps.logger.error({ err }, 'ingest worker failed');
    throw err;
  });
  if (!outcome.ok) throw datasetErrorOf(outcome.failure);
  return { result: outcome.result, output };
}

/** Store the canonical file as a blob under a key of its own (one blob per version). */
async function putBlob(deps: UploadDeps, project: Project, result: IngestResult, output: string): Promise<string> {
  // A key per upload, not per content: a blob belongs to exactly one version, so deleting a
  // version's blob never takes another's, and a concurrent sweep can never race a re-upload.
  const key = `datasets/${project.id}/${result.sha256.slice(0, 16)}-${deps.newId()}.arrow`;
  const limit = deps.config.datasetLimits.maxStoredBytes;
  try {
    await deps.blobs.put(key, createReadStream(output, { highWaterMark: 1024 * 1024 }), { expectedSha256: result.sha256, maxBytes: limit, contentType: 'application/vnd.apache.arrow.stream' });
  } catch (err) {
    // Here, a blob too large is the upload's: its stored form is over the storage limit.
    if (isBlobError(err, 'BLOB_TOO_LARGE')) {
      throw new ApiError('DATASET_TOO_LARGE', {
        message: `The dataset is too large: its stored Arrow form (${result.bytes} bytes) is larger than the storage limit.`,
        details: { limit: { name: 'storedBytes', value: limit } },
        cause: err,
      });
    }
    throw err;
  }
  return key;
}

/**
 * Upload a version into `project`: admit, stage, parse, store the blob, then `record` it in the
 * store (a new dataset with its first version, or a new version of one).
 */
export async function uploadDataset(
  deps: UploadDeps,
  input: { readonly project: Project; readonly body: Readable; readonly format: UploadFormat; readonly createdBy: string },
  caller: Caller,
  record: (version: NewDatasetVersion) => Promise<{ readonly dataset: Dataset; readonly version: DatasetVersion }>,
): Promise<{ readonly dataset: Dataset; readonly version: DatasetVersion }> {
  const { project, format } = input;
  const slot = admitUpload(deps);
  const staged: string[] = [];
  try {
    const { result, output } = await ingestBody(deps, slot, input.body, format, staged);
    const blobKey = await putBlob(deps, project, result, output);
    try {
      return await record({ sha256: result.sha256, blobKey, bytes: result.bytes, rowCount: result.rowCount, schema: result.schema, profile: result.profile, createdBy: input.createdBy });
    } catch (err) {
      await deps.blobs.delete(blobKey).catch(() => undefined);
      // A new version of a dataset someone deleted meanwhile.
      if (isStoreError(err, 'STORE_NOT_FOUND')) throw new ApiError('API_NOT_FOUND', { message: 'The dataset was deleted meanwhile.', cause: err });
      throw err;
    }
  } catch (err) {
    if (toApiError(err).code === 'STORAGE_FULL') {
      // The audit log may itself be on the full disk (then the log line stays).
      const { actor, ip, requestId, clientRequestId } = caller;
      await deps.audit({ action: 'dataset_upload', outcome: 'failure', actor, target: null, ip, requestId, clientRequestId, details: { projectId: project.id, format, reason: 'storage_full' } });
    }
    throw err;
  } finally {
    slot.release();
    for (const path of staged) await deps.ingest.staging.remove(path);
  }
}
