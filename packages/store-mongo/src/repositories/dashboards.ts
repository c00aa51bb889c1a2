/** The dashboards repository on MongoDB: `dashboards`, grants embedded (see `grants.ts`). */
import { DASHBOARD_INPUTS, assembleRepository, byCreatedAt, isStoreError, notFound, parseJson } from '@plotbox/store';
import type { Dashboard, DashboardRepository } from '@plotbox/store';
import type { DashboardDoc } from '../documents.ts';
import type { MongoHandle } from '../handle.ts';
import { existsIn, findOne, paged, versionedUpdate } from '../queries.ts';
import { NO_GRANTS, changeGrants, listGrants, samePrincipal, setGrant } from './grants.ts';

function toDashboard(d: DashboardDoc): Dashboard {
  return { id: d._id, projectId: d.projectId, name: d.name, layout: parseJson(d.layout), createdAt: d.createdAt, updatedAt: d.updatedAt, version: d.version };
}

export function createDashboardsRepository(h: MongoHandle): DashboardRepository {
  const dashboards = h.c.dashboards;
  return assembleRepository(DASHBOARD_INPUTS, h.op, {
    create: async (c) => {
      if (!(await existsIn(h.c.projects, c.projectId))) throw notFound('project');
      const t = h.now();
      const doc: DashboardDoc = { _id: h.newId(), projectId: c.projectId, name: c.name, layout: c.layout, createdAt: t, updatedAt: t, version: 1, grants: [], grantKeys: [], grantsRev: 0 };
      await dashboards.insertOne(doc);
      return toDashboard(doc);
    },
    findById: (id) => findOne(dashboards, { _id: id }, toDashboard, NO_GRANTS),
    listByProject: ({ projectId, page }) => paged(dashboards, { filter: { projectId }, timeField: 'createdAt', map: toDashboard, position: byCreatedAt, exclude: NO_GRANTS }, page),
    update: async ({ id, expectedVersion, patch }) => toDashboard(await versionedUpdate(h, dashboards, { entity: 'dashboard', id, expectedVersion, set: { ...patch }, exclude: NO_GRANTS })),
    delete: async (id) => {
      const deleted = (await dashboards.deleteOne({ _id: id })).deletedCount === 1;
      await h.c.charts.deleteMany({ dashboardId: id });
      return deleted;
    },
    listGrants: (dashboardId) => listGrants(dashboards, dashboardId),
    setGrant: (input) => setGrant(h, dashboards, 'dashboard', input),
    removeGrant: ({ holderId, principal }) =>
      changeGrants(dashboards, holderId, 'dashboard', (grants) =>
        grants.some((g) => samePrincipal(g, principal)) ? { grants: grants.filter((g) => !samePrincipal(g, principal)), result: true } : { unchanged: false },
      ).catch((error: unknown) => {
        // A missing dashboard has no grant to remove: `false`, as on SQLite.
        if (isStoreError(error, 'STORE_NOT_FOUND')) return false;
        throw error;
      }),
  });
}
