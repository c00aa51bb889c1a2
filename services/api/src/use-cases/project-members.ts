/**
 * Who holds which role on a project and its dashboards (SPEC §3): project grants to users and
 * groups, keeping at least one owner (decision 5); dashboard grants that may only raise the role a
 * principal inherits from the project (else 409). The member lists name principals for owners.
 */
import { checkLastOwner, inheritedProjectRole, validateDashboardGrant, type ProjectRole } from '@plotbox/access';
import type { DashboardGrant, Grant, Principal, Store } from '@plotbox/store';
import type { DashboardGrantView, MemberView } from '../api-types.ts';
import { ApiError } from '../errors.ts';

type MembersDeps = { readonly store: Pick<Store, 'users' | 'groups' | 'projects' | 'dashboards'> };

/** A grant naming a user or group that does not exist is the body's fault (400). */
async function assertPrincipalExists(deps: MembersDeps, p: Principal): Promise<void> {
  const found = p.kind === 'user' ? await deps.store.users.findById(p.id) : await deps.store.groups.findById(p.id);
  if (found === null) throw new ApiError('VALIDATION_FAILED', { message: `No such ${p.kind}.` });
}

/** The project's grants with names: users' display names and e-mails, groups' names and sizes. */
export async function projectMembers(deps: MembersDeps, projectId: string): Promise<MemberView[]> {
  const grants: readonly Grant[] = await deps.store.projects.listGrants(projectId);
  return Promise.all(
    grants.map(async (g): Promise<MemberView> => {
      if (g.principal.kind === 'user') {
        const u = await deps.store.users.findById(g.principal.id);
        return { principal: g.principal, role: g.role, name: u?.displayName ?? null, email: u?.email ?? null, disabled: u?.disabled ?? null };
      }
      const grp = await deps.store.groups.findById(g.principal.id);
      return { principal: g.principal, role: g.role, name: grp?.name ?? null, members: grp?.memberIds.length ?? 0 };
    }),
  );
}

/** Grant or change `principal`'s role on the project; refused (409) when it would leave the project without an owner. */
export async function setProjectRole(deps: MembersDeps, projectId: string, principal: Principal, role: ProjectRole): Promise<Grant> {
  await assertPrincipalExists(deps, principal);
  const guard = checkLastOwner(await deps.store.projects.listGrants(projectId), { principal, role });
  if (!guard.ok) throw new ApiError('API_CONFLICT', { message: guard.message });
  // The store checks again in the same write (a concurrent change): `last_owner` in the error table.
  return deps.store.projects.setGrant(projectId, principal, role);
}

/** Remove `principal`'s project role; 404 when it holds none, 409 for the last owner. */
export async function removeProjectRole(deps: MembersDeps, projectId: string, principal: Principal): Promise<void> {
  const guard = checkLastOwner(await deps.store.projects.listGrants(projectId), { principal, role: null });
  if (!guard.ok) throw new ApiError('API_CONFLICT', { message: guard.message });
  if (!(await deps.store.projects.removeGrant(projectId, principal))) throw new ApiError('API_NOT_FOUND');
}

/** A dashboard's grants with the principals' names. */
export async function dashboardGrants(deps: MembersDeps, dashboardId: string): Promise<DashboardGrantView[]> {
  const grants: readonly DashboardGrant[] = await deps.store.dashboards.listGrants(dashboardId);
  return Promise.all(
    grants.map(async (g) => {
      const name = g.principal.kind === 'user' ? ((await deps.store.users.findById(g.principal.id))?.displayName ?? null) : ((await deps.store.groups.findById(g.principal.id))?.name ?? null);
      return { principal: g.principal, role: g.role, name, updatedAt: g.updatedAt.toISOString() };
    }),
  );
}

/**
 * Raise `principal`'s role on one dashboard. A grant not above what it inherits from the project
 * is refused (409) with the reason and the inherited role.
 */
export async function raiseDashboardRole(
  deps: MembersDeps,
  projectId: string,
  dashboardId: string,
  principal: Principal,
  role: ProjectRole,
): Promise<{ readonly grant: DashboardGrant; readonly inheritedRole: ProjectRole | null }> {
  await assertPrincipalExists(deps, principal);
  const [projectGrants, groups] = await Promise.all([deps.store.projects.listGrants(projectId), principal.kind === 'user' ? deps.store.groups.listForUser(principal.id) : Promise.resolve([])]);
  const inheritedRole = inheritedProjectRole({ principal, groupIds: groups.map((g) => g.id), projectGrants });
  const check = validateDashboardGrant(inheritedRole, role);
  if (!check.ok) throw new ApiError('API_CONFLICT', { message: `Refused: ${check.message}.`, details: { reason: check.reason, inheritedRole } });
  return { grant: await deps.store.dashboards.setGrant(dashboardId, principal, role), inheritedRole };
}
