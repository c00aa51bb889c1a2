/** The dashboards repository on SQLite: `dashboards` and `dashboard_grants`. */
import { DASHBOARD_INPUTS, assembleRepository, byCreatedAt, parseJson } from '@plotbox/store';
import type { Dashboard, DashboardRepository } from '@plotbox/store';
import type { SqliteHandle } from '../handle.ts';
import { insertUnder, paged, versionedUpdate } from '../queries.ts';
import { date, num, str } from '../rows.ts';
import type { Row } from '../rows.ts';
import { DASHBOARD_GRANTS, deleteGrant, listGrants, setGrant } from './grants.ts';

function toDashboard(r: Row): Dashboard {
  return {
    id: str(r, 'id'),
    projectId: str(r, 'project_id'),
    name: str(r, 'name'),
    layout: parseJson(str(r, 'layout')),
    createdAt: date(r, 'created_at'),
    updatedAt: date(r, 'updated_at'),
    version: num(r, 'version'),
  };
}

export function createDashboardsRepository(h: SqliteHandle): DashboardRepository {
  const getDashboard = (id: string): Dashboard | null => h.find(toDashboard, 'SELECT * FROM dashboards WHERE id = ?', id);

  return assembleRepository(DASHBOARD_INPUTS, h.op, {
    create: (c) => {
      const { id } = insertUnder(h, { table: 'projects', id: c.projectId, entity: 'project' }, (did, t) =>
        h.run('INSERT INTO dashboards (id, project_id, name, layout, created_at, updated_at, version) VALUES (?, ?, ?, ?, ?, ?, 1)', did, c.projectId, c.name, c.layout, t, t),
      );
      return getDashboard(id) as Dashboard;
    },
    findById: (id) => getDashboard(id),
    listByProject: ({ projectId, page }) =>
      paged(h, { base: 'SELECT * FROM dashboards WHERE project_id = ?', params: [projectId], timeColumn: 'created_at', map: toDashboard, position: byCreatedAt }, page),
    update: ({ id, expectedVersion, patch }) => toDashboard(versionedUpdate(h, { table: 'dashboards', entity: 'dashboard', id, expectedVersion, set: { name: patch.name, layout: patch.layout } })),
    // Its charts and grants go with it (ON DELETE CASCADE).
    delete: (id) => h.run('DELETE FROM dashboards WHERE id = ?', id) === 1,
    listGrants: (dashboardId) => listGrants(h, DASHBOARD_GRANTS, dashboardId),
    setGrant: (input) => setGrant(h, DASHBOARD_GRANTS, input),
    removeGrant: ({ holderId, principal }) => deleteGrant(h, DASHBOARD_GRANTS, holderId, principal),
  });
}
