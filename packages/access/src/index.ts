/**
 * @plotbox/access — the pure access-control core (SPEC §3): roles, grants and groups → effective
 * project and dashboard roles → allowed actions, as composable evaluators with readable
 * descriptions, and the 404-versus-403 decision. No I/O: the API reads grants from the store on
 * every request and passes them in.
 */
export { PRINCIPAL_KINDS, PROJECT_ROLES, SYSTEM_ROLES, activeSystemRole, isProjectRole, isSystemRole, maxRole, minRole, roleAtLeast, roleRank } from './roles.ts';
export type { AccessUser, GrantInput, Principal, PrincipalKind, ProjectRole, SystemRole } from './roles.ts';
export {
  ACTIONS,
  ACTION_SCOPE,
  ACTION_SCOPES,
  ROLE_ACTIONS,
  SYSTEM_ROLE_ACTIONS,
  canCreateProject,
  isAction,
  isSystemAction,
  roleAllows,
  rolesAllowing,
  systemRoleAllows,
  systemRolesAllowing,
} from './actions.ts';
export type { Action, ActionScope, ResourceAction, SystemAction } from './actions.ts';
export { applySystemRole, effectiveDashboardRole, effectiveProjectRole, grantedRole } from './effective-role.ts';
export type { DashboardRoleInput, ProjectRoleInput } from './effective-role.ts';
export { resolveAccess, systemContext } from './access-context.ts';
export { datasetReach, mayUseDataset } from './dataset-reach.ts';
export type { DatasetReach } from './dataset-reach.ts';
export type { AccessContext, ResolveAccessInput } from './access-context.ts';
export { NOT_FOUND_REASON, all, any, can, canSeeTarget, decide } from './evaluator.ts';
export type { Decision, Evaluator } from './evaluator.ts';
export { DASHBOARD_GRANT_REFUSALS, inheritedProjectRole, validateDashboardGrant } from './dashboard-grant.ts';
export type { DashboardGrantCheck, DashboardGrantRefusal } from './dashboard-grant.ts';
export { checkLastOwner } from './owner-guard.ts';
export type { OwnerGuardCheck } from './owner-guard.ts';
