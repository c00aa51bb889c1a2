/**
 * The resource API's route table (see `route-table.ts`): every route the authorization matrix
 * test walks and `GET /api/openapi.json` describes. Add a route file's table here.
 */
import type { AnyRoute } from '../route-table.ts';
import { PROJECT_ROUTES } from './project-routes.ts';
import { DASHBOARD_ROUTES } from './dashboard-routes.ts';
import { CHART_ROUTES } from './chart-routes.ts';
import { DATASET_ROUTES } from './dataset-routes.ts';
import { USER_ROUTES } from './user-routes.ts';
import { GROUP_ROUTES } from './group-routes.ts';
import { ADMIN_ROUTES } from './admin-routes.ts';
import { PERSONAL_DATA_ROUTES } from './personal-data-routes.ts';
import { OPENAPI_ROUTES } from './openapi-route.ts';

export const API_ROUTES: readonly AnyRoute[] = Object.freeze([
  ...PROJECT_ROUTES,
  ...DASHBOARD_ROUTES,
  ...CHART_ROUTES,
  ...DATASET_ROUTES,
  ...USER_ROUTES,
  ...GROUP_ROUTES,
  ...ADMIN_ROUTES,
  ...PERSONAL_DATA_ROUTES,
  ...OPENAPI_ROUTES,
]);
