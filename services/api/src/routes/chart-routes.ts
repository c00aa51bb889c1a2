/**
 * Charts on a dashboard and running their code (SPEC §2, §3): create, read, edit and delete charts
 * (code checked on save: diagnostics stored and returned, drafts with findings allowed); render a
 * saved chart's stored code on its dataset's current version through the render cache (viewers
 * may); preview unsaved code (editors). Every save and run is audited with the code hash, never
 * the code or the data.
 */
import type { Response } from 'express';
import { z } from 'zod';
import { datasetReach, mayUseDataset, type Action } from '@plotbox/access';
import { DEFAULT_LIMITS, type CodeLang } from '@plotbox/sandbox-protocol';
import { isStoreError, type Chart, type Dashboard, type Project } from '@plotbox/store';
import { actorOf, reqMeta, requestIdOf } from '../context.ts';
import { ApiError } from '../errors.ts';
import { checkFailureError, codeHashOf, previewCode, renderBody, renderChart, reviewCode, type RenderResult } from '../render.ts';
import { defineRoute, type AnyRoute, type RouteCall } from '../route-table.ts';
import { MAX_CHARTS_PER_DASHBOARD, chartSummary } from './dashboard-routes.ts';
import { auditWrite } from './project-routes.ts';
import { ID, listQuery, pageOf } from './resource-schemas.ts';

const title = z.string().trim().min(1).max(200);
// A loose bound on characters only: the byte limit itself is the code check's (CODE_TOO_LARGE with
// a diagnostic, the limit the sandbox applies), so code somewhat over it gets that answer, not a 400.
const code = z.string().max(4 * DEFAULT_LIMITS.codeBytes);
const lang = z.enum(['js', 'ts']);
const datasetId = ID.nullable();
const createBody = z.strictObject({ title, code, lang: lang.optional(), datasetId: datasetId.optional() });
const patchBody = z
  .strictObject({ title: title.optional(), code: code.optional(), lang: lang.optional(), datasetId: datasetId.optional(), version: z.number().int().min(0).optional() })
  .refine((b) => b.title !== undefined || b.code !== undefined || b.lang !== undefined || b.datasetId !== undefined, 'nothing to change');
const previewBody = z.strictObject({ code, lang: lang.optional(), datasetId: ID });
const dashboardParams = z.strictObject({ projectId: ID, dashboardId: ID });
const chartParams = z.strictObject({ projectId: ID, dashboardId: ID, chartId: ID });
const BASE = '/api/projects/:projectId/dashboards/:dashboardId';

export function chartView(c: Chart): Record<string, unknown> {
  return { ...chartSummary(c), projectId: c.projectId, dashboardId: c.dashboardId, code: c.code, createdAt: c.createdAt.toISOString() };
}

/** A dataset id from a request must name a dataset of this project (else 400, like an unknown principal). */
/**
 * The dataset a request names must be one of the project's and, when the right to run code comes
 * only from a dashboard grant, one the dashboard's charts already use (SPEC §3 decision 8). Both
 * refusals read the same, so such a grant reveals nothing of the project's other datasets.
 */
async function assertUsableDataset(call: RouteCall<unknown, unknown, unknown>, action: Action, id: string | null | undefined): Promise<void> {
  if (id === null || id === undefined) return;
  const { ctx, scope } = call;
  const project = scope.project as Project;
  const refuse = (): ApiError => new ApiError('VALIDATION_FAILED', { message: 'No such dataset in this project.', details: { issues: [{ path: 'datasetId', message: 'no such dataset in this project' }] } });
  const dataset = await ctx.store.datasets.findById(id);
  if (dataset === null || dataset.projectId !== project.id) throw refuse();
  const reach = datasetReach(scope.access, action);
  if (reach === 'project') return;
  const charts = await ctx.store.charts.listByDashboard((scope.dashboard as Dashboard).id, { limit: MAX_CHARTS_PER_DASHBOARD });
  const used = new Set(charts.items.flatMap((c) => (c.datasetId === null ? [] : [c.datasetId])));
  if (!mayUseDataset(reach, id, used)) throw refuse();
}

/** The store refuses a dataset of another project too (a race with a dataset delete ends here). */
function storeDatasetError(err: unknown): never {
  if (isStoreError(err, 'STORE_NOT_FOUND') && String(err.reason ?? '').includes('dataset')) throw new ApiError('VALIDATION_FAILED', { message: 'No such dataset in this project.' });
  throw err;
}

/** Audit a run (SPEC §5: code hash, duration, outcome), answer with the figure or throw its error. */
async function answerRun(call: RouteCall<unknown, unknown, unknown>, action: 'chart_run' | 'chart_preview', target: { type: string; id: string }, codeHash: string, startedAt: number, result: RenderResult): Promise<void> {
  const { ctx, auth, req, res } = call;
  const durationMs = Math.round(performance.now() - startedAt);
  await ctx.audit({
    action,
    outcome: result.ok ? 'success' : 'failure',
    actor: actorOf(auth),
    target,
    ...reqMeta(req),
    details: {
      codeHash,
      durationMs,
      outcome: result.ok ? 'ok' : result.error.code,
      cached: result.ok && result.cached,
      datasetVersionId: result.datasetVersionId,
      ...(call.asSystemAdmin ? { asSystemAdmin: true } : {}),
    },
  });
  if (!result.ok) {
    if (result.error.status === 503) res.setHeader('Retry-After', '1');
    throw result.error;
  }
  sendJsonText(res, renderBody(result));
}

function sendJsonText(res: Response, body: string): void {
  res.status(200).type('application/json').send(body);
}

export const CHART_ROUTES: readonly AnyRoute[] = [
  defineRoute({
    method: 'get',
    path: `${BASE}/charts`,
    tag: 'charts',
    summary: 'Charts of a dashboard (without their code)',
    access: 'chart.view',
    params: dashboardParams,
    query: listQuery,
    status: 200,
    async handler({ ctx, scope, query, res }) {
      const page = await ctx.store.charts.listByDashboard((scope.dashboard as Dashboard).id, { limit: query.limit, cursor: query.cursor });
      res.json(pageOf(page, chartSummary));
    },
  }),
  defineRoute({
    method: 'post',
    path: `${BASE}/charts`,
    tag: 'charts',
    summary: 'Create a chart; its code is checked and the diagnostics stored (drafts with findings are allowed)',
    access: 'chart.create',
    params: dashboardParams,
    body: createBody,
    status: 201,
    async handler(call) {
      const { ctx, scope, body, res } = call;
      const dashboard = scope.dashboard as Dashboard;
      await assertUsableDataset(call, 'chart.create', body.datasetId);
      const chartLang: CodeLang = body.lang ?? 'js';
      const review = reviewCode(body.code, chartLang);
      if (review.failure === 'CODE_TOO_LARGE') throw checkFailureError(review);
      const existing = await ctx.store.charts.listByDashboard(dashboard.id, { limit: MAX_CHARTS_PER_DASHBOARD });
      if (existing.items.length >= MAX_CHARTS_PER_DASHBOARD) throw new ApiError('API_CONFLICT', { message: `A dashboard holds at most ${MAX_CHARTS_PER_DASHBOARD} charts.` });
      const chart = await ctx.store.charts
        .create({ dashboardId: dashboard.id, title: body.title, code: body.code, lang: chartLang, datasetId: body.datasetId ?? null, diagnostics: review.diagnostics, codeHash: review.codeHash })
        .catch(storeDatasetError);
      await auditWrite(call, 'chart_save', { type: 'chart', id: chart.id }, { dashboardId: dashboard.id, codeHash: review.codeHash, lang: chartLang, diagnostics: review.diagnostics.length, created: true });
      res.status(201).json({ chart: chartView(chart) });
    },
  }),
  defineRoute({
    method: 'get',
    path: `${BASE}/charts/:chartId`,
    tag: 'charts',
    summary: 'A chart with its code and stored diagnostics, and my effective role on its dashboard',
    access: 'chart.view',
    params: chartParams,
    status: 200,
    async handler({ scope, res }) {
      res.json({ chart: chartView(scope.chart as Chart), myRole: scope.access.dashboardRole ?? scope.access.projectRole });
    },
  }),
  defineRoute({
    method: 'patch',
    path: `${BASE}/charts/:chartId`,
    tag: 'charts',
    summary: 'Change a chart’s title, code, language or dataset (optimistic: pass `version`); code is checked again',
    access: 'chart.edit',
    params: chartParams,
    body: patchBody,
    status: 200,
    async handler(call) {
      const { ctx, scope, body, res } = call;
      const chart = scope.chart as Chart;
      await assertUsableDataset(call, 'chart.edit', body.datasetId);
      const codeChanged = body.code !== undefined || body.lang !== undefined;
      const review = codeChanged ? reviewCode(body.code ?? chart.code, body.lang ?? chart.lang) : null;
      if (review?.failure === 'CODE_TOO_LARGE') throw checkFailureError(review);
      const updated = await ctx.store.charts
        .update(chart.id, body.version ?? chart.version, {
          ...(body.title === undefined ? {} : { title: body.title }),
          ...(body.code === undefined ? {} : { code: body.code }),
          ...(body.lang === undefined ? {} : { lang: body.lang }),
          ...(body.datasetId === undefined ? {} : { datasetId: body.datasetId }),
          ...(review === null ? {} : { diagnostics: review.diagnostics, codeHash: review.codeHash }),
        })
        .catch(storeDatasetError);
      await auditWrite(call, 'chart_save', { type: 'chart', id: chart.id }, {
        dashboardId: chart.dashboardId,
        codeHash: updated.codeHash,
        lang: updated.lang,
        diagnostics: Array.isArray(updated.diagnostics) ? updated.diagnostics.length : 0,
        codeChanged: updated.codeHash !== chart.codeHash,
      });
      res.json({ chart: chartView(updated) });
    },
  }),
  defineRoute({
    method: 'delete',
    path: `${BASE}/charts/:chartId`,
    tag: 'charts',
    summary: 'Delete a chart',
    access: 'chart.delete',
    params: chartParams,
    status: 204,
    async handler(call) {
      const { ctx, scope, res } = call;
      const chart = scope.chart as Chart;
      if (!(await ctx.store.charts.delete(chart.id))) throw new ApiError('API_NOT_FOUND');
      await auditWrite(call, 'chart_delete', { type: 'chart', id: chart.id }, { dashboardId: chart.dashboardId, codeHash: chart.codeHash });
      res.status(204).end();
    },
  }),
  defineRoute({
    method: 'post',
    path: `${BASE}/charts/:chartId/render`,
    tag: 'runs',
    summary: 'Render a saved chart: its stored code on the current dataset version, from the cache when possible (viewers may)',
    access: 'chart.render',
    params: chartParams,
    status: 200,
    async handler(call) {
      const { ctx, scope, req } = call;
      const project = scope.project as Project;
      const chart = scope.chart as Chart;
      const startedAt = performance.now();
      const result = await renderChart(ctx, { projectId: project.id, code: chart.code, lang: chart.lang, codeHash: chart.codeHash, datasetId: chart.datasetId, requestId: requestIdOf(req) });
      await answerRun(call, 'chart_run', { type: 'chart', id: chart.id }, chart.codeHash, startedAt, result);
    },
  }),
  defineRoute({
    method: 'post',
    path: `${BASE}/preview`,
    tag: 'runs',
    summary: 'Run unsaved code on the current version of a dataset of the project (editors; never cached)',
    access: 'chart.preview',
    params: dashboardParams,
    body: previewBody,
    status: 200,
    async handler(call) {
      const { ctx, scope, body, req } = call;
      const project = scope.project as Project;
      const dashboard = scope.dashboard as Dashboard;
      await assertUsableDataset(call, 'chart.preview', body.datasetId);
      const previewLang: CodeLang = body.lang ?? 'js';
      const startedAt = performance.now();
      const result = await previewCode(ctx, { projectId: project.id, code: body.code, lang: previewLang, datasetId: body.datasetId, requestId: requestIdOf(req) });
      await answerRun(call, 'chart_preview', { type: 'dashboard', id: dashboard.id }, codeHashOf(previewLang, body.code), startedAt, result);
    },
  }),
];
