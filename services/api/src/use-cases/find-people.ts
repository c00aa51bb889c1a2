/**
 * The people finder for project owners adding members: enough to choose from, never a directory.
 * An email typed in full is looked up exactly (never as a prefix); otherwise a prefix of at least
 * two characters of an email, a word of a name or a group name; at most a few of each; enabled
 * users only. Lookups that reveal users are audited with the ids revealed (the query itself may be
 * someone's email, so it is not recorded).
 */
import { isStoreError, type Group, type Store, type User } from '@plotbox/store';
import type { PeopleAnswer } from '../api-types.ts';
import type { Audit } from '../audit.ts';
import { auditWrite } from './audit-write.ts';
import type { Caller } from '../context.ts';

/** Results of each kind. */
export const PEOPLE_LIMIT = 10;
/** An email typed out in full: looked up exactly, never as a prefix. */
const FULL_EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/u;

export async function findPeople(deps: { readonly store: Pick<Store, 'users' | 'groups'>; readonly audit: Audit }, projectId: string, q: string, caller: Caller): Promise<PeopleAnswer> {
  let users: readonly User[];
  let groups: readonly Group[] = [];
  if (FULL_EMAIL.test(q)) {
    // Not an address the store accepts: nobody has it.
    const user = await deps.store.users.findByEmail(q).catch((err: unknown) => {
      if (isStoreError(err, 'STORE_INVALID')) return null;
      throw err;
    });
    users = user === null || user.disabled ? [] : [user];
  } else {
    [users, groups] = await Promise.all([deps.store.users.search({ prefix: q, limit: PEOPLE_LIMIT, enabledOnly: true }), deps.store.groups.search({ prefix: q, limit: PEOPLE_LIMIT })]);
  }
  if (users.length > 0) await auditWrite(deps, caller, 'people_lookup', { type: 'project', id: projectId }, { users: users.map((u) => u.id).join(','), groups: groups.length });
  return {
    users: users.map((u) => ({ id: u.id, displayName: u.displayName, email: u.email })),
    groups: groups.map((g) => ({ id: g.id, name: g.name, members: g.memberIds.length })),
  };
}
