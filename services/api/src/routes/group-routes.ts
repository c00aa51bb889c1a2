/**
 * Groups (system admins, `group.manage`): create, list, read, rename, delete, add and remove
 * members. Access is evaluated from the store on every request (SPEC §3.3), so a membership change
 * or a deleted group changes the member's next request; nothing needs invalidating. Deleting a
 * group also deletes every project and dashboard grant it held. `:groupId` and `:userId` are plain
 * path parameters the handlers load (404 when missing). Every change is audited.
 */
import { z } from 'zod';
import { isStoreError, type Group, type Store } from '@plotbox/store';
import { ApiError } from '../errors.ts';
import { defineRoute, type AnyRoute } from '../route-table.ts';
import { auditWrite } from '../use-cases/audit-write.ts';
import { groupView, pageOf } from '../views.ts';
import { ID, listQuery } from './resource-schemas.ts';
import { loadUser } from './user-routes.ts';

/** Members per group accepted at creation (the store reads a user's groups whole on every request). */
const MAX_INITIAL_MEMBERS = 1000;

const name = z.string().trim().min(1).max(200);
const createBody = z.strictObject({ name, memberIds: z.array(ID).max(MAX_INITIAL_MEMBERS).optional() });
const renameBody = z.strictObject({ name });
const groupParams = z.strictObject({ groupId: ID });
const memberParams = z.strictObject({ groupId: ID, userId: ID });

async function loadGroup(store: Pick<Store, 'groups'>, groupId: string): Promise<Group> {
  const group = await store.groups.findById(groupId);
  if (group === null) throw new ApiError('API_NOT_FOUND');
  return group;
}

/** Members named in a body that do not exist are the body's fault (400), not a missing group (404). */
function unknownMember(err: unknown): never {
  if (isStoreError(err, 'STORE_NOT_FOUND') && err.reason === 'user') throw new ApiError('VALIDATION_FAILED', { message: 'No such user.' });
  throw err;
}

export const GROUP_ROUTES: readonly AnyRoute[] = [
  defineRoute({
    method: 'get',
    path: '/api/groups',
    tag: 'groups',
    summary: 'All groups with their member ids (system admins)',
    access: 'group.manage',
    query: listQuery,
    status: 200,
    async handler({ ctx, query, res }) {
      // A garbage cursor is the store's STORE_INVALID naming `cursor` (error table).
      res.json(pageOf(await ctx.store.groups.list({ limit: query.limit, cursor: query.cursor }), groupView));
    },
  }),
  defineRoute({
    method: 'post',
    path: '/api/groups',
    tag: 'groups',
    summary: 'Create a group, optionally with members (names are unique)',
    access: 'group.manage',
    body: createBody,
    status: 201,
    async handler({ ctx, body, res, caller }) {
      const memberIds = [...new Set(body.memberIds ?? [])];
      const group = await ctx.store.groups.create({ name: body.name, memberIds }).catch(unknownMember);
      await auditWrite(ctx, caller, 'group_create', { type: 'group', id: group.id }, { name: group.name, members: group.memberIds.length });
      res.status(201).json({ group: groupView(group) });
    },
  }),
  defineRoute({
    method: 'get',
    path: '/api/groups/:groupId',
    tag: 'groups',
    summary: 'A group with its members’ names and e-mails',
    access: 'group.manage',
    params: groupParams,
    status: 200,
    async handler({ ctx, params, res }) {
      const group = await loadGroup(ctx.store, params.groupId);
      const members = await Promise.all(
        group.memberIds.map(async (id) => {
          const u = await ctx.store.users.findById(id);
          return { id, displayName: u?.displayName ?? null, email: u?.email ?? null, disabled: u?.disabled ?? null };
        }),
      );
      res.json({ group: groupView(group), members });
    },
  }),
  defineRoute({
    method: 'patch',
    path: '/api/groups/:groupId',
    tag: 'groups',
    summary: 'Rename a group',
    access: 'group.manage',
    params: groupParams,
    body: renameBody,
    status: 200,
    async handler({ ctx, params, body, res, caller }) {
      const before = await loadGroup(ctx.store, params.groupId);
      const group = await ctx.store.groups.rename(before.id, body.name);
      await auditWrite(ctx, caller, 'group_rename', { type: 'group', id: group.id }, { from: before.name, to: group.name });
      res.json({ group: groupView(group) });
    },
  }),
  defineRoute({
    method: 'delete',
    path: '/api/groups/:groupId',
    tag: 'groups',
    summary: 'Delete a group and every project and dashboard grant it held',
    access: 'group.manage',
    params: groupParams,
    status: 204,
    async handler({ ctx, params, res, caller }) {
      const group = await loadGroup(ctx.store, params.groupId);
      if (!(await ctx.store.groups.delete(group.id))) throw new ApiError('API_NOT_FOUND');
      await auditWrite(ctx, caller, 'group_delete', { type: 'group', id: group.id }, { name: group.name, members: group.memberIds.length });
      res.status(204).end();
    },
  }),
  defineRoute({
    method: 'put',
    path: '/api/groups/:groupId/members/:userId',
    tag: 'groups',
    summary: 'Add a user to a group (idempotent); their access changes on their next request',
    access: 'group.manage',
    params: memberParams,
    status: 200,
    async handler({ ctx, params, res, caller }) {
      await loadGroup(ctx.store, params.groupId);
      const user = await loadUser(ctx.store, params.userId);
      const group = await ctx.store.groups.addMember(params.groupId, user.id);
      await auditWrite(ctx, caller, 'group_member_add', { type: 'group', id: group.id }, { userId: user.id });
      res.json({ group: groupView(group) });
    },
  }),
  defineRoute({
    method: 'delete',
    path: '/api/groups/:groupId/members/:userId',
    tag: 'groups',
    summary: 'Remove a user from a group; their access changes on their next request',
    access: 'group.manage',
    params: memberParams,
    status: 204,
    async handler({ ctx, params, res, caller }) {
      const group = await loadGroup(ctx.store, params.groupId);
      // Not a member (or no such user): nothing to remove, like a grant that does not exist.
      if (!group.memberIds.includes(params.userId)) throw new ApiError('API_NOT_FOUND');
      await ctx.store.groups.removeMember(group.id, params.userId);
      await auditWrite(ctx, caller, 'group_member_remove', { type: 'group', id: group.id }, { userId: params.userId });
      res.status(204).end();
    },
  }),
];
