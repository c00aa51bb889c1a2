/**
 * Charts on a dashboard and running their code (SPEC §2, §3): create, read, edit and delete charts
 * (code checked on save: diagnostics stored and returned, drafts with findings allowed); render a
 * saved chart's stored code on its dataset's current version through the render cache (viewers
 * may); preview unsaved code (editors). Every save and run is audited with the code hash, never
 * the code or the data.
 */
import type { Response } from 'express';
import { z } from 'zod';
import { DEFAULT_LIMITS, DEFAULT_RUNTIME, RUNTIMES, type CodeLang } from '@plotbox/sandbox-protocol';
import { ApiError } from '../errors.ts';
import { defineRoute, type AnyRoute } from '../route-table.ts';
import { auditWrite } from '../use-cases/audit-write.ts';
import type { Caller } from '../context.ts';
import { codeHashOf } from '../use-cases/code-review.ts';
import { previewCode } from '../use-cases/preview-code.ts';
import { renderBody, renderChart } from '../use-cases/render-chart.ts';
import type { RenderResult } from '../use-cases/run-in-sandbox.ts';
import { createChart, updateChart, usableDataset } from '../use-cases/save-chart.ts';
import type { Audit } from '../audit.ts';
import { chartSummary, chartView, pageOf } from '../views.ts';
import { ID, listQuery } from './resource-schemas.ts';

const title = z.string().trim().min(1).max(200);
// A loose bound on characters only: the byte limit itself is the code check's (CODE_TOO_LARGE with
// a diagnostic, the limit the sandbox applies), so code somewhat over it gets that answer, not a 400.
const code = z.string().max(4 * DEFAULT_LIMITS.codeBytes);
const lang = z.enum(['js', 'ts']);
/** The Code Mode runtime (default arquero): what `df` is and which libraries the code has. */
const runtime = z.enum(RUNTIMES);
const datasetId = ID.nullable();
const createBody = z.strictObject({ title, code, lang: lang.optional(), runtime: runtime.optional(), datasetId: datasetId.optional() });
const patchBody = z
  .strictObject({ title: title.optional(), code: code.optional(), lang: lang.optional(), runtime: runtime.optional(), datasetId: datasetId.optional(), version: z.number().int().min(0).optional() })
  .refine((b) => b.title !== undefined || b.code !== undefined || b.lang !== undefined || b.runtime !== undefined || b.datasetId !== undefined, 'nothing to change');
const previewBody = z.strictObject({ code, lang: lang.optional(), runtime: runtime.optional(), datasetId: ID });
const dashboardParams = z.strictObject({ projectId: ID, dashboardId: ID });
const chartParams = z.strictObject({ projectId: ID, dashboardId: ID, chartId: ID });
const D = '/api/projects/:projectId/dashboards/:dashboardId';

/** Audit a run (SPEC §5: code hash, duration, outcome), then answer with the figure or throw its error. */
async function answerRun(
  deps: { readonly audit: Audit },
  caller: Caller,
  res: Response,
  run: { readonly action: 'chart_run' | 'chart_preview'; readonly target: { type: string; id: string }; readonly codeHash: string; readonly startedAt: number; readonly result: RenderResult },
): Promise<void> {
  const { result } = run;
  const { actor, ip, requestId, clientRequestId, asSystemAdmin } = caller;
  await deps.audit({
    action: run.action,
    outcome: result.ok ? 'success' : 'failure',
    actor,
    target: run.target,
    ip,
    requestId,
    clientRequestId,
    details: {
      codeHash: run.codeHash,
      durationMs: Math.round(performance.now() - run.startedAt),
      outcome: result.ok ? 'ok' : result.error.code,
      cached: result.ok && result.cached,
      datasetVersionId: result.datasetVersionId,
      ...(asSystemAdmin ? { asSystemAdmin: true } : {}),
    },
  });
  if (!result.ok) throw result.error;
  // Written around the figure's JSON text: never parsed here.
  res.status(200).type('application/json').send(renderBody(result));
}

export const CHART_ROUTES: readonly AnyRoute[] = [
  defineRoute({
    method: 'get',
    path: `${D}/charts`,
    tag: 'charts',
    summary: 'Charts of a dashboard (without their code)',
    access: 'chart.view',
    params: dashboardParams,
    query: listQuery,
    status: 200,
    async handler({ ctx, scope, query, res }) {
      res.json(pageOf(await ctx.store.charts.listByDashboard(scope.dashboard.id, { limit: query.limit, cursor: query.cursor }), chartSummary));
    },
  }),
  defineRoute({
    method: 'post',
    path: `${D}/charts`,
    tag: 'charts',
    summary: 'Create a chart; its code is checked and the diagnostics stored (drafts with findings are allowed)',
    access: 'chart.create',
    params: dashboardParams,
    body: createBody,
    status: 201,
    async handler({ ctx, scope, body, res, caller }) {
      const chartLang: CodeLang = body.lang ?? 'js';
      const { chart, review } = await createChart(ctx, scope, { title: body.title, code: body.code, lang: chartLang, runtime: body.runtime, datasetId: body.datasetId });
      await auditWrite(
        ctx,
        caller,
        'chart_save',
        { type: 'chart', id: chart.id },
        { dashboardId: scope.dashboard.id, codeHash: review.codeHash, lang: chartLang, diagnostics: review.diagnostics.length, created: true },
      );
      res.status(201).json({ chart: chartView(chart) });
    },
  }),
  defineRoute({
    method: 'get',
    path: `${D}/charts/:chartId`,
    tag: 'charts',
    summary: 'A chart with its code and stored diagnostics, and my effective role on its dashboard',
    access: 'chart.view',
    params: chartParams,
    status: 200,
    async handler({ scope, res }) {
      res.json({ chart: chartView(scope.chart), myRole: scope.access.dashboardRole ?? scope.access.projectRole });
    },
  }),
  defineRoute({
    method: 'patch',
    path: `${D}/charts/:chartId`,
    tag: 'charts',
    summary: 'Change a chart’s title, code, language, runtime or dataset (optimistic: pass `version`); code is checked again',
    access: 'chart.edit',
    params: chartParams,
    body: patchBody,
    status: 200,
    async handler({ ctx, scope, body, res, caller }) {
      const before = scope.chart;
      const updated = await updateChart(ctx, scope, body);
      await auditWrite(
        ctx,
        caller,
        'chart_save',
        { type: 'chart', id: before.id },
        {
          dashboardId: before.dashboardId,
          codeHash: updated.codeHash,
          lang: updated.lang,
          diagnostics: Array.isArray(updated.diagnostics) ? updated.diagnostics.length : 0,
          codeChanged: updated.codeHash !== before.codeHash,
        },
      );
      res.json({ chart: chartView(updated) });
    },
  }),
  defineRoute({
    method: 'delete',
    path: `${D}/charts/:chartId`,
    tag: 'charts',
    summary: 'Delete a chart',
    access: 'chart.delete',
    params: chartParams,
    status: 204,
    async handler({ ctx, scope: { chart }, res, caller }) {
      if (!(await ctx.store.charts.delete(chart.id))) throw new ApiError('API_NOT_FOUND');
      await auditWrite(ctx, caller, 'chart_delete', { type: 'chart', id: chart.id }, { dashboardId: chart.dashboardId, codeHash: chart.codeHash });
      res.status(204).end();
    },
  }),
  defineRoute({
    method: 'post',
    path: `${D}/charts/:chartId/render`,
    tag: 'runs',
    summary: 'Render a saved chart: its stored code on the current dataset version, from the cache when possible (viewers may)',
    access: 'chart.render',
    params: chartParams,
    status: 200,
    async handler({ ctx, scope: { project, chart }, res, caller }) {
      const startedAt = performance.now();
      const result = await renderChart(ctx, {
        projectId: project.id,
        code: chart.code,
        lang: chart.lang,
        runtime: chart.runtime,
        codeHash: chart.codeHash,
        datasetId: chart.datasetId,
        requestId: caller.requestId,
      });
      await answerRun(ctx, caller, res, { action: 'chart_run', target: { type: 'chart', id: chart.id }, codeHash: chart.codeHash, startedAt, result });
    },
  }),
  defineRoute({
    method: 'post',
    path: `${D}/preview`,
    tag: 'runs',
    summary: 'Run unsaved code on the current version of a dataset of the project (editors; never cached)',
    access: 'chart.preview',
    params: dashboardParams,
    body: previewBody,
    status: 200,
    async handler({ ctx, scope, body, res, caller }) {
      // The dataset found usable here is the one the run reads: looked up once.
      const dataset = await usableDataset(ctx, scope, 'chart.preview', body.datasetId);
      if (dataset === null) throw new ApiError('VALIDATION_FAILED');
      const previewLang: CodeLang = body.lang ?? 'js';
      const startedAt = performance.now();
      const result = await previewCode(ctx, { projectId: scope.project.id, code: body.code, lang: previewLang, runtime: body.runtime ?? DEFAULT_RUNTIME, dataset, requestId: caller.requestId });
      await answerRun(ctx, caller, res, { action: 'chart_preview', target: { type: 'dashboard', id: scope.dashboard.id }, codeHash: codeHashOf(previewLang, body.code), startedAt, result });
    },
  }),
];
