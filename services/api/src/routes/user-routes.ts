/**
 * User administration (system admins, `user.manage`): list, create, disable/enable, change the
 * system role, end all of a user's sessions. Every change is audited. `:userId` is a plain path
 * parameter (not a scope): the handler loads the user and answers 404 when it does not exist.
 */
import { z } from 'zod';
import { assertPasswordPolicy } from '@plotbox/auth';
import type { Store, User } from '@plotbox/store';
import { ApiError } from '../errors.ts';
import { defineRoute, type AnyRoute } from '../route-table.ts';
import { createUserBody, patchUserBody } from '../schemas.ts';
import { auditWrite } from '../use-cases/audit-write.ts';
import { pageOf, publicUser } from '../views.ts';
import { ID, listQuery } from './resource-schemas.ts';

const userParams = z.strictObject({ userId: ID });

/** The user named by `:userId`, or a 404. */
export async function loadUser(store: Pick<Store, 'users'>, userId: string): Promise<User> {
  const user = await store.users.findById(userId);
  if (user === null) throw new ApiError('API_NOT_FOUND');
  return user;
}

export const USER_ROUTES: readonly AnyRoute[] = [
  defineRoute({
    method: 'get',
    path: '/api/users',
    tag: 'users',
    summary: 'All users (system admins)',
    access: 'user.manage',
    query: listQuery,
    status: 200,
    async handler({ ctx, query, res }) {
      // A garbage cursor is the store's STORE_INVALID naming `cursor` (error table).
      res.json(pageOf(await ctx.store.users.list({ limit: query.limit, cursor: query.cursor }), publicUser));
    },
  }),
  defineRoute({
    method: 'post',
    path: '/api/users',
    tag: 'users',
    summary: 'Create a user with a password that meets the policy (system admins)',
    access: 'user.manage',
    body: createUserBody,
    status: 201,
    async handler({ ctx, body, res, caller }) {
      const password = assertPasswordPolicy(body.password, { email: body.email, displayName: body.displayName });
      // A taken email is the store's `users.email` conflict: USER_EMAIL_TAKEN (error table).
      const user = await ctx.store.users.create({ email: body.email, displayName: body.displayName, passwordHash: await ctx.hasher.hash(password), systemRole: body.systemRole });
      await auditWrite(ctx, caller, 'admin_user_create', { type: 'user', id: user.id }, { systemRole: user.systemRole });
      res.status(201).json({ user: publicUser(user) });
    },
  }),
  defineRoute({
    method: 'patch',
    path: '/api/users/:userId',
    tag: 'users',
    summary: 'Disable or enable a user, or change their system role (not yourself); disabling ends their sessions',
    access: 'user.manage',
    params: userParams,
    body: patchUserBody,
    status: 200,
    async handler({ ctx, auth, params, body, res, caller }) {
      const user = await loadUser(ctx.store, params.userId);
      if (user.id === auth.user.id && (body.disabled === true || (body.systemRole !== undefined && body.systemRole !== 'admin'))) {
        throw new ApiError('ACCESS_FORBIDDEN', { message: 'Administrators cannot disable or demote themselves.' });
      }
      const updated = await ctx.store.users.update(user.id, user.version, {
        ...(body.disabled !== undefined ? { disabled: body.disabled } : {}),
        ...(body.systemRole !== undefined ? { systemRole: body.systemRole } : {}),
      });
      // Disabling takes effect on the next request anyway (sessions check the user); revoking also ends refresh.
      const revoked = body.disabled === true ? await ctx.store.sessions.revokeAllForUser(user.id, 'user_disabled') : 0;
      // Enabling restarts the inactivity clock, or the next sweep would disable the account again at once.
      if (body.disabled === false && user.disabled) await ctx.store.users.markActive(user.id);
      await auditWrite(
        ctx,
        caller,
        'admin_user_update',
        { type: 'user', id: user.id },
        {
          ...(body.disabled !== undefined ? { disabled: body.disabled } : {}),
          ...(body.disabled === false && user.disabledReason !== null ? { wasDisabledFor: user.disabledReason } : {}),
          ...(body.systemRole !== undefined ? { systemRole: body.systemRole } : {}),
          sessionsRevoked: revoked,
        },
      );
      res.json({ user: publicUser((await ctx.store.users.findById(user.id)) ?? updated) });
    },
  }),
  defineRoute({
    method: 'delete',
    path: '/api/users/:userId/sessions',
    tag: 'users',
    summary: 'End every session of a user (they must sign in again; their API keys are not affected)',
    access: 'user.manage',
    // SPEC §4: API keys cannot manage sessions.
    apiKeys: false,
    params: userParams,
    status: 200,
    async handler({ ctx, params, res, caller }) {
      const user = await loadUser(ctx.store, params.userId);
      const revoked = await ctx.store.sessions.revokeAllForUser(user.id, 'admin_revoked');
      await auditWrite(ctx, caller, 'admin_sessions_revoke', { type: 'user', id: user.id }, { sessionsRevoked: revoked });
      res.json({ sessionsRevoked: revoked });
    },
  }),
];
