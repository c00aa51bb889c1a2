/** Groups of users. */
import type { Page, PageRequest } from './common.ts';

export interface Group {
  readonly id: string;
  /** Unique (exact match). */
  readonly name: string;
  /** Sorted user ids. */
  readonly memberIds: readonly string[];
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

export interface GroupRepository {
  /** @throws `STORE_CONFLICT` `groups.name`, `STORE_NOT_FOUND` `user` for an unknown member. */
  create(input: { readonly name: string; readonly memberIds?: readonly string[] }): Promise<Group>;
  findById(id: string): Promise<Group | null>;
  findByName(name: string): Promise<Group | null>;
  list(page: PageRequest): Promise<Page<Group>>;
  /** Every group `userId` belongs to (bounded by how many groups exist; for access evaluation). */
  listForUser(userId: string): Promise<readonly Group[]>;
  /** Groups whose name, or a word of it, starts with `prefix` (as {@link UserRepository.search}), ordered by name. */
  search(query: { readonly prefix: string; readonly limit: number }): Promise<readonly Group[]>;
  /** @throws `STORE_NOT_FOUND`, `STORE_CONFLICT` `groups.name`. */
  rename(id: string, name: string): Promise<Group>;
  /** Idempotent. @throws `STORE_NOT_FOUND` `group` or `user`. */
  addMember(groupId: string, userId: string): Promise<Group>;
  /** Idempotent. @throws `STORE_NOT_FOUND` `group`. */
  removeMember(groupId: string, userId: string): Promise<Group>;
  /**
   * Delete the group and every project and dashboard grant held by it. Group grants never count
   * as the last owner, so this never breaks {@link ProjectRepository}'s owner invariant.
   * `false` if missing.
   */
  delete(id: string): Promise<boolean>;
}
