import type { GrantInput, Principal, ProjectRole } from './roles.ts';

export type OwnerGuardCheck = { readonly ok: true } | { readonly ok: false; readonly reason: 'last_owner'; readonly message: string };

function isDirectOwner(grant: GrantInput): boolean {
  return grant.principal.kind === 'user' && grant.role === 'owner';
}

/**
 * Pre-check of the owner invariant (SPEC §3 decision 5, as the store enforces it): after setting
 * `principal`'s project grant to `role` (`null` = remove it), the project must keep at least one
 * **direct user** owner grant; group owner grants do not count (a group can be emptied at any
 * time). The store refuses such a change anyway (`STORE_CONFLICT last_owner`); this gives the API
 * a clear message before trying.
 */
export function checkLastOwner(projectGrants: readonly GrantInput[], change: { readonly principal: Principal; readonly role: ProjectRole | null }): OwnerGuardCheck {
  const { principal, role } = change;
  const others = projectGrants.filter((g) => !(g.principal.kind === principal.kind && g.principal.id === principal.id));
  const after = role === null ? others : [...others, { principal, role }];
  if (after.some(isDirectOwner)) return { ok: true };
  return {
    ok: false,
    reason: 'last_owner',
    message:
      principal.kind === 'user' ? 'a project must keep at least one user as owner: make another user owner first' : 'a project must keep at least one user as owner (group owner grants do not count)',
  };
}
