/** Every page of the app by hash route (see router.ts). Specific patterns before general ones. */
import type { Route } from './router.ts';
import { renderAccount } from './pages/account.ts';
import { renderAdminGroups, renderAdminUsers } from './pages/admin.ts';
import { renderAdminAudit } from './pages/audit.ts';
import { renderChartEditor } from './pages/chart-editor.ts';
import { renderDashboard } from './pages/dashboard.ts';
import { renderDataset } from './pages/dataset.ts';
import { renderMembers } from './pages/members.ts';
import { renderProject } from './pages/project.ts';
import { renderProjects } from './pages/projects.ts';

export const ROUTES: readonly Route[] = [
  { pattern: '/', render: renderProjects },
  { pattern: '/account', render: renderAccount },
  { pattern: '/admin/users', render: renderAdminUsers },
  { pattern: '/admin/groups', render: renderAdminGroups },
  { pattern: '/admin/audit', render: renderAdminAudit },
  { pattern: '/projects/:projectId', render: renderProject },
  { pattern: '/projects/:projectId/members', render: renderMembers },
  { pattern: '/projects/:projectId/datasets/:datasetId', render: renderDataset },
  { pattern: '/projects/:projectId/dashboards/:dashboardId', render: renderDashboard },
  { pattern: '/projects/:projectId/dashboards/:dashboardId/charts/new', render: renderChartEditor },
  { pattern: '/projects/:projectId/dashboards/:dashboardId/charts/:chartId', render: renderChartEditor },
];
