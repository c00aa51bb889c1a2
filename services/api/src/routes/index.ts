/**
 * The resource API's route table (see `route-table.ts`): every route the authorization matrix
 * test walks and `GET /api/openapi.json` describes. Add a route file's table here.
 */
import type { AnyRoute } from '../route-table.ts';
import { PROJECT_ROUTES } from './project-routes.ts';

export const API_ROUTES: readonly AnyRoute[] = Object.freeze([...PROJECT_ROUTES]);
