/**
 * Which datasets code may use (SPEC §3 decision 8). A dashboard-level grant opens one dashboard,
 * its charts and their rendered results; it does not open the project's datasets. So when the
 * right to run code (preview, new or changed charts) comes only from a dashboard grant, the code
 * may use only the datasets the dashboard's charts already use. Pure: decided on the access
 * context the request already resolved.
 */
import type { AccessContext } from './access-context.ts';
import type { Action } from './actions.ts';
import { can, decide } from './evaluator.ts';

/** `project`: any dataset of the project; `dashboard`: only those the dashboard's charts use. */
export type DatasetReach = 'project' | 'dashboard';

/** How far code run for `action` (a chart action) may reach, given the caller's access. */
export function datasetReach(ctx: AccessContext, action: Action = 'chart.preview'): DatasetReach {
  // The same decision with the dashboard grant left out: what the project role alone allows.
  const projectOnly: AccessContext = { user: ctx.user, projectRole: ctx.projectRole, granted: { projectRole: ctx.granted?.projectRole ?? null } };
  return decide(projectOnly, can(action)).allowed ? 'project' : 'dashboard';
}

/** May code run under `reach` use `datasetId`, given the datasets the dashboard's charts use? */
export function mayUseDataset(reach: DatasetReach, datasetId: string, dashboardDatasetIds: ReadonlySet<string>): boolean {
  return reach === 'project' || dashboardDatasetIds.has(datasetId);
}
