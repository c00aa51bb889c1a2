/**
 * Projects and their members (SPEC §3): create (admin and user only), list those visible to me,
 * read, rename, delete; project grants to users and groups, keeping at least one owner.
 */
import { z } from 'zod';
import { checkLastOwner, canCreateProject } from '@plotbox/access';
import { isStoreError, type Grant, type Group, type Principal, type Project, type User } from '@plotbox/store';
import type { AppContext } from '../context.ts';
import { actorOf, reqMeta } from '../context.ts';
import { ApiError } from '../errors.ts';
import { defineRoute, type AnyRoute, type RouteCall } from '../route-table.ts';
import { ID, listQuery, pageOf, principalParams, roleBody } from './resource-schemas.ts';

export function projectView(p: Project): Record<string, unknown> {
  return { id: p.id, name: p.name, description: p.description, createdBy: p.createdBy, createdAt: p.createdAt.toISOString(), updatedAt: p.updatedAt.toISOString(), version: p.version };
}

const name = z.string().trim().min(1).max(200);
const description = z.string().max(2000);
const createBody = z.strictObject({ name, description: description.optional() });
const patchBody = z
  .strictObject({ name: name.optional(), description: description.optional(), version: z.number().int().min(0).optional() })
  .refine((b) => b.name !== undefined || b.description !== undefined, 'nothing to change');
const projectParams = z.strictObject({ projectId: ID });

/** Results of the people finder: enough to choose from, never a directory. */
const PEOPLE_LIMIT = 10;
/** An email typed out in full: looked up exactly, never as a prefix. */
const FULL_EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/u;
const peopleQuery = z.strictObject({ q: z.string().trim().min(2, 'type at least 2 characters').max(100) });

/** Names for the member list: users' display names and e-mails, groups' names (owners may see them). */
async function grantView(ctx: AppContext, grants: readonly Grant[]): Promise<Record<string, unknown>[]> {
  return Promise.all(
    grants.map(async (g) => {
      if (g.principal.kind === 'user') {
        const u = await ctx.store.users.findById(g.principal.id);
        return { principal: g.principal, role: g.role, name: u?.displayName ?? null, email: u?.email ?? null, disabled: u?.disabled ?? null };
      }
      const grp = await ctx.store.groups.findById(g.principal.id);
      return { principal: g.principal, role: g.role, name: grp?.name ?? null, members: grp?.memberIds.length ?? 0 };
    }),
  );
}

/** Audit a write; admin-only access (SPEC §3.1) is marked so it can be found. */
export async function auditWrite(call: RouteCall<unknown, unknown, unknown>, action: string, target: { type: string; id: string }, details: Record<string, string | number | boolean | null> = {}): Promise<void> {
  await call.ctx.audit({ action, outcome: 'success', actor: actorOf(call.auth), target, ...reqMeta(call.req), details: { ...details, ...(call.asSystemAdmin ? { asSystemAdmin: true } : {}) } });
}

async function principalExists(ctx: AppContext, p: Principal): Promise<boolean> {
  return p.kind === 'user' ? (await ctx.store.users.findById(p.id)) !== null : (await ctx.store.groups.findById(p.id)) !== null;
}

export const PROJECT_ROUTES: readonly AnyRoute[] = [
  defineRoute({
    method: 'get',
    path: '/api/projects',
    tag: 'projects',
    summary: 'Projects I can see (all of them for an admin)',
    access: 'authenticated',
    query: listQuery,
    status: 200,
    async handler({ ctx, auth, query, res }) {
      const page = { limit: query.limit, cursor: query.cursor };
      if (auth.user.systemRole === 'admin') return void res.json(pageOf(await ctx.store.projects.list(page), projectView));
      const groups = await ctx.store.groups.listForUser(auth.user.id);
      const principals: Principal[] = [{ kind: 'user', id: auth.user.id }, ...groups.map((g) => ({ kind: 'group' as const, id: g.id }))];
      res.json(pageOf(await ctx.store.projects.listForPrincipals(principals, page), projectView));
    },
  }),
  defineRoute({
    method: 'post',
    path: '/api/projects',
    tag: 'projects',
    summary: 'Create a project (system admin or user); the creator becomes its owner',
    access: 'project.create',
    body: createBody,
    status: 201,
    async handler(call) {
      const { ctx, auth, body, res } = call;
      if (!canCreateProject(auth.user)) throw new ApiError('ACCESS_FORBIDDEN');
      const project = await ctx.store.projects.create({ name: body.name, ...(body.description === undefined ? {} : { description: body.description }), createdBy: auth.user.id });
      await auditWrite(call, 'project_create', { type: 'project', id: project.id });
      res.status(201).json({ project: projectView(project) });
    },
  }),
  defineRoute({
    method: 'get',
    path: '/api/projects/:projectId',
    tag: 'projects',
    summary: 'A project, with my effective role on it',
    access: 'project.view',
    params: projectParams,
    status: 200,
    async handler({ scope, res }) {
      res.json({ project: projectView(scope.project as Project), myRole: scope.access.projectRole });
    },
  }),
  defineRoute({
    method: 'patch',
    path: '/api/projects/:projectId',
    tag: 'projects',
    summary: 'Rename a project or change its description (optimistic: pass `version`)',
    access: 'project.manage',
    params: projectParams,
    body: patchBody,
    status: 200,
    async handler(call) {
      const { ctx, scope, body, res } = call;
      const project = scope.project as Project;
      const updated = await ctx.store.projects.update(project.id, body.version ?? project.version, {
        ...(body.name === undefined ? {} : { name: body.name }),
        ...(body.description === undefined ? {} : { description: body.description }),
      });
      await auditWrite(call, 'project_update', { type: 'project', id: project.id });
      res.json({ project: projectView(updated) });
    },
  }),
  defineRoute({
    method: 'delete',
    path: '/api/projects/:projectId',
    tag: 'projects',
    summary: 'Delete a project with its dashboards, charts, datasets and cached renders',
    access: 'project.delete',
    params: projectParams,
    status: 204,
    async handler(call) {
      const { ctx, scope, res } = call;
      const project = scope.project as Project;
      const removed = await ctx.store.projects.delete(project.id);
      if (removed === null) throw new ApiError('API_NOT_FOUND');
      // Blobs after the metadata: a crash in between leaves unreferenced blobs, never dangling metadata.
      for (const key of removed.blobKeys) await ctx.blobs.delete(key).catch(() => undefined);
      // The name too: once deleted, the audit log cannot look it up.
      await auditWrite(call, 'project_delete', { type: 'project', id: project.id }, { name: project.name, blobs: removed.blobKeys.length });
      res.status(204).end();
    },
  }),
  defineRoute({
    method: 'get',
    path: '/api/projects/:projectId/members',
    tag: 'members',
    summary: 'Who holds which role on the project (users and groups)',
    access: 'member.view',
    params: projectParams,
    status: 200,
    async handler({ ctx, scope, res }) {
      const grants = await ctx.store.projects.listGrants((scope.project as Project).id);
      res.json({ items: await grantView(ctx, grants) });
    },
  }),
  defineRoute({
    method: 'get',
    path: '/api/projects/:projectId/people',
    tag: 'members',
    summary:
      'Find people and groups to add as members: an email typed in full matches exactly; otherwise a prefix (at least 2 characters) of an email, a word of a name or a group name; at most 10 of each; id, name and email only; lookups that reveal users are audited',
    access: 'member.manage',
    params: projectParams,
    query: peopleQuery,
    status: 200,
    async handler(call) {
      const { ctx, query, res } = call;
      const q = query.q;
      let users: readonly User[];
      let groups: readonly Group[] = [];
      if (FULL_EMAIL.test(q)) {
        const user = await ctx.store.users.findByEmail(q).catch((err: unknown) => {
          if (isStoreError(err, 'STORE_INVALID')) return null;
          throw err;
        });
        users = user === null || user.disabled ? [] : [user];
      } else {
        [users, groups] = await Promise.all([ctx.store.users.search({ prefix: q, limit: PEOPLE_LIMIT, enabledOnly: true }), ctx.store.groups.search({ prefix: q, limit: PEOPLE_LIMIT })]);
      }
      // Who learnt of whom: the users revealed, by id (the query itself may be someone's email).
      if (users.length > 0) await auditWrite(call, 'people_lookup', { type: 'project', id: (call.scope.project as Project).id }, { users: users.map((u) => u.id).join(','), groups: groups.length });
      res.json({
        users: users.map((u) => ({ id: u.id, displayName: u.displayName, email: u.email })),
        groups: groups.map((g) => ({ id: g.id, name: g.name, members: g.memberIds.length })),
      });
    },
  }),
  defineRoute({
    method: 'put',
    path: '/api/projects/:projectId/members/:kind/:principalId',
    tag: 'members',
    summary: 'Grant or change a user’s or group’s role on the project (a project keeps an owner)',
    access: 'member.manage',
    params: principalParams.extend({ projectId: ID }),
    body: roleBody,
    status: 200,
    async handler(call) {
      const { ctx, scope, params, body, res } = call;
      const project = scope.project as Project;
      const principal: Principal = { kind: params.kind, id: params.principalId };
      if (!(await principalExists(ctx, principal))) throw new ApiError('VALIDATION_FAILED', { message: `No such ${principal.kind}.` });
      const guard = checkLastOwner(await ctx.store.projects.listGrants(project.id), { principal, role: body.role });
      if (!guard.ok) throw new ApiError('API_CONFLICT', { message: guard.message });
      try {
        const grant = await ctx.store.projects.setGrant(project.id, principal, body.role);
        await auditWrite(call, 'member_grant', { type: 'project', id: project.id }, { principalKind: principal.kind, principalId: principal.id, role: body.role });
        res.json({ grant: { principal: grant.principal, role: grant.role } });
      } catch (err) {
        if (isStoreError(err, 'STORE_CONFLICT')) throw new ApiError('API_CONFLICT', { message: 'A project must keep at least one owner.' });
        throw err;
      }
    },
  }),
  defineRoute({
    method: 'delete',
    path: '/api/projects/:projectId/members/:kind/:principalId',
    tag: 'members',
    summary: 'Remove a user’s or group’s role on the project (not the last owner)',
    access: 'member.manage',
    params: principalParams.extend({ projectId: ID }),
    status: 204,
    async handler(call) {
      const { ctx, scope, params, res } = call;
      const project = scope.project as Project;
      const principal: Principal = { kind: params.kind, id: params.principalId };
      const guard = checkLastOwner(await ctx.store.projects.listGrants(project.id), { principal, role: null });
      if (!guard.ok) throw new ApiError('API_CONFLICT', { message: guard.message });
      try {
        if (!(await ctx.store.projects.removeGrant(project.id, principal))) throw new ApiError('API_NOT_FOUND');
      } catch (err) {
        if (isStoreError(err, 'STORE_CONFLICT')) throw new ApiError('API_CONFLICT', { message: 'A project must keep at least one owner.' });
        throw err;
      }
      await auditWrite(call, 'member_revoke', { type: 'project', id: project.id }, { principalKind: principal.kind, principalId: principal.id });
      res.status(204).end();
    },
  }),
];
