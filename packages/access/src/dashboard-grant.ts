import type { GrantInput, Principal, ProjectRole } from './roles.ts';
import { isProjectRole, roleRank } from './roles.ts';
import { grantedRole } from './effective-role.ts';

/** Why a dashboard grant is refused (the API answers 409). */
export const DASHBOARD_GRANT_REFUSALS = ['lower_than_inherited', 'same_as_inherited', 'invalid_role'] as const;
export type DashboardGrantRefusal = (typeof DASHBOARD_GRANT_REFUSALS)[number];

export type DashboardGrantCheck = { readonly ok: true } | { readonly ok: false; readonly reason: DashboardGrantRefusal; readonly message: string };

/**
 * The role a grantee inherits on every dashboard of a project, against which a dashboard grant is
 * checked: for a user, the most permissive of its direct grant and its groups' grants; for a
 * group, its own grant. System roles are deliberately left out: they are a separate axis that can
 * change independently, and a grant is compared with grants.
 */
export function inheritedProjectRole(input: {
  readonly principal: Principal;
  /** For a user principal: the ids of its groups. Ignored for a group principal. */
  readonly groupIds?: readonly string[];
  readonly projectGrants: readonly GrantInput[];
}): ProjectRole | null {
  return grantedRole(input.principal, input.groupIds ?? [], input.projectGrants);
}

/**
 * May a dashboard grant of `requestedRole` be given to a principal inheriting `inheritedRole`?
 * A dashboard grant may only RAISE the role (SPEC §3): lower is refused, and so is **equal**
 * (redundant: it would change nothing today and would silently keep access alive after the project
 * grant is lowered or revoked, which is exactly what nobody expects). No inherited role: any role.
 */
export function validateDashboardGrant(inheritedRole: ProjectRole | null, requestedRole: ProjectRole): DashboardGrantCheck {
  if (!isProjectRole(requestedRole)) {
    return { ok: false, reason: 'invalid_role', message: `not a project role: ${String(requestedRole)}` };
  }
  const inherited = roleRank(inheritedRole);
  const requested = roleRank(requestedRole);
  if (requested > inherited) return { ok: true };
  if (requested === inherited) {
    return {
      ok: false,
      reason: 'same_as_inherited',
      message: `the principal already has role ${requestedRole} on this dashboard through the project; a dashboard grant may only raise it`,
    };
  }
  return {
    ok: false,
    reason: 'lower_than_inherited',
    message: `a dashboard grant may only raise the inherited role: ${requestedRole} is lower than the inherited ${String(inheritedRole)}`,
  };
}
