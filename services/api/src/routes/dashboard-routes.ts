/**
 * Dashboards of a project and their dashboard-level grants (SPEC §3): list, create, read (with its
 * charts and my effective role), rename and reorder (optimistic `version`), delete; grants that
 * may only RAISE a principal's inherited project role on one dashboard (else 409).
 */
import { z } from 'zod';
import { inheritedProjectRole, validateDashboardGrant } from '@plotbox/access';
import { isStoreError, type Chart, type Dashboard, type DashboardGrant, type Principal, type Project } from '@plotbox/store';
import type { AppContext } from '../context.ts';
import { ApiError } from '../errors.ts';
import { defineRoute, type AnyRoute } from '../route-table.ts';
import { auditWrite } from './project-routes.ts';
import { ID, listQuery, pageOf, principalParams, roleBody } from './resource-schemas.ts';

/** A dashboard shows at most this many charts (also the longest layout). */
export const MAX_CHARTS_PER_DASHBOARD = 500;

const name = z.string().trim().min(1).max(200);
const layout = z.array(ID).max(MAX_CHARTS_PER_DASHBOARD);
const createBody = z.strictObject({ name });
const patchBody = z
  .strictObject({ name: name.optional(), layout: layout.optional(), version: z.number().int().min(0).optional() })
  .refine((b) => b.name !== undefined || b.layout !== undefined, 'nothing to change');
const projectParams = z.strictObject({ projectId: ID });
const dashboardParams = z.strictObject({ projectId: ID, dashboardId: ID });

/** The chart ids a stored layout names (anything else in it is ignored). */
function layoutIds(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

export function dashboardView(d: Dashboard): Record<string, unknown> {
  return { id: d.id, projectId: d.projectId, name: d.name, createdAt: d.createdAt.toISOString(), updatedAt: d.updatedAt.toISOString(), version: d.version };
}

/** A chart as listed on its dashboard: everything but the code. */
export function chartSummary(c: Chart): Record<string, unknown> {
  return {
    id: c.id,
    title: c.title,
    lang: c.lang,
    datasetId: c.datasetId,
    diagnostics: c.diagnostics,
    codeHash: c.codeHash,
    updatedAt: c.updatedAt.toISOString(),
    version: c.version,
  };
}

/** Every chart of a dashboard (bounded by {@link MAX_CHARTS_PER_DASHBOARD}). */
export async function chartsOf(ctx: AppContext, dashboardId: string): Promise<Chart[]> {
  const charts: Chart[] = [];
  let cursor: string | undefined;
  do {
    const page = await ctx.store.charts.listByDashboard(dashboardId, { limit: 200, cursor });
    charts.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor !== undefined && charts.length < MAX_CHARTS_PER_DASHBOARD);
  return charts;
}

/**
 * The order charts are shown in: the stored layout's ids that are still charts of the dashboard,
 * then charts it does not name yet (new ones), oldest first. Deleting a chart needs no layout write.
 */
function effectiveLayout(stored: unknown, charts: readonly Chart[]): string[] {
  const ids = new Set(charts.map((c) => c.id));
  const ordered = [...new Set(layoutIds(stored))].filter((id) => ids.has(id));
  const named = new Set(ordered);
  return [...ordered, ...charts.filter((c) => !named.has(c.id)).map((c) => c.id)];
}

function conflictOnName(err: unknown): never {
  if (isStoreError(err, 'STORE_CONFLICT')) throw new ApiError('API_CONFLICT', { message: 'A dashboard with this name exists in the project.' });
  throw err;
}

async function principalExists(ctx: AppContext, p: Principal): Promise<boolean> {
  return p.kind === 'user' ? (await ctx.store.users.findById(p.id)) !== null : (await ctx.store.groups.findById(p.id)) !== null;
}

async function grantView(ctx: AppContext, g: DashboardGrant): Promise<Record<string, unknown>> {
  const label = g.principal.kind === 'user' ? ((await ctx.store.users.findById(g.principal.id))?.displayName ?? null) : ((await ctx.store.groups.findById(g.principal.id))?.name ?? null);
  return { principal: g.principal, role: g.role, name: label, updatedAt: g.updatedAt.toISOString() };
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
      const page = await ctx.store.dashboards.listByProject((scope.project as Project).id, { limit: query.limit, cursor: query.cursor });
      res.json(pageOf(page, dashboardView));
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
    async handler(call) {
      const { ctx, scope, body, res } = call;
      const project = scope.project as Project;
      const dashboard = await ctx.store.dashboards.create({ projectId: project.id, name: body.name, layout: [] }).catch(conflictOnName);
      await auditWrite(call, 'dashboard_create', { type: 'dashboard', id: dashboard.id }, { projectId: project.id });
      res.status(201).json({ dashboard: { ...dashboardView(dashboard), layout: [], charts: [] } });
    },
  }),
  defineRoute({
    method: 'get',
    path: '/api/projects/:projectId/dashboards/:dashboardId',
    tag: 'dashboards',
    summary: 'A dashboard with its charts in layout order, and my effective role on it',
    access: 'dashboard.view',
    params: dashboardParams,
    status: 200,
    async handler({ ctx, scope, res }) {
      const dashboard = scope.dashboard as Dashboard;
      const charts = await chartsOf(ctx, dashboard.id);
      const order = effectiveLayout(dashboard.layout, charts);
      const byId = new Map(charts.map((c) => [c.id, c]));
      res.json({
        dashboard: { ...dashboardView(dashboard), layout: order, charts: order.map((id) => chartSummary(byId.get(id) as Chart)) },
        myRole: scope.access.dashboardRole ?? scope.access.projectRole,
      });
    },
  }),
  defineRoute({
    method: 'patch',
    path: '/api/projects/:projectId/dashboards/:dashboardId',
    tag: 'dashboards',
    summary: 'Rename a dashboard or set its chart order (optimistic: pass `version`)',
    access: 'dashboard.edit',
    params: dashboardParams,
    body: patchBody,
    status: 200,
    async handler(call) {
      const { ctx, scope, body, res } = call;
      const dashboard = scope.dashboard as Dashboard;
      const charts = await chartsOf(ctx, dashboard.id);
      if (body.layout !== undefined) {
        const mine = new Set(charts.map((c) => c.id));
        if (new Set(body.layout).size !== body.layout.length) throw new ApiError('VALIDATION_FAILED', { message: 'The layout names a chart twice.' });
        if (!body.layout.every((id) => mine.has(id))) throw new ApiError('VALIDATION_FAILED', { message: 'The layout names a chart that is not on this dashboard.' });
      }
      const updated = await ctx.store.dashboards
        .update(dashboard.id, body.version ?? dashboard.version, {
          ...(body.name === undefined ? {} : { name: body.name }),
          ...(body.layout === undefined ? {} : { layout: body.layout }),
        })
        .catch(conflictOnName);
      await auditWrite(call, 'dashboard_update', { type: 'dashboard', id: dashboard.id }, { renamed: body.name !== undefined, layout: body.layout !== undefined });
      const order = effectiveLayout(updated.layout, charts);
      const byId = new Map(charts.map((c) => [c.id, c]));
      res.json({ dashboard: { ...dashboardView(updated), layout: order, charts: order.map((id) => chartSummary(byId.get(id) as Chart)) } });
    },
  }),
  defineRoute({
    method: 'delete',
    path: '/api/projects/:projectId/dashboards/:dashboardId',
    tag: 'dashboards',
    summary: 'Delete a dashboard with its charts and grants (owner)',
    access: 'dashboard.delete',
    params: dashboardParams,
    status: 204,
    async handler(call) {
      const { ctx, scope, res } = call;
      const dashboard = scope.dashboard as Dashboard;
      if (!(await ctx.store.dashboards.delete(dashboard.id))) throw new ApiError('API_NOT_FOUND');
      await auditWrite(call, 'dashboard_delete', { type: 'dashboard', id: dashboard.id }, { projectId: dashboard.projectId });
      res.status(204).end();
    },
  }),
  defineRoute({
    method: 'get',
    path: '/api/projects/:projectId/dashboards/:dashboardId/grants',
    tag: 'members',
    summary: 'Dashboard-level grants (roles raised on this dashboard only)',
    access: 'member.view',
    params: dashboardParams,
    status: 200,
    async handler({ ctx, scope, res }) {
      const grants = await ctx.store.dashboards.listGrants((scope.dashboard as Dashboard).id);
      res.json({ items: await Promise.all(grants.map((g) => grantView(ctx, g))) });
    },
  }),
  defineRoute({
    method: 'put',
    path: '/api/projects/:projectId/dashboards/:dashboardId/grants/:kind/:principalId',
    tag: 'members',
    summary: 'Raise a user’s or group’s role on one dashboard (a grant not above the inherited role is refused with 409)',
    access: 'member.manage',
    params: principalParams.extend({ projectId: ID, dashboardId: ID }),
    body: roleBody,
    status: 200,
    async handler(call) {
      const { ctx, scope, params, body, res } = call;
      const project = scope.project as Project;
      const dashboard = scope.dashboard as Dashboard;
      const principal: Principal = { kind: params.kind, id: params.principalId };
      if (!(await principalExists(ctx, principal))) throw new ApiError('VALIDATION_FAILED', { message: `No such ${principal.kind}.` });
      const [projectGrants, groups] = await Promise.all([
        ctx.store.projects.listGrants(project.id),
        principal.kind === 'user' ? ctx.store.groups.listForUser(principal.id) : Promise.resolve([]),
      ]);
      const inherited = inheritedProjectRole({ principal, groupIds: groups.map((g) => g.id), projectGrants });
      const check = validateDashboardGrant(inherited, body.role);
      if (!check.ok) throw new ApiError('API_CONFLICT', { message: `Refused: ${check.message}.`, details: { reason: check.reason, inheritedRole: inherited } });
      const grant = await ctx.store.dashboards.setGrant(dashboard.id, principal, body.role);
      await auditWrite(call, 'dashboard_grant', { type: 'dashboard', id: dashboard.id }, { principalKind: principal.kind, principalId: principal.id, role: body.role, inheritedRole: inherited });
      res.json({ grant: { principal: grant.principal, role: grant.role, inheritedRole: inherited } });
    },
  }),
  defineRoute({
    method: 'delete',
    path: '/api/projects/:projectId/dashboards/:dashboardId/grants/:kind/:principalId',
    tag: 'members',
    summary: 'Remove a dashboard-level grant (the inherited project role stays)',
    access: 'member.manage',
    params: principalParams.extend({ projectId: ID, dashboardId: ID }),
    status: 204,
    async handler(call) {
      const { ctx, scope, params, res } = call;
      const dashboard = scope.dashboard as Dashboard;
      const principal: Principal = { kind: params.kind, id: params.principalId };
      if (!(await ctx.store.dashboards.removeGrant(dashboard.id, principal))) throw new ApiError('API_NOT_FOUND');
      await auditWrite(call, 'dashboard_revoke', { type: 'dashboard', id: dashboard.id }, { principalKind: principal.kind, principalId: principal.id });
      res.status(204).end();
    },
  }),
];
