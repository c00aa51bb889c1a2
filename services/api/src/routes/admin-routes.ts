/**
 * System-admin routes that are neither users nor groups: the audit log (SPEC §5, `audit.view`).
 * Users and groups live in `user-routes.ts` and `group-routes.ts`; all are table routes.
 */
import { z } from 'zod';
import { isStoreError } from '@plotbox/store';
import type { AuditPage } from '../api-types.ts';
import { auditNames } from '../audit.ts';
import { ApiError } from '../errors.ts';
import { defineRoute, type AnyRoute } from '../route-table.ts';
import { auditQuery } from '../schemas.ts';
import { auditEventView } from '../views.ts';

const listAuditQuery = auditQuery.extend({
  // Newest first by default: the log is read to see what just happened.
  order: z.enum(['newest', 'oldest']).optional(),
  // Dashboard views served from the render cache are recorded (SPEC §5) but routine: hidden unless asked.
  routine: z.enum(['hide', 'show']).optional(),
});

const invalidFilter = (): ApiError => new ApiError('VALIDATION_FAILED', { details: { issues: [{ path: 'cursor', message: 'invalid cursor or filter' }] } });

export const ADMIN_ROUTES: readonly AnyRoute[] = [
  defineRoute({
    method: 'get',
    path: '/api/audit',
    tag: 'audit',
    summary:
      'Audit events, newest first (order=oldest for the other way), filtered by type, actor (user id or email), outcome and time; routine cached chart views only with routine=show; `names` resolves the ids the page mentions (system admins)',
    access: 'audit.view',
    query: listAuditQuery,
    status: 200,
    async handler({ ctx, query: q, res }) {
      const limit = q.limit === undefined ? 50 : Math.min(500, Math.max(1, Number(q.limit)));
      let actorUserId = q.actor;
      if (actorUserId !== undefined && actorUserId.includes('@')) {
        // An email names the user; one nobody has matches nothing (not an error: the log may predate a rename).
        const user = await ctx.store.users.findByEmail(actorUserId).catch((err: unknown) => {
          if (isStoreError(err, 'STORE_INVALID')) return null;
          throw err;
        });
        if (user === null) return void res.json({ items: [], nextCursor: null, names: {} });
        actorUserId = user.id;
      }
      try {
        const page = await ctx.store.audit.query(
          {
            ...(q.type !== undefined ? { action: q.type } : {}),
            ...(actorUserId !== undefined ? { actorUserId } : {}),
            ...(q.outcome !== undefined ? { outcome: q.outcome } : {}),
            ...(q.since !== undefined ? { since: new Date(q.since) } : {}),
            ...(q.until !== undefined ? { until: new Date(q.until) } : {}),
            ...(q.routine === 'show' ? {} : { excludeCached: true }),
            ...(q.order === 'oldest' ? {} : { newestFirst: true }),
          },
          { limit, cursor: q.cursor },
        );
        const answer: AuditPage = { items: page.items.map(auditEventView), nextCursor: page.nextCursor ?? null, names: await auditNames(ctx.store, page.items) };
        res.json(answer);
      } catch (err) {
        if (isStoreError(err, 'STORE_INVALID')) throw invalidFilter();
        throw err;
      }
    },
  }),
];
