/**
 * `GET /api/openapi.json`: the OpenAPI document `app.ts` built at boot from the route table it
 * mounted (see `openapi.ts` for why it needs a signed-in caller rather than being public).
 */
import { ApiError } from '../errors.ts';
import { defineRoute, type AnyRoute } from '../route-table.ts';

export const OPENAPI_ROUTES: readonly AnyRoute[] = [
  defineRoute({
    method: 'get',
    path: '/api/openapi.json',
    tag: 'service',
    summary: 'This API as an OpenAPI 3.1 document, generated from the route table',
    access: 'authenticated',
    status: 200,
    async handler({ req, res }) {
      const doc = (req.app.locals as { openApi?: unknown }).openApi;
      // app.ts always sets it; a missing document is a wiring bug, not the caller's fault.
      if (doc === undefined) throw new ApiError('API_INTERNAL');
      res.json(doc);
    },
  }),
];
