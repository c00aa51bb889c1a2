/** Grants of projects and dashboards on SQLite: one table each, the same shape and the same queries. */
import { notFound, principalKey } from '@plotbox/store';
import type { Grant, Principal, PrincipalKind, ProjectRole } from '@plotbox/store';
import type { SqliteHandle } from '../handle.ts';
import { assertPrincipalExists, exists } from '../queries.ts';
import { date, str } from '../rows.ts';
import type { Row } from '../rows.ts';

/**
 * A grants table: its holders (table, entity, column), and whether rows carry `principal_key`
 * (indexed lookups by principal).
 */
export interface GrantTable {
  readonly table: 'project_grants' | 'dashboard_grants';
  readonly holderTable: 'projects' | 'dashboards';
  readonly holderEntity: 'project' | 'dashboard';
  readonly holder: 'project_id' | 'dashboard_id';
  readonly keyed: boolean;
}

export const PROJECT_GRANTS: GrantTable = { table: 'project_grants', holderTable: 'projects', holderEntity: 'project', holder: 'project_id', keyed: true };
export const DASHBOARD_GRANTS: GrantTable = { table: 'dashboard_grants', holderTable: 'dashboards', holderEntity: 'dashboard', holder: 'dashboard_id', keyed: false };

export function toGrant(r: Row): Grant {
  return {
    principal: { kind: str(r, 'principal_kind') as PrincipalKind, id: str(r, 'principal_id') },
    role: str(r, 'role') as ProjectRole,
    createdAt: date(r, 'created_at'),
    updatedAt: date(r, 'updated_at'),
  };
}

export function samePrincipal(a: Principal, b: Principal): boolean {
  return a.kind === b.kind && a.id === b.id;
}

/** Every grant of the holder, by principal. */
export function listGrants(h: SqliteHandle, g: GrantTable, holderId: string): Grant[] {
  return h.all(`SELECT * FROM ${g.table} WHERE ${g.holder} = ? ORDER BY principal_kind, principal_id`, holderId).map(toGrant);
}

/** Create or change the principal's grant (its creation time kept); returns it. */
export function upsertGrant(h: SqliteHandle, g: GrantTable, holderId: string, p: Principal, role: ProjectRole, t: number): Grant {
  const columns = g.keyed ? 'principal_kind, principal_id, principal_key' : 'principal_kind, principal_id';
  const values = g.keyed ? [p.kind, p.id, principalKey(p)] : [p.kind, p.id];
  const row = h.one(
    `INSERT INTO ${g.table} (${g.holder}, ${columns}, role, created_at, updated_at) VALUES (?, ${values.map(() => '?').join(', ')}, ?, ?, ?)
     ON CONFLICT (${g.holder}, principal_kind, principal_id) DO UPDATE SET role = excluded.role, updated_at = excluded.updated_at
     RETURNING *`,
    holderId,
    ...values,
    role,
    t,
    t,
  );
  return toGrant(row as Row);
}

/** Remove the principal's grant; `false` if it had none. */
export function deleteGrant(h: SqliteHandle, g: GrantTable, holderId: string, p: Principal): boolean {
  return h.run(`DELETE FROM ${g.table} WHERE ${g.holder} = ? AND principal_kind = ? AND principal_id = ?`, holderId, p.kind, p.id) === 1;
}

/**
 * `setGrant` of a holder, in one transaction: the holder and the principal must exist, and `check`
 * (when given) sees every grant the holder would have after the change before it is made.
 * @throws `STORE_NOT_FOUND` for the holder or the principal, or what `check` throws.
 */
export function setGrant(
  h: SqliteHandle,
  g: GrantTable,
  input: { readonly holderId: string; readonly principal: Principal; readonly role: ProjectRole },
  check?: (after: readonly Pick<Grant, 'principal' | 'role'>[]) => void,
): Grant {
  const { holderId, principal, role } = input;
  return h.tx(() => {
    if (!exists(h, g.holderTable, holderId)) throw notFound(g.holderEntity);
    assertPrincipalExists(h, principal);
    check?.([...listGrants(h, g, holderId).filter((x) => !samePrincipal(x.principal, principal)), { principal, role }]);
    return upsertGrant(h, g, holderId, principal, role, h.nowMs());
  });
}
