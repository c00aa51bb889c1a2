/** Input checks of the groups repository. */
import { invalid } from '../store-error.ts';
import type { GroupRepository } from '../ports.ts';
import type { InputChecks } from '../repository.ts';
import { checkPage } from '../cursor.ts';
import { assertId, assertKnownKeys, assertObject } from '../validate.ts';
import { FIELD_LIMITS, checkId, checkName } from './common.ts';
import { checkSearch } from './search.ts';

export function checkNewGroup(input: unknown) {
  const v = assertObject(input, 'group');
  assertKnownKeys(v, 'group', ['name', 'memberIds']);
  let memberIds: string[] = [];
  if (v.memberIds !== undefined) {
    if (!Array.isArray(v.memberIds) || v.memberIds.length > FIELD_LIMITS.maxGroupMembers) throw invalid('memberIds', 'must be an array of user ids');
    memberIds = [...new Set(v.memberIds.map((m: unknown) => assertId(m, 'memberIds')))].sort();
  }
  return { name: checkName(v.name), memberIds };
}

/** `addMember`/`removeMember`'s arguments. */
function checkMembership(groupId: unknown, userId: unknown): { readonly groupId: string; readonly userId: string } {
  const group = assertId(groupId, 'groupId');
  return { groupId: group, userId: assertId(userId, 'userId') };
}

/** The input check of every {@link GroupRepository} operation. */
export const GROUP_INPUTS = {
  create: (input: unknown) => checkNewGroup(input),
  findById: (id: unknown) => checkId(id),
  findByName: (name: unknown) => checkName(name),
  list: (page: unknown) => checkPage(page, 'groups'),
  listForUser: (userId: unknown) => assertId(userId, 'userId'),
  search: (query: unknown) => checkSearch(query),
  rename: (id: unknown, name: unknown) => ({ id: checkId(id), name: checkName(name) }),
  addMember: (groupId: unknown, userId: unknown) => checkMembership(groupId, userId),
  removeMember: (groupId: unknown, userId: unknown) => checkMembership(groupId, userId),
  delete: (id: unknown) => checkId(id),
} satisfies InputChecks<GroupRepository>;
