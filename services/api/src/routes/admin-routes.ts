/**
 * System-admin routes: the audit log, and the minimal user administration needed until the full
 * users/groups API lands (create, disable/enable, change role). Every admin action is audited.
 */
import { Router, type RequestHandler } from 'express';
import { checkPasswordPolicy } from '@plotbox/auth';
import { isStoreError, type AuditEvent } from '@plotbox/store';
import { authenticate } from '../authenticate.ts';
import type { AppContext } from '../context.ts';
import { actorOf, authOf, publicUser, reqMeta } from '../context.ts';
import { ApiError } from '../errors.ts';
import { auditQuery, createUserBody, idParam, listQuery, parseWith, patchUserBody } from '../schemas.ts';

/** The JSON form of an audit event (the same shape `plotbox audit --json` prints). */
export function auditEventView(e: AuditEvent): Record<string, unknown> {
  return { id: e.id, at: e.at.toISOString(), actor: e.actor, ip: e.ip, action: e.action, target: e.target, outcome: e.outcome, requestId: e.requestId, details: e.details };
}

/** Routes under `/api/audit` and `/api/users`. */
export function adminRoutes(ctx: AppContext, apiLimit: RequestHandler): Router {
  const router = Router();
  const admin = [authenticate(ctx, { admin: true }), apiLimit];

  router.get('/api/audit', ...admin, async (req, res) => {
    const q = parseWith(auditQuery, { ...(req.query as Record<string, unknown>) });
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
  });

  router.get('/api/users', ...admin, async (req, res) => {
    const q = parseWith(listQuery, { ...(req.query as Record<string, unknown>) });
    try {
      const page = await ctx.store.users.list({ limit: q.limit === undefined ? 50 : Math.min(500, Math.max(1, Number(q.limit))), cursor: q.cursor });
      res.json({ items: page.items.map(publicUser), nextCursor: page.nextCursor ?? null });
    } catch (err) {
      if (isStoreError(err, 'STORE_INVALID')) throw new ApiError('VALIDATION_FAILED', { details: { issues: [{ path: 'cursor', message: 'invalid cursor' }] } });
      throw err;
    }
  });

  router.post('/api/users', ...admin, async (req, res) => {
    const auth = authOf(res);
    const body = parseWith(createUserBody, req.body ?? {});
    const policy = checkPasswordPolicy(body.password, { email: body.email, displayName: body.displayName });
    if (!policy.ok) throw new ApiError('AUTH_PASSWORD_POLICY', { details: { reason: policy.reason } });
    const user = await ctx.store.users.create({ email: body.email, displayName: body.displayName, passwordHash: await ctx.hasher.hash(policy.normalized), systemRole: body.systemRole });
    await ctx.audit({ action: 'admin_user_create', outcome: 'success', actor: actorOf(auth), target: { type: 'user', id: user.id }, ...reqMeta(req), details: { systemRole: user.systemRole } });
    res.status(201).json({ user: publicUser(user) });
  });

  router.patch('/api/users/:id', ...admin, async (req, res) => {
    const auth = authOf(res);
    const { id } = parseWith(idParam, req.params);
    const body = parseWith(patchUserBody, req.body ?? {});
    const user = await ctx.store.users.findById(id);
    if (user === null) throw new ApiError('API_NOT_FOUND');
    if (id === auth.user.id && (body.disabled === true || (body.systemRole !== undefined && body.systemRole !== 'admin'))) {
      throw new ApiError('ACCESS_FORBIDDEN', { message: 'Administrators cannot disable or demote themselves.' });
    }
    const updated = await ctx.store.users.update(id, user.version, {
      ...(body.disabled !== undefined ? { disabled: body.disabled } : {}),
      ...(body.systemRole !== undefined ? { systemRole: body.systemRole } : {}),
    });
    // Disabling takes effect on the next request anyway (sessions check the user); revoking also ends refresh.
    const revoked = body.disabled === true ? await ctx.store.sessions.revokeAllForUser(id, 'user_disabled') : 0;
    await ctx.audit({
      action: 'admin_user_update',
      outcome: 'success',
      actor: actorOf(auth),
      target: { type: 'user', id },
      ...reqMeta(req),
      details: { ...(body.disabled !== undefined ? { disabled: body.disabled } : {}), ...(body.systemRole !== undefined ? { systemRole: body.systemRole } : {}), sessionsRevoked: revoked },
    });
    res.json({ user: publicUser(updated) });
  });

  return router;
}
