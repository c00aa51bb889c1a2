/**
 * Datasets of a project (SPEC §3): list, read (with the current version's summary), rename,
 * delete; upload a new dataset or a new version as CSV, JSON rows or Arrow IPC; list versions,
 * read one with its schema and profile, preview its first rows, and make an older version current.
 * Uploads never run on the event loop (`use-cases/upload-dataset.ts`); they are refused by media
 * type, declared length or a taken name before their body is read.
 *
 * Viewers see datasets' metadata only (names, versions, schema, profile: `dataset.view`); the rows
 * themselves (preview) need `dataset.download`, which editors and owners hold.
 */
import type { Request } from 'express';
import { z } from 'zod';
import { isStoreError } from '@plotbox/store';
import { ApiError } from '../errors.ts';
import type { UploadFormat } from '../ingest/ingest-protocol.ts';
import { defineRoute, type AnyRoute } from '../route-table.ts';
import { auditWrite } from '../use-cases/audit-write.ts';
import type { Caller } from '../context.ts';
import { previewDataset } from '../use-cases/preview-dataset.ts';
import { uploadDataset, uploadTooLarge } from '../use-cases/upload-dataset.ts';
import type { Audit } from '../audit.ts';
import type { Dataset, DatasetVersion } from '@plotbox/store';
import { datasetView, pageOf, versionListItem, versionSummary, versionView } from '../views.ts';
import { ID, listQuery } from './resource-schemas.ts';

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

const FORMATS: ReadonlyMap<string, UploadFormat> = new Map([
  ['text/csv', 'csv'],
  ['application/json', 'json'],
  ['application/vnd.apache.arrow.stream', 'arrow'],
]);

const unsupported = (): ApiError =>
  new ApiError('VALIDATION_UNSUPPORTED_MEDIA_TYPE', {
    message: 'Upload datasets as text/csv, application/json (an array of row objects) or application/vnd.apache.arrow.stream (UTF-8 text, no Content-Encoding).',
  });

/**
 * The format named by the request's Content-Type (anything else is a 415), after refusing a
 * declared length over the cap (413 before a byte is read).
 */
function uploadFormat(req: Request, cap: number): UploadFormat {
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
  const length = req.headers['content-length'];
  if (length !== undefined && /^\d+$/u.test(length) && Number(length) > cap) throw uploadTooLarge(cap);
  return format;
}

/** Audit an upload: never contents, only the hash, the size and the shape. */
function auditUpload(deps: { readonly audit: Audit }, caller: Caller, format: UploadFormat, dataset: Dataset, version: DatasetVersion, created: boolean): Promise<void> {
  return auditWrite(
    deps,
    caller,
    'dataset_upload',
    { type: 'dataset', id: dataset.id },
    { projectId: dataset.projectId, versionId: version.id, sha256: version.sha256, rows: version.rowCount, bytes: version.bytes, format, created },
  );
}

const BASE = '/api/projects/:projectId/datasets';
const ONE = `${BASE}/:datasetId`;

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
      res.json(pageOf(await ctx.store.datasets.listByProject(scope.project.id, { limit: query.limit, cursor: query.cursor }), datasetView));
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
    async handler({ ctx, req, res, scope: { project }, query, auth, caller }) {
      const format = uploadFormat(req, ctx.config.maxUploadBytes);
      // Refuse a taken name before reading the body; the store's constraint still decides races.
      if ((await ctx.store.datasets.findByName(project.id, query.name)) !== null) throw new ApiError('DATASET_NAME_TAKEN');
      const { dataset, version } = await uploadDataset(ctx, { project, body: req, format, createdBy: auth.user.id }, caller, (v) =>
        ctx.store.datasets.createWithVersion({ projectId: project.id, name: query.name, version: v }),
      );
      await auditUpload(ctx, caller, format, dataset, version, true);
      res.status(201).json({ dataset: datasetView(dataset), version: versionView(version, dataset) });
    },
  }),
  defineRoute({
    method: 'get',
    path: ONE,
    tag: 'datasets',
    summary: 'A dataset with its current version (rows, bytes, schema, sha256)',
    access: 'dataset.view',
    params: datasetParams,
    status: 200,
    async handler({ ctx, scope: { dataset }, res }) {
      const current = dataset.currentVersionId === null ? null : await ctx.store.datasets.findVersion(dataset.currentVersionId);
      res.json({ dataset: datasetView(dataset), current: current === null ? null : versionSummary(current) });
    },
  }),
  defineRoute({
    method: 'patch',
    path: ONE,
    tag: 'datasets',
    summary: 'Rename a dataset (optimistic: pass `version`)',
    access: 'dataset.upload',
    params: datasetParams,
    body: patchBody,
    status: 200,
    async handler({ ctx, scope: { dataset }, body, res, caller }) {
      // A taken name is the store's `datasets.project_name` conflict (error table).
      const updated = await ctx.store.datasets.rename(dataset.id, body.version ?? dataset.version, body.name);
      await auditWrite(ctx, caller, 'dataset_rename', { type: 'dataset', id: dataset.id }, { projectId: dataset.projectId });
      res.json({ dataset: datasetView(updated) });
    },
  }),
  defineRoute({
    method: 'delete',
    path: ONE,
    tag: 'datasets',
    summary: 'Delete a dataset and all its versions (charts using it keep no dataset)',
    access: 'dataset.delete',
    params: datasetParams,
    status: 204,
    async handler({ ctx, scope: { dataset }, res, caller }) {
      const removed = await ctx.store.datasets.delete(dataset.id);
      if (removed === null) throw new ApiError('API_NOT_FOUND');
      // Blobs after the metadata: a crash in between leaves unreferenced blobs, never dangling metadata.
      const keys = [...new Set(removed.blobKeys)];
      for (const key of keys) await ctx.blobs.delete(key).catch(() => undefined);
      await auditWrite(ctx, caller, 'dataset_delete', { type: 'dataset', id: dataset.id }, { projectId: dataset.projectId, name: dataset.name, blobs: keys.length });
      res.status(204).end();
    },
  }),
  defineRoute({
    method: 'get',
    path: `${ONE}/versions`,
    tag: 'datasets',
    summary: 'Versions of a dataset, oldest first (no profiles)',
    access: 'dataset.view',
    params: datasetParams,
    query: listQuery,
    status: 200,
    async handler({ ctx, scope: { dataset }, query, res }) {
      res.json(pageOf(await ctx.store.datasets.listVersions(dataset.id, { limit: query.limit, cursor: query.cursor }), (v) => versionListItem(v, dataset)));
    },
  }),
  defineRoute({
    method: 'post',
    path: `${ONE}/versions`,
    tag: 'datasets',
    summary: 'Upload a new version (CSV, JSON rows or Arrow IPC by Content-Type); it becomes current',
    access: 'dataset.upload',
    params: datasetParams,
    bodyKind: 'upload',
    status: 201,
    async handler({ ctx, req, res, scope: { project, dataset: existing }, auth, caller }) {
      const format = uploadFormat(req, ctx.config.maxUploadBytes);
      const { dataset, version } = await uploadDataset(ctx, { project, body: req, format, createdBy: auth.user.id }, caller, (v) => ctx.store.datasets.addVersion(existing.id, v));
      await auditUpload(ctx, caller, format, dataset, version, false);
      res.status(201).json({ dataset: datasetView(dataset), version: versionView(version, dataset) });
    },
  }),
  defineRoute({
    method: 'get',
    path: `${ONE}/versions/:versionId`,
    tag: 'datasets',
    summary: 'A version with its schema and profile (counts, nulls, min/max per column)',
    access: 'dataset.view',
    params: versionParams,
    status: 200,
    async handler({ scope, res }) {
      res.json({ version: versionView(scope.version, scope.dataset) });
    },
  }),
  defineRoute({
    method: 'get',
    path: `${ONE}/versions/:versionId/preview`,
    tag: 'datasets',
    summary:
      'The first rows of a version as JSON objects (`?limit=`, default 20, at most 200; cells over 1,000 characters cut, about 1 MiB at most: `truncated` says rows were left out); the rows themselves need dataset.download',
    // SPEC §3: viewers see datasets' metadata, not their rows.
    access: 'dataset.download',
    params: versionParams,
    query: previewQuery,
    status: 200,
    async handler({ ctx, scope, query, res }) {
      res.json(await previewDataset(ctx, scope.version, query.limit));
    },
  }),
  defineRoute({
    method: 'post',
    path: `${ONE}/current`,
    tag: 'datasets',
    summary: 'Make a version of the dataset its current one (roll back or forward)',
    access: 'dataset.upload',
    params: datasetParams,
    body: currentBody,
    status: 200,
    async handler({ ctx, scope: { dataset }, body, res, caller }) {
      const updated = await ctx.store.datasets.setCurrentVersion(dataset.id, body.versionId, body.version).catch((err: unknown) => {
        // The version is named in the body: one that is not this dataset's is the body's fault.
        if (isStoreError(err, 'STORE_NOT_FOUND') && err.reason === 'dataset_version') throw new ApiError('VALIDATION_FAILED', { message: 'No such version of this dataset.' });
        throw err;
      });
      await auditWrite(
        ctx,
        caller,
        'dataset_set_current',
        { type: 'dataset', id: dataset.id },
        { projectId: dataset.projectId, versionId: body.versionId, previousVersionId: dataset.currentVersionId },
      );
      const version = await ctx.store.datasets.findVersion(body.versionId);
      res.json({ dataset: datasetView(updated), current: version === null ? null : versionSummary(version) });
    },
  }),
];
