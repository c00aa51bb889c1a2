/** Input checks of the dashboards repository. */
import type { DashboardRepository } from '../ports.ts';
import type { InputChecks } from '../repository.ts';
import { checkPage } from '../cursor.ts';
import { assertId, assertKnownKeys, assertObject, serializeJson } from '../validate.ts';
import { FIELD_LIMITS, checkId, checkName, checkUpdate } from './common.ts';
import { checkGrant, checkGrantee } from './projects.ts';

export function checkNewDashboard(input: unknown) {
  const v = assertObject(input, 'dashboard');
  assertKnownKeys(v, 'dashboard', ['projectId', 'name', 'layout']);
  return {
    projectId: assertId(v.projectId, 'projectId'),
    name: checkName(v.name),
    layout: serializeJson(v.layout === undefined ? [] : v.layout, 'layout', FIELD_LIMITS.layoutBytes),
  };
}

export function checkDashboardPatch(patch: unknown): { name?: string; layout?: string } {
  const v = assertObject(patch, 'patch');
  assertKnownKeys(v, 'patch', ['name', 'layout']);
  const out: { name?: string; layout?: string } = {};
  if (v.name !== undefined) out.name = checkName(v.name);
  if (v.layout !== undefined) out.layout = serializeJson(v.layout, 'layout', FIELD_LIMITS.layoutBytes);
  return out;
}

/** The input check of every {@link DashboardRepository} operation; layouts serialized. */
export const DASHBOARD_INPUTS = {
  create: (input: unknown) => checkNewDashboard(input),
  findById: (id: unknown) => checkId(id),
  listByProject: (projectId: unknown, page: unknown) => ({ projectId: assertId(projectId, 'projectId'), page: checkPage(page, 'dashboards') }),
  update: (id: unknown, expectedVersion: unknown, patch: unknown) => checkUpdate(id, expectedVersion, patch, checkDashboardPatch),
  delete: (id: unknown) => checkId(id),
  listGrants: (dashboardId: unknown) => assertId(dashboardId, 'dashboardId'),
  setGrant: (dashboardId: unknown, principal: unknown, role: unknown) => checkGrant('dashboardId', dashboardId, principal, role),
  removeGrant: (dashboardId: unknown, principal: unknown) => checkGrantee('dashboardId', dashboardId, principal),
} satisfies InputChecks<DashboardRepository>;
