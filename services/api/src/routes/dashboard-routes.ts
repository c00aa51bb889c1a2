/**
 * Dashboards of a project and their dashboard-level grants (SPEC §3): list, create, read (with its
 * charts and my effective role), rename and reorder (optimistic `version`), delete; grants that
 * may only RAISE a principal's inherited project role on one dashboard (else 409).
 */
import { z } from 'zod';
import type { Chart, Principal, Store } from '@plotbox/store';
import { ApiError } from '../errors.ts';
import { defineRoute, type AnyRoute } from '../route-table.ts';
import { auditWrite } from '../use-cases/audit-write.ts';
import { dashboardGrants, raiseDashboardRole } from '../use-cases/project-members.ts';
import { MAX_CHARTS_PER_DASHBOARD } from '../use-cases/save-chart.ts';
import { dashboardDetail, dashboardView, pageOf } from '../views.ts';
import { ID, listQuery, principalParams, roleBody } from './resource-schemas.ts';

const name = z.string().trim().min(1).max(200);
const layout = z.array(ID).max(MAX_CHARTS_PER_DASHBOARD);
const createBody = z.strictObject({ name });
const patchBody = z
  .strictObject({ name: name.optional(), layout: layout.optional(), version: z.number().int().min(0).optional() })
  .refine((b) => b.name !== undefined || b.layout !== undefined, 'nothing to change');
const projectParams = z.strictObject({ projectId: ID });
const dashboardParams = z.strictObject({ projectId: ID, dashboardId: ID });
const grantParams = principalParams.extend({ projectId: ID, dashboardId: ID });
const D = '/api/projects/:projectId/dashboards/:dashboardId';

/** Every chart of a dashboard (bounded by {@link MAX_CHARTS_PER_DASHBOARD}). */
export async function chartsOf(store: Pick<Store, 'charts'>, dashboardId: string): Promise<Chart[]> {
  const charts: Chart[] = [];
  let cursor: string | undefined;
  do {
    const page = await store.charts.listByDashboard(dashboardId, { limit: 200, cursor });
    charts.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor !== undefined && charts.length < MAX_CHARTS_PER_DASHBOARD);
  return charts;
}

export const DASHBOARD_ROUTES: readonly AnyRoute[] = [
  defineRoute({
    method: 'get',
    path: '/api/projects/:projectId/dashboards',
    tag: 'dashboards',
    summary: 'Dashboards of a project',
    access: 'dashboard.view',
    params: projectParams,
    query: listQuery,
    status: 200,
    async handler({ ctx, scope, query, res }) {
      res.json(pageOf(await ctx.store.dashboards.listByProject(scope.project.id, { limit: query.limit, cursor: query.cursor }), dashboardView));
    },
  }),
  defineRoute({
    method: 'post',
    path: '/api/projects/:projectId/dashboards',
    tag: 'dashboards',
    summary: 'Create a dashboard (editor or owner); names are unique in the project',
    access: 'dashboard.create',
    params: projectParams,
    body: createBody,
    status: 201,
    async handler({ ctx, scope: { project }, body, res, caller }) {
      // A taken name is the store's `dashboards.project_name` conflict (error table).
      const dashboard = await ctx.store.dashboards.create({ projectId: project.id, name: body.name, layout: [] });
      await auditWrite(ctx, caller, 'dashboard_create', { type: 'dashboard', id: dashboard.id }, { projectId: project.id });
      res.status(201).json({ dashboard: dashboardDetail(dashboard, []) });
    },
  }),
  defineRoute({
    method: 'get',
    path: D,
    tag: 'dashboards',
    summary: 'A dashboard with its charts in layout order, and my effective role on it',
    access: 'dashboard.view',
    params: dashboardParams,
    status: 200,
    async handler({ ctx, scope, res }) {
      res.json({ dashboard: dashboardDetail(scope.dashboard, await chartsOf(ctx.store, scope.dashboard.id)), myRole: scope.access.dashboardRole ?? scope.access.projectRole });
    },
  }),
  defineRoute({
    method: 'patch',
    path: D,
    tag: 'dashboards',
    summary: 'Rename a dashboard or set its chart order (optimistic: pass `version`)',
    access: 'dashboard.edit',
    params: dashboardParams,
    body: patchBody,
    status: 200,
    async handler({ ctx, scope: { dashboard }, body, res, caller }) {
      const charts = await chartsOf(ctx.store, dashboard.id);
      if (body.layout !== undefined) {
        const mine = new Set(charts.map((c) => c.id));
        if (new Set(body.layout).size !== body.layout.length) throw new ApiError('VALIDATION_FAILED', { message: 'The layout names a chart twice.' });
        if (!body.layout.every((id) => mine.has(id))) throw new ApiError('VALIDATION_FAILED', { message: 'The layout names a chart that is not on this dashboard.' });
      }
      const updated = await ctx.store.dashboards.update(dashboard.id, body.version ?? dashboard.version, {
        ...(body.name === undefined ? {} : { name: body.name }),
        ...(body.layout === undefined ? {} : { layout: body.layout }),
      });
      await auditWrite(ctx, caller, 'dashboard_update', { type: 'dashboard', id: dashboard.id }, { renamed: body.name !== undefined, layout: body.layout !== undefined });
      res.json({ dashboard: dashboardDetail(updated, charts) });
    },
  }),
  defineRoute({
    method: 'delete',
    path: D,
    tag: 'dashboards',
    summary: 'Delete a dashboard with its charts and grants (owner)',
    access: 'dashboard.delete',
    params: dashboardParams,
    status: 204,
    async handler({ ctx, scope: { dashboard }, res, caller }) {
      if (!(await ctx.store.dashboards.delete(dashboard.id))) throw new ApiError('API_NOT_FOUND');
      await auditWrite(ctx, caller, 'dashboard_delete', { type: 'dashboard', id: dashboard.id }, { projectId: dashboard.projectId });
      res.status(204).end();
    },
  }),
  defineRoute({
    method: 'get',
    path: `${D}/grants`,
    tag: 'members',
    summary: 'Dashboard-level grants (roles raised on this dashboard only)',
    access: 'member.view',
    params: dashboardParams,
    status: 200,
    async handler({ ctx, scope, res }) {
      res.json({ items: await dashboardGrants(ctx, scope.dashboard.id) });
    },
  }),
  defineRoute({
    method: 'put',
    path: `${D}/grants/:kind/:principalId`,
    tag: 'members',
    summary: 'Raise a user’s or group’s role on one dashboard (a grant not above the inherited role is refused with 409)',
    access: 'member.manage',
    params: grantParams,
    body: roleBody,
    status: 200,
    async handler({ ctx, scope: { project, dashboard }, params, body, res, caller }) {
      const principal: Principal = { kind: params.kind, id: params.principalId };
      const { grant, inheritedRole } = await raiseDashboardRole(ctx, project.id, dashboard.id, principal, body.role);
      await auditWrite(ctx, caller, 'dashboard_grant', { type: 'dashboard', id: dashboard.id }, { principalKind: principal.kind, principalId: principal.id, role: body.role, inheritedRole });
      res.json({ grant: { principal: grant.principal, role: grant.role, inheritedRole } });
    },
  }),
  defineRoute({
    method: 'delete',
    path: `${D}/grants/:kind/:principalId`,
    tag: 'members',
    summary: 'Remove a dashboard-level grant (the inherited project role stays)',
    access: 'member.manage',
    params: grantParams,
    status: 204,
    async handler({ ctx, scope: { dashboard }, params, res, caller }) {
      const principal: Principal = { kind: params.kind, id: params.principalId };
      if (!(await ctx.store.dashboards.removeGrant(dashboard.id, principal))) throw new ApiError('API_NOT_FOUND');
      await auditWrite(ctx, caller, 'dashboard_revoke', { type: 'dashboard', id: dashboard.id }, { principalKind: principal.kind, principalId: principal.id });
      res.status(204).end();
    },
  }),
];
