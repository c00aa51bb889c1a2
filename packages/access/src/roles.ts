/** System roles, held by a user (SPEC §3). Same spelling as the store's `SystemRole`. */
export const SYSTEM_ROLES = ['admin', 'user', 'viewer'] as const;
export type SystemRole = (typeof SYSTEM_ROLES)[number];

/**
 * Project roles, granted to users or groups on a project or a dashboard, from the least to the
 * most permissive (owner > editor > viewer > none). Same spelling as the store's `ProjectRole`.
 */
export const PROJECT_ROLES = ['viewer', 'editor', 'owner'] as const;
export type ProjectRole = (typeof PROJECT_ROLES)[number];

export const PRINCIPAL_KINDS = ['user', 'group'] as const;
export type PrincipalKind = (typeof PRINCIPAL_KINDS)[number];

/** Who a grant is for. The store's `Principal` satisfies this. */
export interface Principal {
  readonly kind: PrincipalKind;
  readonly id: string;
}

/** A project or dashboard grant. The store's `Grant` and `DashboardGrant` satisfy this. */
export interface GrantInput {
  readonly principal: Principal;
  readonly role: ProjectRole;
}

/** The part of a user access depends on. The store's `User` satisfies this. */
export interface AccessUser {
  readonly id: string;
  readonly systemRole: SystemRole;
  readonly disabled: boolean;
}

const RANK: ReadonlyMap<string, number> = new Map(PROJECT_ROLES.map((role, i) => [role, i + 1]));

/** Is `value` a {@link ProjectRole}? */
export function isProjectRole(value: unknown): value is ProjectRole {
  return typeof value === 'string' && RANK.has(value);
}

/** Is `value` a {@link SystemRole}? */
export function isSystemRole(value: unknown): value is SystemRole {
  return typeof value === 'string' && (SYSTEM_ROLES as readonly string[]).includes(value);
}

/**
 * Rank of a role: 0 for none (`null`), 1 viewer, 2 editor, 3 owner. A value that is not a
 * project role (corrupt data) ranks 0, so it grants nothing.
 */
export function roleRank(role: ProjectRole | null): number {
  return role === null ? 0 : (RANK.get(role) ?? 0);
}

/** The more permissive of two roles (`null` = none). */
export function maxRole(a: ProjectRole | null, b: ProjectRole | null): ProjectRole | null {
  const ra = roleRank(a);
  const rb = roleRank(b);
  if (ra === 0 && rb === 0) return null;
  return ra >= rb ? a : b;
}

/** The less permissive of two roles (`null` = none). */
export function minRole(a: ProjectRole | null, b: ProjectRole | null): ProjectRole | null {
  const ra = roleRank(a);
  const rb = roleRank(b);
  if (ra === 0 || rb === 0) return null;
  return ra <= rb ? a : b;
}

/** Does `role` allow at least what `required` allows? `null` never does. */
export function roleAtLeast(role: ProjectRole | null, required: ProjectRole): boolean {
  const r = roleRank(role);
  return r > 0 && r >= roleRank(required);
}

/**
 * The system role as access control treats it: a disabled user has none (`null`); a value that is
 * not a system role (corrupt data) is treated as `viewer`, the most restrictive, so it fails closed.
 */
export function activeSystemRole(user: AccessUser): SystemRole | null {
  if (user.disabled !== false) return null;
  return isSystemRole(user.systemRole) ? user.systemRole : 'viewer';
}
