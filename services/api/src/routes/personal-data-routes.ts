/**
 * Personal data (GDPR): an export of a user's data as JSON (an admin for anyone, a user for
 * themselves), and the erasure of a user by an admin, with the plan the confirmation shows first.
 * API keys are refused on all of them: an export is everything about a person, an erasure cannot be
 * undone, and SPEC §4 already keeps keys away from sessions. The logic is in
 * `use-cases/personal-data.ts`.
 */
import type { Response } from 'express';
import { z } from 'zod';
import type { User } from '@plotbox/store';
import { ApiError } from '../errors.ts';
import { defineRoute, type AnyRoute } from '../route-table.ts';
import type { AppContext, Caller } from '../context.ts';
import { erasurePlan, eraseUser, exportPersonalData } from '../use-cases/personal-data.ts';
import { ID } from './resource-schemas.ts';
import { loadUser } from './user-routes.ts';

const userParams = z.strictObject({ userId: ID });
const eraseBody = z.strictObject({ projects: z.enum(['transfer', 'delete']), transferTo: ID.optional() });

/** Stream the export as a download, with backpressure; audited before the first byte. */
async function sendExport(ctx: AppContext, res: Response, user: User, caller: Caller, self: boolean): Promise<void> {
  await ctx.audit({
    action: 'personal_data_export',
    outcome: 'success',
    actor: caller.actor,
    target: { type: 'user', id: user.id },
    ip: caller.ip,
    requestId: caller.requestId,
    clientRequestId: caller.clientRequestId,
    details: { self },
  });
  res.status(200);
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Content-Disposition', `attachment; filename="plotbox-personal-data-${user.id}.json"`);
  for await (const piece of exportPersonalData(ctx.store, user, ctx.now())) {
    if (!res.write(piece)) await new Promise<void>((resolve) => res.once('drain', resolve));
  }
  res.end();
}

export const PERSONAL_DATA_ROUTES: readonly AnyRoute[] = [
  defineRoute({
    method: 'get',
    path: '/api/me/export',
    tag: 'personal data',
    summary: 'Download my personal data as JSON: profile, memberships, grants, API key metadata, sessions and the audit events about me',
    access: 'authenticated',
    apiKeys: false,
    status: 200,
    async handler({ ctx, auth, res, caller }) {
      await sendExport(ctx, res, auth.user, caller, true);
    },
  }),
  defineRoute({
    method: 'get',
    path: '/api/users/:userId/export',
    tag: 'personal data',
    summary: "A user's personal data as JSON (system admins; audited)",
    access: 'user.manage',
    apiKeys: false,
    params: userParams,
    status: 200,
    async handler({ ctx, params, res, caller }) {
      await sendExport(ctx, res, await loadUser(ctx.store, params.userId), caller, false);
    },
  }),
  defineRoute({
    method: 'get',
    path: '/api/users/:userId/erasure-plan',
    tag: 'personal data',
    summary: 'What erasing a user would change: the projects they alone own, grants, memberships, keys, live sessions (system admins)',
    access: 'user.manage',
    apiKeys: false,
    params: userParams,
    status: 200,
    async handler({ ctx, params, res }) {
      res.json({ plan: await erasurePlan(ctx.store, await loadUser(ctx.store, params.userId), ctx.now()) });
    },
  }),
  defineRoute({
    method: 'post',
    path: '/api/users/:userId/erase',
    tag: 'personal data',
    summary:
      'Erase a user: account, credentials, sessions, keys, memberships and grants deleted; the projects they alone own handed to `transferTo` or deleted; audit events kept with the person replaced by a pseudonym (system admins; not yourself, not the last administrator)',
    access: 'user.manage',
    apiKeys: false,
    params: userParams,
    body: eraseBody,
    status: 200,
    async handler({ ctx, auth, params, body, res, caller }) {
      const user = await loadUser(ctx.store, params.userId);
      if (user.id === auth.user.id) throw new ApiError('ACCESS_FORBIDDEN', { message: 'Administrators cannot erase themselves.' });
      const erased = await eraseUser(
        { store: ctx.store, blobs: ctx.blobs, audit: ctx.audit, logger: ctx.logger },
        user,
        { projects: body.projects, transferTo: body.transferTo },
        { ...caller, via: 'api' },
      );
      res.json({ erased });
    },
  }),
];
