import type { AccessUser, GrantInput, Principal, ProjectRole } from './roles.ts';
import { activeSystemRole, maxRole, minRole } from './roles.ts';

/** Inputs of {@link effectiveProjectRole}: current store data, read on every request. */
export interface ProjectRoleInput {
  readonly user: AccessUser;
  /** Ids of every group the user belongs to (`store.groups.listForUser`). */
  readonly userGroupIds: readonly string[];
  /** Every grant of the project (`store.projects.listGrants`). */
  readonly projectGrants: readonly GrantInput[];
}

/** Inputs of {@link effectiveDashboardRole}. */
export interface DashboardRoleInput {
  readonly user: AccessUser;
  readonly userGroupIds: readonly string[];
  /** The user's effective role on the dashboard's project ({@link effectiveProjectRole}). */
  readonly projectRole: ProjectRole | null;
  /** Every grant of the dashboard (`store.dashboards.listGrants`). */
  readonly dashboardGrants: readonly GrantInput[];
}

/**
 * The most permissive role that `grants` give a principal: its own grant (a user's direct grant,
 * or a group's grant) and, for a user, the grant of every group in `groupIds`. No system role is
 * applied: this is what the grants alone say. `null` if none applies.
 */
export function grantedRole(principal: Principal, groupIds: readonly string[], grants: readonly GrantInput[]): ProjectRole | null {
  const groups = principal.kind === 'user' ? new Set(groupIds) : new Set<string>();
  let role: ProjectRole | null = null;
  for (const grant of grants) {
    const p = grant.principal;
    const applies = (p.kind === principal.kind && p.id === principal.id) || (p.kind === 'group' && groups.has(p.id));
    if (applies) role = maxRole(role, grant.role);
  }
  return role;
}

/**
 * Apply the system role to a role from grants: a disabled user has none; a system admin acts as
 * owner (decision 1); a system viewer is capped at viewer (decision 2, the read-only ceiling).
 */
export function applySystemRole(user: AccessUser, role: ProjectRole | null): ProjectRole | null {
  const system = activeSystemRole(user);
  if (system === null) return null;
  if (system === 'admin') return 'owner';
  if (system === 'viewer') return minRole(role, 'viewer');
  return role;
}

/**
 * A user's effective role on a project (SPEC §3): the most permissive of the direct grant and
 * every group grant; `owner` for a system admin on every project; at most `viewer` for a system
 * viewer; `null` (no access) for a disabled user or a user nothing grants anything.
 */
export function effectiveProjectRole(input: ProjectRoleInput): ProjectRole | null {
  const { user } = input;
  return applySystemRole(user, grantedRole({ kind: 'user', id: user.id }, input.userGroupIds, input.projectGrants));
}

/**
 * A user's effective role on one dashboard: the project role, raised (never lowered) by the
 * dashboard grants held by the user or any of its groups; the system-viewer ceiling still applies
 * and a disabled user still has none. A user with no project role but a dashboard grant gets that
 * grant's role on that dashboard only.
 */
export function effectiveDashboardRole(input: DashboardRoleInput): ProjectRole | null {
  const { user } = input;
  const fromDashboard = grantedRole({ kind: 'user', id: user.id }, input.userGroupIds, input.dashboardGrants);
  return applySystemRole(user, maxRole(input.projectRole, fromDashboard));
}
