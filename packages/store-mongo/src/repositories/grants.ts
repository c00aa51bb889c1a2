/**
 * Grants of projects and dashboards on MongoDB: embedded in the holder's document (`grants`, with
 * `grantKeys` for indexed lookups by principal) and changed by compare-and-set on `grantsRev`, so
 * a rule over all of a holder's grants (the owner invariant) and the change are one atomic step.
 */
import type { Collection, Filter, UpdateFilter } from 'mongodb';
import { notFound, principalKey } from '@plotbox/store';
import type { Grant, Principal, ProjectRole } from '@plotbox/store';
import type { GrantDoc, GrantHolderDoc } from '../documents.ts';
import { CAS_ATTEMPTS, contention } from '../errors.ts';
import type { MongoHandle } from '../handle.ts';
import { assertPrincipalExists, existsIn } from '../queries.ts';

/** Leave the embedded grants out where the record does not show them. */
export const NO_GRANTS = { grants: 0, grantKeys: 0 } as const;

export function samePrincipal(g: { kind: string; id: string }, p: Principal): boolean {
  return g.kind === p.kind && g.id === p.id;
}

/** By principal (kind, then id), as SQLite lists them. */
export function sortGrants(grants: readonly GrantDoc[]): GrantDoc[] {
  return [...grants].sort((a, b) => (a.kind === b.kind ? (a.id < b.id ? -1 : a.id > b.id ? 1 : 0) : a.kind < b.kind ? -1 : 1));
}

export function toGrant(g: GrantDoc): Grant {
  return { principal: { kind: g.kind, id: g.id }, role: g.role, createdAt: g.createdAt, updatedAt: g.updatedAt };
}

/** Every grant of the holder, by principal; none when the holder is missing. */
export async function listGrants<D extends GrantHolderDoc>(coll: Collection<D>, holderId: string): Promise<Grant[]> {
  const d = (await coll.findOne({ _id: holderId } as Filter<D>, { projection: { grants: 1 } })) as Pick<GrantHolderDoc, 'grants'> | null;
  return d === null ? [] : sortGrants(d.grants).map(toGrant);
}

/** The grants with the principal's grant created or changed (its creation time kept), and that grant. */
export function withGrant(grants: readonly GrantDoc[], p: Principal, role: ProjectRole, t: Date): { grants: GrantDoc[]; grant: GrantDoc } {
  const existing = grants.find((g) => samePrincipal(g, p));
  const grant: GrantDoc = { kind: p.kind, id: p.id, role, createdAt: existing?.createdAt ?? t, updatedAt: t };
  return { grants: [...grants.filter((g) => !samePrincipal(g, p)), grant], grant };
}

/**
 * Compare-and-set on the holder's `grantsRev`: read the grants, let `change` compute the new list
 * (or throw), write it only if nobody changed the grants meanwhile; retry otherwise.
 * @throws `STORE_NOT_FOUND` `entity` when the holder is missing, `STORE_UNAVAILABLE` `contention`.
 */
export async function changeGrants<D extends GrantHolderDoc, R>(
  coll: Collection<D>,
  holderId: string,
  entity: string,
  change: (grants: GrantDoc[]) => { grants: GrantDoc[]; result: R } | { unchanged: R },
): Promise<R> {
  for (let attempt = 0; attempt < CAS_ATTEMPTS; attempt += 1) {
    const doc = (await coll.findOne({ _id: holderId } as Filter<D>, { projection: { grants: 1, grantsRev: 1 } })) as Pick<GrantHolderDoc, 'grants' | 'grantsRev'> | null;
    if (doc === null) throw notFound(entity);
    const out = change(doc.grants);
    if ('unchanged' in out) return out.unchanged;
    const grants = sortGrants(out.grants);
    const update = { $set: { grants, grantKeys: grants.map(principalKey) }, $inc: { grantsRev: 1 } } as unknown as UpdateFilter<D>;
    const r = await coll.updateOne({ _id: holderId, grantsRev: doc.grantsRev } as Filter<D>, update);
    if (r.matchedCount === 1) return out.result;
  }
  throw contention();
}

/**
 * `setGrant` of a holder: the holder and the principal must exist, and `check` (when given) sees
 * every grant the holder would have after the change, within the compare-and-set.
 * @throws `STORE_NOT_FOUND` for the holder or the principal, or what `check` throws.
 */
export async function setGrant<D extends GrantHolderDoc>(
  h: MongoHandle,
  coll: Collection<D>,
  entity: string,
  input: { readonly holderId: string; readonly principal: Principal; readonly role: ProjectRole },
  check?: (after: readonly GrantDoc[]) => void,
): Promise<Grant> {
  const { holderId, principal, role } = input;
  if (!(await existsIn(coll, holderId))) throw notFound(entity);
  await assertPrincipalExists(h, principal);
  const t = h.now();
  return changeGrants(coll, holderId, entity, (grants) => {
    const { grants: after, grant } = withGrant(grants, principal, role, t);
    check?.(after);
    return { grants: after, result: toGrant(grant) };
  });
}
