import type { AccessUser, GrantInput, ProjectRole } from './roles.ts';
import { maxRole } from './roles.ts';
import { applySystemRole, grantedRole } from './effective-role.ts';

/**
 * What an access decision is made on: the user and its effective roles for the one project (and,
 * for a request about a dashboard or a chart on it, the one dashboard) the request touches. Build
 * it with {@link resolveAccess} from current store data on every request (decision 3).
 */
export interface AccessContext {
  readonly user: AccessUser;
  /** Effective role on the project, `null` for none (or for a request about no project). */
  readonly projectRole: ProjectRole | null;
  /**
   * Effective role on the dashboard the request is about. Absent when the request is about no
   * particular dashboard: dashboard-scope actions are then decided on `projectRole`.
   */
  readonly dashboardRole?: ProjectRole | null;
  /**
   * What the grants alone give (before the system role is applied). Lets {@link decide} tell
   * whether a request was allowed only because the user is a system admin (to audit it).
   */
  readonly granted?: { readonly projectRole: ProjectRole | null; readonly dashboardRole?: ProjectRole | null };
}

/** Inputs of {@link resolveAccess}: plain store records, read on every request. */
export interface ResolveAccessInput {
  readonly user: AccessUser;
  /** Ids of every group the user belongs to. */
  readonly userGroupIds: readonly string[];
  /** Every grant of the project the request touches. */
  readonly projectGrants: readonly GrantInput[];
  /** Every grant of the dashboard the request touches; omit when it touches no dashboard. */
  readonly dashboardGrants?: readonly GrantInput[];
}

/**
 * Resolve a user's effective project role and (when `dashboardGrants` is given) dashboard role.
 * Same rules as `effectiveProjectRole` / `effectiveDashboardRole`, computed once.
 */
export function resolveAccess(input: ResolveAccessInput): AccessContext {
  const { user, userGroupIds } = input;
  const me = { kind: 'user', id: user.id } as const;
  const grantedProject = grantedRole(me, userGroupIds, input.projectGrants);
  const projectRole = applySystemRole(user, grantedProject);
  if (input.dashboardGrants === undefined) {
    return { user, projectRole, granted: { projectRole: grantedProject } };
  }
  const grantedDashboard = maxRole(grantedProject, grantedRole(me, userGroupIds, input.dashboardGrants));
  return {
    user,
    projectRole,
    dashboardRole: applySystemRole(user, grantedDashboard),
    granted: { projectRole: grantedProject, dashboardRole: grantedDashboard },
  };
}

/** A context for a request about no project (system-scope actions: users, groups, audit, create). */
export function systemContext(user: AccessUser): AccessContext {
  return { user, projectRole: null, granted: { projectRole: null } };
}
