/**
 * Datasets of a project (SPEC §3): list, read (with the current version's summary), rename,
 * delete; upload a new dataset or a new version as CSV, JSON rows or Arrow IPC (streamed under
 * `maxUploadBytes`, parsed, stored as canonical Arrow IPC addressed by sha256); list versions,
 * read one with its schema and profile, preview its first rows, and make an older version current.
 *
 * Viewers see datasets' metadata only (names, versions, schema, profile: `dataset.view`); the rows
 * themselves (preview) need `dataset.download`, which editors and owners hold.
 */
import type { Request } from 'express';
import { z } from 'zod';
import { isBlobError } from '@plotbox/blobs';
import { buildDataset, decodeArrowIPC, isDatasetError, parseCsv, parseJsonRows, type BuiltDataset, type DatasetError } from '@plotbox/datasets';
import type { Column } from '@plotbox/sandbox-protocol';
import { isStoreError, type Dataset, type DatasetVersion, type JsonValue, type Project } from '@plotbox/store';
import type { AppContext } from '../context.ts';
import { profileOf, schemaOf } from '../dataset-shape.ts';
import { ApiError } from '../errors.ts';
import { defineRoute, type AnyRoute, type RouteCall } from '../route-table.ts';
import { auditWrite } from './project-routes.ts';
import { ID, listQuery, pageOf } from './resource-schemas.ts';

// ------------------------------------------------------------------------------------ views

/** What a version is, without its profile (lists and the dataset's `current`). */
export function versionSummary(v: DatasetVersion): Record<string, unknown> {
  return { id: v.id, datasetId: v.datasetId, sha256: v.sha256, bytes: v.bytes, rowCount: v.rowCount, schema: v.schema, createdAt: v.createdAt.toISOString(), createdBy: v.createdBy };
}

/** A version with its profile; `current` says whether the dataset points at it. */
export function versionView(v: DatasetVersion, dataset: Dataset): Record<string, unknown> {
  return { ...versionSummary(v), profile: v.profile, current: dataset.currentVersionId === v.id };
}

/** A dataset's metadata; `currentVersionId` is `null` only while its first upload is being stored. */
export function datasetView(d: Dataset): Record<string, unknown> {
  return { id: d.id, projectId: d.projectId, name: d.name, currentVersionId: d.currentVersionId, createdAt: d.createdAt.toISOString(), updatedAt: d.updatedAt.toISOString(), version: d.version };
}

// ------------------------------------------------------------------------------------ schemas

const DEFAULT_PREVIEW_ROWS = 20;
const MAX_PREVIEW_ROWS = 200;

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

/** The upload formats, by media type (parameters aside). */
type UploadFormat = 'csv' | 'json' | 'arrow';
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
  new ApiError('VALIDATION_PAYLOAD_TOO_LARGE', { message: `The upload is larger than ${cap} bytes (PLOTBOX_MAX_UPLOAD_MB).` });

/** Refuse at once when the declared length is over the cap (before reading a byte). */
function checkDeclaredLength(req: Request, cap: number): void {
  const length = req.headers['content-length'];
  if (length !== undefined && /^\d+$/u.test(length) && Number(length) > cap) throw tooLarge(cap);
}

/**
 * Read the request body, refusing with 413 as soon as more than `cap` bytes arrived. Reading
 * stops there (the stream is paused, not drained); upload answers close the connection (app.ts),
 * so the rest is never read.
 */
function readBody(req: Request, cap: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    if (req.readableEnded) {
      reject(new Error('upload body was already consumed'));
      return;
    }
    const chunks: Buffer[] = [];
    let total = 0;
    let settled = false;
    const settle = (error: Error | null): void => {
      if (settled) return;
      settled = true;
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
      if (error === null) resolve(Buffer.concat(chunks, total));
      else reject(error);
    };
    const onData = (chunk: Buffer): void => {
      total += chunk.length;
      if (total > cap) {
        req.pause();
        settle(tooLarge(cap));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => settle(null);
    const onError = (error: Error): void => settle(new ApiError('VALIDATION_FAILED', { message: 'The upload could not be read.', cause: error }));
    const onClose = (): void => settle(new ApiError('VALIDATION_FAILED', { message: 'The upload ended before it was complete.' }));
    req.on('data', onData);
    req.once('end', onEnd);
    req.once('error', onError);
    req.once('close', onClose);
  });
}

/** A parser's DatasetError as the API's typed error: the message and position, never the library's internals. */
function datasetApiError(err: DatasetError): ApiError {
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

/** Parse the body as `format` and build the canonical Arrow IPC bytes. */
function parseUpload(format: UploadFormat, body: Buffer): BuiltDataset {
  try {
    let columns: readonly Column[];
    if (format === 'csv') columns = parseCsv(body);
    else if (format === 'json') columns = parseJsonRows(body);
    else columns = decodeArrowIPC(body).columns;
    // Arrow uploads are re-encoded too: the stored bytes (and so the sha256) depend only on content.
    return buildDataset(columns);
  } catch (err) {
    if (isDatasetError(err)) throw datasetApiError(err);
    throw err;
  }
}

/**
 * Read, parse and store an upload as a new version of `dataset` (made current). `onFailure` runs
 * before the error is rethrown, after this function's own clean-up (the blob, if it put one).
 */
async function storeUpload(
  call: RouteCall<unknown, unknown, unknown>,
  format: UploadFormat,
  body: Buffer,
  target: () => Promise<Dataset>,
  onFailure: (dataset: Dataset | null) => Promise<void>,
): Promise<{ dataset: Dataset; version: DatasetVersion }> {
  const { ctx, auth, scope } = call;
  const project = scope.project as Project;
  const built = parseUpload(format, body);
  const { sha256, rowCount, columns } = built.dataset;
  let dataset: Dataset | null = null;
  let blobKey: string | null = null;
  let putBlob = false;
  try {
    dataset = await target();
    blobKey = `datasets/${project.id}/${dataset.id}/${sha256}.arrow`;
    // The key is content-addressed: an identical earlier version already owns this blob, so a
    // failure below must then leave it alone.
    putBlob = (await ctx.blobs.head(blobKey)) === null;
    // No cap of our own here: the canonical Arrow form may be larger than the text uploaded (a
    // one-digit CSV number becomes 4 or 8 bytes); the blob store's own maximum decides.
    await ctx.blobs.put(blobKey, built.bytes, { expectedSha256: sha256, contentType: 'application/vnd.apache.arrow.stream' });
    return await ctx.store.datasets.addVersion(dataset.id, {
      sha256,
      blobKey,
      bytes: built.bytes.byteLength,
      rowCount,
      schema: schemaOf(columns),
      profile: profileOf(columns, rowCount),
      createdBy: auth.user.id,
    });
  } catch (err) {
    if (putBlob && blobKey !== null) await ctx.blobs.delete(blobKey).catch(() => undefined);
    await onFailure(dataset).catch(() => undefined);
    if (isBlobError(err, 'BLOB_TOO_LARGE')) {
      throw new ApiError('DATASET_TOO_LARGE', { message: `The dataset in its stored Arrow form (${built.bytes.byteLength} bytes) is larger than the storage limit.`, details: { limit: { name: 'storedBytes', value: built.bytes.byteLength } }, cause: err });
    }
    if (isBlobError(err, 'BLOB_UNAVAILABLE')) throw new ApiError('API_UNAVAILABLE', { cause: err });
    if (isStoreError(err, 'STORE_CONFLICT')) throw new ApiError('DATASET_NAME_TAKEN');
    if (isStoreError(err, 'STORE_NOT_FOUND')) throw new ApiError('API_NOT_FOUND', { message: 'The dataset was deleted meanwhile.' });
    throw err;
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

/** One cell as JSON: dates as ISO strings, non-finite numbers as null. */
function cellAt(column: Column, i: number): JsonValue {
  if (column.kind === 'string') {
    const code = column.codes[i] ?? -1;
    return code < 0 ? null : (column.dictionary[code] ?? null);
  }
  if (column.valid !== undefined && column.valid[i] === 0) return null;
  const v = column.values[i] ?? 0;
  if (column.kind === 'bool') return v !== 0;
  if (!Number.isFinite(v)) return null;
  return column.kind === 'date' ? new Date(v).toISOString() : v;
}

async function loadVersionColumns(ctx: AppContext, version: DatasetVersion): Promise<readonly Column[]> {
  try {
    const bytes = await ctx.blobs.getBytes(version.blobKey, version.bytes);
    return decodeArrowIPC(bytes, { expectSha256: version.sha256 }).columns;
  } catch (err) {
    if (isBlobError(err, 'BLOB_UNAVAILABLE')) throw new ApiError('API_UNAVAILABLE', { cause: err });
    // A missing or damaged blob behind existing metadata is the server's fault, not the caller's.
    throw new ApiError('API_INTERNAL', { message: 'The stored dataset version could not be read.', cause: err });
  }
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
      const body = await readBody(req, cap);
      const { dataset, version } = await storeUpload(
        call,
        format,
        body,
        () => ctx.store.datasets.create({ projectId: project.id, name: query.name }),
        async (created) => {
          if (created !== null) await ctx.store.datasets.delete(created.id);
        },
      );
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
      const body = await readBody(req, cap);
      const existing = scope.dataset as Dataset;
      const { dataset, version } = await storeUpload(call, format, body, () => Promise.resolve(existing), () => Promise.resolve());
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
    summary: 'The first rows of a version as JSON objects (`?limit=`, default 20, at most 200); the rows themselves need dataset.download',
    // SPEC §3: viewers see datasets' metadata, not their rows.
    access: 'dataset.download',
    params: versionParams,
    query: previewQuery,
    status: 200,
    async handler({ ctx, scope, query, res }) {
      const version = scope.version as DatasetVersion;
      const columns = await loadVersionColumns(ctx, version);
      const n = Math.min(query.limit, version.rowCount);
      const rows: Record<string, JsonValue>[] = [];
      for (let i = 0; i < n; i++) {
        // A null-prototype object: a column named `__proto__` is just a key.
        const row = Object.create(null) as Record<string, JsonValue>;
        for (const column of columns) row[column.name] = cellAt(column, i);
        rows.push(row);
      }
      res.json({ versionId: version.id, rowCount: version.rowCount, columns: columns.map((c) => ({ name: c.name, type: c.kind })), rows });
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
