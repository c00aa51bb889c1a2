/**
 * System-admin routes that are neither users nor groups: the audit log (SPEC §5, `audit.view`).
 * Users and groups live in `user-routes.ts` and `group-routes.ts`; all are table routes.
 */
import { isStoreError, type AuditEvent } from '@plotbox/store';
import { ApiError } from '../errors.ts';
import { defineRoute, type AnyRoute } from '../route-table.ts';
import { auditQuery } from '../schemas.ts';

/** The JSON form of an audit event (the same shape `plotbox audit --json` prints). */
export function auditEventView(e: AuditEvent): Record<string, unknown> {
  return { id: e.id, at: e.at.toISOString(), actor: e.actor, ip: e.ip, action: e.action, target: e.target, outcome: e.outcome, requestId: e.requestId, details: e.details };
}

export const ADMIN_ROUTES: readonly AnyRoute[] = [
  defineRoute({
    method: 'get',
    path: '/api/audit',
    tag: 'audit',
    summary: 'Audit events, oldest first, filtered by type, actor, outcome and time (system admins)',
    access: 'audit.view',
    query: auditQuery,
    status: 200,
    async handler({ ctx, query: q, res }) {
      const limit = q.limit === undefined ? 50 : Math.min(500, Math.max(1, Number(q.limit)));
      try {
        const page = await ctx.store.audit.query(
          {
            ...(q.type !== undefined ? { action: q.type } : {}),
            ...(q.actor !== undefined ? { actorUserId: q.actor } : {}),
            ...(q.outcome !== undefined ? { outcome: q.outcome } : {}),
            ...(q.since !== undefined ? { since: new Date(q.since) } : {}),
            ...(q.until !== undefined ? { until: new Date(q.until) } : {}),
          },
          { limit, cursor: q.cursor },
        );
        res.json({ items: page.items.map(auditEventView), nextCursor: page.nextCursor ?? null });
      } catch (err) {
        if (isStoreError(err, 'STORE_INVALID')) throw new ApiError('VALIDATION_FAILED', { details: { issues: [{ path: 'cursor', message: 'invalid cursor or filter' }] } });
        throw err;
      }
    },
  }),
];
