/** Input checks of the projects repository, and of grants (projects' and dashboards'). */
import { invalid } from '../store-error.ts';
import { PROJECT_ROLES } from '../ports.ts';
import type { Principal, ProjectRepository, ProjectRole } from '../ports.ts';
import type { InputChecks } from '../repository.ts';
import { checkPage } from '../cursor.ts';
import { assertId, assertKnownKeys, assertObject, assertOneOf, assertPrincipal, assertString } from '../validate.ts';
import { FIELD_LIMITS, checkId, checkName, checkUpdate } from './common.ts';

export function checkNewProject(input: unknown) {
  const v = assertObject(input, 'project');
  assertKnownKeys(v, 'project', ['name', 'description', 'createdBy']);
  return {
    name: checkName(v.name),
    description: v.description === undefined ? '' : assertString(v.description, 'description', FIELD_LIMITS.description),
    createdBy: assertId(v.createdBy, 'createdBy'),
  };
}

export function checkProjectPatch(patch: unknown): { name?: string; description?: string } {
  const v = assertObject(patch, 'patch');
  assertKnownKeys(v, 'patch', ['name', 'description']);
  const out: { name?: string; description?: string } = {};
  if (v.name !== undefined) out.name = checkName(v.name);
  if (v.description !== undefined) out.description = assertString(v.description, 'description', FIELD_LIMITS.description);
  return out;
}

export function checkRole(value: unknown): ProjectRole {
  return assertOneOf<ProjectRole>(value, 'role', PROJECT_ROLES);
}

/** `kind:id`, the one-string form of a principal used in indexes. */
export function principalKey(p: Principal): string {
  return `${p.kind}:${p.id}`;
}

export function checkPrincipals(value: unknown): Principal[] {
  if (!Array.isArray(value) || value.length > FIELD_LIMITS.maxPrincipals) throw invalid('principals', `must be an array of at most ${FIELD_LIMITS.maxPrincipals} principals`);
  return value.map((p: unknown, i) => {
    const o = assertObject(p, `principals[${i}]`);
    return { kind: assertOneOf(o.kind, `principals[${i}].kind`, ['user', 'group'] as const), id: assertId(o.id, `principals[${i}].id`) };
  });
}

/** `removeGrant(holderId, principal)` of a project or dashboard; `field` names the holder's id. */
export function checkGrantee(field: string, holderId: unknown, principal: unknown): { readonly holderId: string; readonly principal: Principal } {
  const id = assertId(holderId, field);
  return { holderId: id, principal: assertPrincipal(principal) };
}

/** `setGrant(holderId, principal, role)` of a project or dashboard. */
export function checkGrant(field: string, holderId: unknown, principal: unknown, role: unknown): { readonly holderId: string; readonly principal: Principal; readonly role: ProjectRole } {
  return { ...checkGrantee(field, holderId, principal), role: checkRole(role) };
}

/** The input check of every {@link ProjectRepository} operation. */
export const PROJECT_INPUTS = {
  create: (input: unknown) => checkNewProject(input),
  findById: (id: unknown) => checkId(id),
  list: (page: unknown) => checkPage(page, 'projects'),
  /** The principals as `principalKey`s. */
  listForPrincipals: (principals: unknown, page: unknown) => ({ principalKeys: checkPrincipals(principals).map(principalKey), page: checkPage(page, 'projects') }),
  update: (id: unknown, expectedVersion: unknown, patch: unknown) => checkUpdate(id, expectedVersion, patch, checkProjectPatch),
  delete: (id: unknown) => checkId(id),
  listGrants: (projectId: unknown) => assertId(projectId, 'projectId'),
  setGrant: (projectId: unknown, principal: unknown, role: unknown) => checkGrant('projectId', projectId, principal, role),
  removeGrant: (projectId: unknown, principal: unknown) => checkGrantee('projectId', projectId, principal),
} satisfies InputChecks<ProjectRepository>;
