/**
 * Projects and their members (SPEC §3): create (admin and user only), list those visible to me,
 * read, rename, delete; project grants to users and groups, keeping at least one owner.
 */
import { z } from 'zod';
import { canCreateProject } from '@plotbox/access';
import type { Principal } from '@plotbox/store';
import { ApiError } from '../errors.ts';
import { defineRoute, type AnyRoute } from '../route-table.ts';
import { auditWrite } from '../use-cases/audit-write.ts';
import { findPeople } from '../use-cases/find-people.ts';
import { projectMembers, removeProjectRole, setProjectRole } from '../use-cases/project-members.ts';
import { pageOf, projectView } from '../views.ts';
import { ID, listQuery, principalParams, roleBody } from './resource-schemas.ts';

const name = z.string().trim().min(1).max(200);
const description = z.string().max(2000);
const createBody = z.strictObject({ name, description: description.optional() });
const patchBody = z
  .strictObject({ name: name.optional(), description: description.optional(), version: z.number().int().min(0).optional() })
  .refine((b) => b.name !== undefined || b.description !== undefined, 'nothing to change');
const projectParams = z.strictObject({ projectId: ID });
const memberParams = principalParams.extend({ projectId: ID });
const peopleQuery = z.strictObject({ q: z.string().trim().min(2, 'type at least 2 characters').max(100) });
const P = '/api/projects/:projectId';

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
    async handler({ ctx, auth, body, res, caller }) {
      if (!canCreateProject(auth.user)) throw new ApiError('ACCESS_FORBIDDEN');
      const project = await ctx.store.projects.create({ name: body.name, ...(body.description === undefined ? {} : { description: body.description }), createdBy: auth.user.id });
      await auditWrite(ctx, caller, 'project_create', { type: 'project', id: project.id });
      res.status(201).json({ project: projectView(project) });
    },
  }),
  defineRoute({
    method: 'get',
    path: P,
    tag: 'projects',
    summary: 'A project, with my effective role on it',
    access: 'project.view',
    params: projectParams,
    status: 200,
    async handler({ scope, res }) {
      res.json({ project: projectView(scope.project), myRole: scope.access.projectRole });
    },
  }),
  defineRoute({
    method: 'patch',
    path: P,
    tag: 'projects',
    summary: 'Rename a project or change its description (optimistic: pass `version`)',
    access: 'project.manage',
    params: projectParams,
    body: patchBody,
    status: 200,
    async handler({ ctx, scope: { project }, body, res, caller }) {
      const updated = await ctx.store.projects.update(project.id, body.version ?? project.version, {
        ...(body.name === undefined ? {} : { name: body.name }),
        ...(body.description === undefined ? {} : { description: body.description }),
      });
      await auditWrite(ctx, caller, 'project_update', { type: 'project', id: project.id });
      res.json({ project: projectView(updated) });
    },
  }),
  defineRoute({
    method: 'delete',
    path: P,
    tag: 'projects',
    summary: 'Delete a project with its dashboards, charts, datasets and cached renders',
    access: 'project.delete',
    params: projectParams,
    status: 204,
    async handler({ ctx, scope: { project }, res, caller }) {
      const removed = await ctx.store.projects.delete(project.id);
      if (removed === null) throw new ApiError('API_NOT_FOUND');
      // Blobs after the metadata: a crash in between leaves unreferenced blobs, never dangling metadata.
      for (const key of removed.blobKeys) await ctx.blobs.delete(key).catch(() => undefined);
      // The name too: once deleted, the audit log cannot look it up.
      await auditWrite(ctx, caller, 'project_delete', { type: 'project', id: project.id }, { name: project.name, blobs: removed.blobKeys.length });
      res.status(204).end();
    },
  }),
  defineRoute({
    method: 'get',
    path: `${P}/members`,
    tag: 'members',
    summary: 'Who holds which role on the project (users and groups)',
    access: 'member.view',
    params: projectParams,
    status: 200,
    async handler({ ctx, scope, res }) {
      res.json({ items: await projectMembers(ctx, scope.project.id) });
    },
  }),
  defineRoute({
    method: 'get',
    path: `${P}/people`,
    tag: 'members',
    summary:
      'Find people and groups to add as members: an email typed in full matches exactly; otherwise a prefix (at least 2 characters) of an email, a word of a name or a group name; at most 10 of each; id, name and email only; lookups that reveal users are audited',
    access: 'member.manage',
    params: projectParams,
    query: peopleQuery,
    status: 200,
    async handler({ ctx, scope, query, res, caller }) {
      res.json(await findPeople(ctx, scope.project.id, query.q, caller));
    },
  }),
  defineRoute({
    method: 'put',
    path: `${P}/members/:kind/:principalId`,
    tag: 'members',
    summary: 'Grant or change a user’s or group’s role on the project (a project keeps an owner)',
    access: 'member.manage',
    params: memberParams,
    body: roleBody,
    status: 200,
    async handler({ ctx, scope: { project }, params, body, res, caller }) {
      const principal: Principal = { kind: params.kind, id: params.principalId };
      const grant = await setProjectRole(ctx, project.id, principal, body.role);
      await auditWrite(ctx, caller, 'member_grant', { type: 'project', id: project.id }, { principalKind: principal.kind, principalId: principal.id, role: body.role });
      res.json({ grant: { principal: grant.principal, role: grant.role } });
    },
  }),
  defineRoute({
    method: 'delete',
    path: `${P}/members/:kind/:principalId`,
    tag: 'members',
    summary: 'Remove a user’s or group’s role on the project (not the last owner)',
    access: 'member.manage',
    params: memberParams,
    status: 204,
    async handler({ ctx, scope: { project }, params, res, caller }) {
      const principal: Principal = { kind: params.kind, id: params.principalId };
      await removeProjectRole(ctx, project.id, principal);
      await auditWrite(ctx, caller, 'member_revoke', { type: 'project', id: project.id }, { principalKind: principal.kind, principalId: principal.id });
      res.status(204).end();
    },
  }),
];
