/**
 * Datasets of a project (SPEC §3): list, read (with the current version's summary), rename,
 * delete; upload a new dataset or a new version as CSV, JSON rows or Arrow IPC; list versions,
 * read one with its schema and profile, preview its first rows, and make an older version current.
 *
 * An upload never runs on the event loop: the body is streamed to a staged file (under
 * `maxUploadBytes`), an ingest worker process parses it with the dataset limits enforced while
 * reading and writes the canonical Arrow IPC to a second staged file, the blob is stored from that
 * file, and one store operation records the version (for a new dataset, together with the
 * dataset, so its name is never taken by a dataset without data). Uploads are admitted up to the
 * pool's capacity; beyond it they are refused before their body is read.
 *
 * Viewers see datasets' metadata only (names, versions, schema, profile: `dataset.view`); the rows
 * themselves (preview) need `dataset.download`, which editors and owners hold.
 */
import { createReadStream } from 'node:fs';
import type { Request, Response } from 'express';
import { z } from 'zod';
import { isBlobError } from '@plotbox/blobs';
import { isDatasetError, previewRows, readArrowPrefix, type DatasetError, type DatasetLimits } from '@plotbox/datasets';
import { isStoreError, type Dataset, type DatasetVersion, type NewDatasetVersion, type Project } from '@plotbox/store';
import { ApiError } from '../errors.ts';
import { isIngestError, type IngestSlot } from '../ingest/ingest-pool.ts';
import type { IngestFailure, IngestResult, UploadFormat } from '../ingest/ingest-protocol.ts';
import { StagingError } from '../ingest/staging.ts';
import { isStorageFull } from '../ingest/storage.ts';
import { defineRoute, type AnyRoute, type RouteCall } from '../route-table.ts';
import { auditWrite } from './project-routes.ts';
import { ID, listQuery, pageOf } from './resource-schemas.ts';
import { actorOf, reqMeta } from '../context.ts';

// ------------------------------------------------------------------------------------ views

/** What a version is, without its profile (lists and the dataset's `current`). */
export function versionSummary(v: DatasetVersion): Record<string, unknown> {
  return { id: v.id, datasetId: v.datasetId, sha256: v.sha256, bytes: v.bytes, rowCount: v.rowCount, schema: v.schema, createdAt: v.createdAt.toISOString(), createdBy: v.createdBy };
}

/** A version with its profile; `current` says whether the dataset points at it. */
export function versionView(v: DatasetVersion, dataset: Dataset): Record<string, unknown> {
  return { ...versionSummary(v), profile: v.profile, current: dataset.currentVersionId === v.id };
}

/** A dataset's metadata; `currentVersionId` is `null` only for a dataset created without data (before uploads created datasets with their first version). */
export function datasetView(d: Dataset): Record<string, unknown> {
  return { id: d.id, projectId: d.projectId, name: d.name, currentVersionId: d.currentVersionId, createdAt: d.createdAt.toISOString(), updatedAt: d.updatedAt.toISOString(), version: d.version };
}

// ------------------------------------------------------------------------------------ schemas

const DEFAULT_PREVIEW_ROWS = 20;
const MAX_PREVIEW_ROWS = 200;
/** A preview cell is cut to this many characters (with a trailing `…`). */
export const PREVIEW_CELL_CHARS = 1000;
/** A preview stops adding rows once its cells hold about this many characters. */
export const PREVIEW_TOTAL_CHARS = 1024 * 1024;

const name = z.string().trim().min(1).max(200);
const projectParams = z.strictObject({ projectId: ID });
const datasetParams = z.strictObject({ projectId: ID, datasetId: ID });
const versionParams = datasetParams.extend({ versionId: ID });
const createQuery = z.strictObject({ name });
const patchBody = z.strictObject({ name, version: z.number().int().min(1).optional() });
const currentBody = z.strictObject({ versionId: ID, version: z.number().int().min(1).optional() });
const previewQuery = z.strictObject({
  limit: z
    .string()
    .regex(/^\d{1,3}$/u, 'must be a whole number')
    .transform((s) => Number(s))
    .refine((n) => n >= 1 && n <= MAX_PREVIEW_ROWS, `must be 1..${MAX_PREVIEW_ROWS}`)
    .optional()
    .transform((n) => n ?? DEFAULT_PREVIEW_ROWS),
});

// ------------------------------------------------------------------------------------ upload

const FORMATS: ReadonlyMap<string, UploadFormat> = new Map([
  ['text/csv', 'csv'],
  ['application/json', 'json'],
  ['application/vnd.apache.arrow.stream', 'arrow'],
]);

const unsupported = (): ApiError =>
  new ApiError('VALIDATION_UNSUPPORTED_MEDIA_TYPE', {
    message: 'Upload datasets as text/csv, application/json (an array of row objects) or application/vnd.apache.arrow.stream (UTF-8 text, no Content-Encoding).',
  });

/** The format named by the request's Content-Type; anything else is a 415. */
function uploadFormat(req: Request): UploadFormat {
  const header = req.headers['content-type'];
  if (typeof header !== 'string') throw unsupported();
  const [type = '', ...params] = header.split(';').map((s) => s.trim().toLowerCase());
  const format = FORMATS.get(type);
  if (format === undefined) throw unsupported();
  for (const p of params) {
    const [key, value = ''] = p.split('=').map((s) => s.trim());
    if (key === 'charset' && format !== 'arrow' && value.replace(/^"|"$/gu, '') !== 'utf-8') throw unsupported();
  }
  const encoding = req.headers['content-encoding'];
  if (encoding !== undefined && encoding.trim().toLowerCase() !== 'identity') throw unsupported();
  return format;
}

const tooLarge = (cap: number): ApiError =>
  new ApiError('VALIDATION_PAYLOAD_TOO_LARGE', { message: `The upload is larger than ${cap} bytes (PLOTBOX_MAX_UPLOAD_MB).`, details: { limit: { name: 'uploadBytes', value: cap } } });

/** Refuse at once when the declared length is over the cap (before reading a byte). */
function checkDeclaredLength(req: Request, cap: number): void {
  const length = req.headers['content-length'];
  if (length !== undefined && /^\d+$/u.test(length) && Number(length) > cap) throw tooLarge(cap);
}

const storageFull = (cause: unknown): ApiError => new ApiError('STORAGE_FULL', { cause });

/** A dataset failure (from the ingest worker, as data) as the API's typed error: the message and position, never the library's internals. */
function datasetApiError(err: IngestFailure | DatasetError): ApiError {
  const said = err.message.replace(/\.$/u, '');
  const where = {
    ...(err.line === undefined ? {} : { line: err.line }),
    ...(err.row === undefined ? {} : { row: err.row }),
    ...(err.column === undefined ? {} : { column: err.column }),
  };
  if (err.code === 'DATASET_TOO_LARGE') {
    return new ApiError('DATASET_TOO_LARGE', { message: `The dataset is too large: ${said}.`, details: { ...where, ...(err.limit === undefined ? {} : { limit: err.limit }) } });
  }
  const reason = err.code === 'DATASET_EMPTY' ? 'empty' : err.code === 'DATASET_SCHEMA' ? 'schema' : 'parse';
  return new ApiError('DATASET_INVALID', { message: `The upload is not a valid dataset: ${said}.`, details: { reason, ...where } });
}

/** An admitted upload's place, or 503 (with Retry-After) before a byte of the body is read. */
function admit(call: RouteCall<unknown, unknown, unknown>): IngestSlot {
  const slot = call.ctx.ingest.pool.admit();
  if (slot !== null) return slot;
  call.res.setHeader('Retry-After', '5');
  throw new ApiError('DATASET_INGEST_BUSY');
}

/** Stage the body, then parse it in an ingest worker into a canonical file; the staged files are the caller's to remove. */
async function ingestUpload(call: RouteCall<unknown, unknown, unknown>, slot: IngestSlot, format: UploadFormat, staged: string[]): Promise<{ result: IngestResult; output: string }> {
  const { ctx, req } = call;
  const cap = ctx.config.maxUploadBytes;
  let input: string;
  try {
    input = (await ctx.ingest.staging.receive(req, cap)).path;
  } catch (err) {
    if (!(err instanceof StagingError)) throw err;
    if (err.reason === 'too_large') throw tooLarge(cap);
    if (err.reason === 'aborted') throw new ApiError('VALIDATION_FAILED', { message: 'The upload ended before it was complete.', cause: err });
    if (err.reason === 'storage_full') throw storageFull(err);
    throw new ApiError('API_UNAVAILABLE', { cause: err });
  }
  staged.push(input);
  const output = ctx.ingest.staging.path('out');
  staged.push(output);
  const limits: DatasetLimits = ctx.config.datasetLimits;
  let outcome;
  try {
    outcome = await slot.run({ format, input, output, limits });
  } catch (err) {
    if (isIngestError(err, 'INGEST_MEMORY')) {
      const mb = ctx.ingest.pool.options.memoryMb;
      throw new ApiError('DATASET_TOO_LARGE', { message: `The dataset is too large: reading it needed more than the ${mb} MiB an ingest worker has (PLOTBOX_INGEST_MEMORY_MB).`, details: { limit: { name: 'ingestMemoryMb', value: mb } }, cause: err });
    }
    if (isIngestError(err, 'INGEST_TIMEOUT')) {
      const seconds = Math.round(ctx.ingest.pool.options.timeoutMs / 1000);
      throw new ApiError('DATASET_TOO_LARGE', { message: `The dataset is too large: reading it took longer than ${seconds} s (PLOTBOX_INGEST_TIMEOUT_SEC).`, details: { limit: { name: 'ingestSeconds', value: seconds } }, cause: err });
    }
    if (isIngestError(err, 'INGEST_CLOSED')) throw new ApiError('API_UNAVAILABLE', { cause: err });
    if (isStorageFull(err) || isStorageFull((err as { cause?: unknown }).cause)) throw storageFull(err);
    // The worker failed on this input without a dataset error: still the input's doing.
    (req as Request & { log?: { error: (o: object, m: string) => void } }).log?.error({ err }, 'ingest worker failed');
    throw new ApiError('DATASET_INVALID', { message: 'The upload is not a valid dataset: it could not be read.', details: { reason: 'parse' }, cause: err });
  }
  if (!outcome.ok) throw datasetApiError(outcome.failure);
  return { result: outcome.result, output };
}

/** Store the canonical file as a blob under a key of its own (one blob per version). */
async function putBlob(call: RouteCall<unknown, unknown, unknown>, project: Project, result: IngestResult, output: string): Promise<string> {
  const { ctx } = call;
  // A key per upload, not per content: a blob belongs to exactly one version, so deleting a
  // version's blob never takes another's, and a concurrent sweep can never race a re-upload.
  const key = `datasets/${project.id}/${result.sha256.slice(0, 16)}-${ctx.newId()}.arrow`;
  try {
    await ctx.blobs.put(key, createReadStream(output, { highWaterMark: 1024 * 1024 }), {
      expectedSha256: result.sha256,
      maxBytes: ctx.config.datasetLimits.maxStoredBytes,
      contentType: 'application/vnd.apache.arrow.stream',
    });
  } catch (err) {
    if (isStorageFull(err)) throw storageFull(err);
    if (isBlobError(err, 'BLOB_TOO_LARGE')) {
      const limit = ctx.config.datasetLimits.maxStoredBytes;
      throw new ApiError('DATASET_TOO_LARGE', { message: `The dataset is too large: its stored Arrow form (${result.bytes} bytes) is larger than the storage limit.`, details: { limit: { name: 'storedBytes', value: limit } }, cause: err });
    }
    if (isBlobError(err, 'BLOB_UNAVAILABLE')) throw new ApiError('API_UNAVAILABLE', { cause: err });
    throw err;
  }
  return key;
}

/**
 * The whole upload: admit, stage, parse, store the blob, then `record` the version in the store.
 * On any failure after the blob was stored, the blob is deleted again (a crash instead leaves it
 * to the repair sweep). Staged files are removed whatever happens.
 */
async function upload(
  call: RouteCall<unknown, unknown, unknown>,
  format: UploadFormat,
  record: (version: NewDatasetVersion) => Promise<{ readonly dataset: Dataset; readonly version: DatasetVersion }>,
): Promise<{ dataset: Dataset; version: DatasetVersion }> {
  const { ctx, auth, scope } = call;
  const project = scope.project as Project;
  const slot = admit(call);
  const staged: string[] = [];
  try {
    const { result, output } = await ingestUpload(call, slot, format, staged);
    const blobKey = await putBlob(call, project, result, output);
    try {
      return await record({ sha256: result.sha256, blobKey, bytes: result.bytes, rowCount: result.rowCount, schema: result.schema, profile: result.profile, createdBy: auth.user.id });
    } catch (err) {
      await ctx.blobs.delete(blobKey).catch(() => undefined);
      if (isStoreError(err, 'STORE_CONFLICT')) throw new ApiError('DATASET_NAME_TAKEN');
      if (isStoreError(err, 'STORE_NOT_FOUND')) throw new ApiError('API_NOT_FOUND', { message: 'The dataset was deleted meanwhile.' });
      if (isStorageFull(err)) throw storageFull(err);
      throw err;
    }
  } catch (err) {
    if (err instanceof ApiError && err.code === 'STORAGE_FULL') {
      // Operators need to know at once; the audit log may itself be on the full disk (then the log line stays).
      await ctx.audit({ action: 'dataset_upload', outcome: 'failure', actor: actorOf(auth), target: null, ...reqMeta(call.req), details: { projectId: project.id, format, reason: 'storage_full' } });
    }
    throw err;
  } finally {
    slot.release();
    for (const path of staged) await ctx.ingest.staging.remove(path);
  }
}

async function auditUpload(call: RouteCall<unknown, unknown, unknown>, format: UploadFormat, dataset: Dataset, version: DatasetVersion, created: boolean): Promise<void> {
  // Never contents: the hash, the size and the shape.
  await auditWrite(call, 'dataset_upload', { type: 'dataset', id: dataset.id }, {
    projectId: dataset.projectId,
    versionId: version.id,
    sha256: version.sha256,
    rows: version.rowCount,
    bytes: version.bytes,
    format,
    created,
  });
}

// ------------------------------------------------------------------------------------ preview

/**
 * The first `limit` rows of a stored version, reading only the leading record batches of its
 * blob (versions are stored in batches of bounded size) and cutting long cells.
 */
async function previewVersion(call: RouteCall<unknown, unknown, unknown>, version: DatasetVersion, limit: number, res: Response): Promise<void> {
  const { ctx } = call;
  let stream;
  try {
    stream = await ctx.blobs.get(version.blobKey);
  } catch (err) {
    if (isBlobError(err, 'BLOB_UNAVAILABLE')) throw new ApiError('API_UNAVAILABLE', { cause: err });
    throw new ApiError('API_INTERNAL', { message: 'The stored dataset version could not be read.', cause: err });
  }
  let preview;
  try {
    const prefix = await readArrowPrefix(stream as AsyncIterable<Uint8Array>, limit, Math.max(version.bytes, 1) + 16);
    preview = previewRows(prefix.bytes, { rows: limit, maxCellChars: PREVIEW_CELL_CHARS, maxTotalChars: PREVIEW_TOTAL_CHARS });
  } catch (err) {
    if (isBlobError(err, 'BLOB_UNAVAILABLE')) throw new ApiError('API_UNAVAILABLE', { cause: err });
    // A damaged blob behind existing metadata is the server's fault, not the caller's.
    if (isDatasetError(err) || isBlobError(err)) throw new ApiError('API_INTERNAL', { message: 'The stored dataset version could not be read.', cause: err });
    throw err;
  } finally {
    stream.destroy();
  }
  res.json({ versionId: version.id, rowCount: version.rowCount, columns: preview.columns, rows: preview.rows, truncated: preview.truncated });
}

// ------------------------------------------------------------------------------------ routes

const BASE = '/api/projects/:projectId/datasets';

export const DATASET_ROUTES: readonly AnyRoute[] = [
  defineRoute({
    method: 'get',
    path: BASE,
    tag: 'datasets',
    summary: 'Datasets of the project (metadata only)',
    access: 'dataset.view',
    params: projectParams,
    query: listQuery,
    status: 200,
    async handler({ ctx, scope, query, res }) {
      const page = await ctx.store.datasets.listByProject((scope.project as Project).id, { limit: query.limit, cursor: query.cursor });
      res.json(pageOf(page, datasetView));
    },
  }),
  defineRoute({
    method: 'post',
    path: BASE,
    tag: 'datasets',
    summary: 'Create a dataset from an upload (`?name=`; body CSV, JSON rows or Arrow IPC by Content-Type) as its first version',
    access: 'dataset.upload',
    params: projectParams,
    query: createQuery,
    bodyKind: 'upload',
    status: 201,
    async handler(call) {
      const { ctx, req, res, scope, query } = call;
      const project = scope.project as Project;
      const format = uploadFormat(req);
      const cap = ctx.config.maxUploadBytes;
      checkDeclaredLength(req, cap);
      // Refuse a taken name before reading the body; the store's constraint still decides races.
      if ((await ctx.store.datasets.findByName(project.id, query.name)) !== null) throw new ApiError('DATASET_NAME_TAKEN');
      const { dataset, version } = await upload(call, format, (v) => ctx.store.datasets.createWithVersion({ projectId: project.id, name: query.name, version: v }));
      await auditUpload(call, format, dataset, version, true);
      res.status(201).json({ dataset: datasetView(dataset), version: versionView(version, dataset) });
    },
  }),
  defineRoute({
    method: 'get',
    path: `${BASE}/:datasetId`,
    tag: 'datasets',
    summary: 'A dataset with its current version (rows, bytes, schema, sha256)',
    access: 'dataset.view',
    params: datasetParams,
    status: 200,
    async handler({ ctx, scope, res }) {
      const dataset = scope.dataset as Dataset;
      const current = dataset.currentVersionId === null ? null : await ctx.store.datasets.findVersion(dataset.currentVersionId);
      res.json({ dataset: datasetView(dataset), current: current === null ? null : versionSummary(current) });
    },
  }),
  defineRoute({
    method: 'patch',
    path: `${BASE}/:datasetId`,
    tag: 'datasets',
    summary: 'Rename a dataset (optimistic: pass `version`)',
    access: 'dataset.upload',
    params: datasetParams,
    body: patchBody,
    status: 200,
    async handler(call) {
      const { ctx, scope, body, res } = call;
      const dataset = scope.dataset as Dataset;
      let updated: Dataset;
      try {
        updated = await ctx.store.datasets.rename(dataset.id, body.version ?? dataset.version, body.name);
      } catch (err) {
        if (isStoreError(err, 'STORE_CONFLICT')) throw new ApiError('DATASET_NAME_TAKEN');
        if (isStoreError(err, 'STORE_NOT_FOUND')) throw new ApiError('API_NOT_FOUND');
        throw err;
      }
      await auditWrite(call, 'dataset_rename', { type: 'dataset', id: dataset.id }, { projectId: dataset.projectId });
      res.json({ dataset: datasetView(updated) });
    },
  }),
  defineRoute({
    method: 'delete',
    path: `${BASE}/:datasetId`,
    tag: 'datasets',
    summary: 'Delete a dataset and all its versions (charts using it keep no dataset)',
    access: 'dataset.delete',
    params: datasetParams,
    status: 204,
    async handler(call) {
      const { ctx, scope, res } = call;
      const dataset = scope.dataset as Dataset;
      const removed = await ctx.store.datasets.delete(dataset.id);
      if (removed === null) throw new ApiError('API_NOT_FOUND');
      // Blobs after the metadata: a crash in between leaves unreferenced blobs, never dangling metadata.
      const keys = [...new Set(removed.blobKeys)];
      for (const key of keys) await ctx.blobs.delete(key).catch(() => undefined);
      await auditWrite(call, 'dataset_delete', { type: 'dataset', id: dataset.id }, { projectId: dataset.projectId, name: dataset.name, blobs: keys.length });
      res.status(204).end();
    },
  }),
  defineRoute({
    method: 'get',
    path: `${BASE}/:datasetId/versions`,
    tag: 'datasets',
    summary: 'Versions of a dataset, oldest first (no profiles)',
    access: 'dataset.view',
    params: datasetParams,
    query: listQuery,
    status: 200,
    async handler({ ctx, scope, query, res }) {
      const dataset = scope.dataset as Dataset;
      const page = await ctx.store.datasets.listVersions(dataset.id, { limit: query.limit, cursor: query.cursor });
      res.json(pageOf(page, (v) => ({ ...versionSummary(v), current: dataset.currentVersionId === v.id })));
    },
  }),
  defineRoute({
    method: 'post',
    path: `${BASE}/:datasetId/versions`,
    tag: 'datasets',
    summary: 'Upload a new version (CSV, JSON rows or Arrow IPC by Content-Type); it becomes current',
    access: 'dataset.upload',
    params: datasetParams,
    bodyKind: 'upload',
    status: 201,
    async handler(call) {
      const { ctx, req, res, scope } = call;
      const format = uploadFormat(req);
      const cap = ctx.config.maxUploadBytes;
      checkDeclaredLength(req, cap);
      const existing = scope.dataset as Dataset;
      const { dataset, version } = await upload(call, format, (v) => ctx.store.datasets.addVersion(existing.id, v));
      await auditUpload(call, format, dataset, version, false);
      res.status(201).json({ dataset: datasetView(dataset), version: versionView(version, dataset) });
    },
  }),
  defineRoute({
    method: 'get',
    path: `${BASE}/:datasetId/versions/:versionId`,
    tag: 'datasets',
    summary: 'A version with its schema and profile (counts, nulls, min/max per column)',
    access: 'dataset.view',
    params: versionParams,
    status: 200,
    async handler({ scope, res }) {
      res.json({ version: versionView(scope.version as DatasetVersion, scope.dataset as Dataset) });
    },
  }),
  defineRoute({
    method: 'get',
    path: `${BASE}/:datasetId/versions/:versionId/preview`,
    tag: 'datasets',
    summary: 'The first rows of a version as JSON objects (`?limit=`, default 20, at most 200; cells over 1,000 characters cut, about 1 MiB at most: `truncated` says rows were left out); the rows themselves need dataset.download',
    // SPEC §3: viewers see datasets' metadata, not their rows.
    access: 'dataset.download',
    params: versionParams,
    query: previewQuery,
    status: 200,
    async handler(call) {
      await previewVersion(call, call.scope.version as DatasetVersion, call.query.limit, call.res);
    },
  }),
  defineRoute({
    method: 'post',
    path: `${BASE}/:datasetId/current`,
    tag: 'datasets',
    summary: 'Make a version of the dataset its current one (roll back or forward)',
    access: 'dataset.upload',
    params: datasetParams,
    body: currentBody,
    status: 200,
    async handler(call) {
      const { ctx, scope, body, res } = call;
      const dataset = scope.dataset as Dataset;
      let updated: Dataset;
      try {
        updated = await ctx.store.datasets.setCurrentVersion(dataset.id, body.versionId, body.version);
      } catch (err) {
        if (isStoreError(err, 'STORE_NOT_FOUND')) {
          throw err.reason === 'dataset_version' ? new ApiError('VALIDATION_FAILED', { message: 'No such version of this dataset.' }) : new ApiError('API_NOT_FOUND');
        }
        throw err;
      }
      await auditWrite(call, 'dataset_set_current', { type: 'dataset', id: dataset.id }, { projectId: dataset.projectId, versionId: body.versionId, previousVersionId: dataset.currentVersionId });
      const version = await ctx.store.datasets.findVersion(body.versionId);
      res.json({ dataset: datasetView(updated), current: version === null ? null : versionSummary(version) });
    },
  }),
];
