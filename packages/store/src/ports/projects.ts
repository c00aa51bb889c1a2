/** Projects, principals and project grants. */
import type { Page, PageRequest } from './common.ts';

export const PRINCIPAL_KINDS = ['user', 'group'] as const;
export type PrincipalKind = (typeof PRINCIPAL_KINDS)[number];

export interface Principal {
  readonly kind: PrincipalKind;
  readonly id: string;
}

export const PROJECT_ROLES = ['owner', 'editor', 'viewer'] as const;
export type ProjectRole = (typeof PROJECT_ROLES)[number];

export interface Grant {
  readonly principal: Principal;
  readonly role: ProjectRole;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

export interface Project {
  readonly id: string;
  readonly name: string;
  readonly description: string;
  readonly createdBy: string;
  readonly createdAt: Date;
  readonly updatedAt: Date;
  readonly version: number;
}

export interface ProjectPatch {
  readonly name?: string;
  readonly description?: string;
}

/**
 * Projects and their grants.
 *
 * Owner invariant (SPEC §3.5): every project has at least one **direct user** grant with role
 * `owner`. Group owner grants are allowed but do not count, because group membership changes
 * outside the project (a group can be emptied at any time). Disabled users still count (disabling
 * is reversible; a system admin acts as owner of every project anyway). A project is created with
 * its creator as owner in the same atomic step, so it never exists without one.
 */
export interface ProjectRepository {
  /** Creates the project and an `owner` grant for `createdBy`. @throws `STORE_NOT_FOUND` `user`. */
  create(input: { readonly name: string; readonly description?: string; readonly createdBy: string }): Promise<Project>;
  findById(id: string): Promise<Project | null>;
  /** All projects (system admins). */
  list(page: PageRequest): Promise<Page<Project>>;
  /** Projects on which any of `principals` (a user and their groups) holds a grant. At most 1,000 principals. */
  listForPrincipals(principals: readonly Principal[], page: PageRequest): Promise<Page<Project>>;
  /** @throws `STORE_NOT_FOUND`, `STORE_VERSION_MISMATCH`. */
  update(id: string, expectedVersion: number, patch: ProjectPatch): Promise<Project>;
  /**
   * Delete the project with its grants, dashboards (and their grants), charts, datasets and
   * dataset versions. Returns the blob keys of the deleted dataset versions (the caller deletes
   * the blobs), or `null` if the project was missing.
   */
  delete(id: string): Promise<{ readonly blobKeys: readonly string[] } | null>;
  /** Every grant of the project (a bounded set read whole for access evaluation), by principal. */
  listGrants(projectId: string): Promise<readonly Grant[]>;
  /**
   * Create or change the principal's grant.
   * @throws `STORE_NOT_FOUND` `project`/`user`/`group`, `STORE_CONFLICT` `last_owner` when this
   *   demotes the last direct user owner.
   */
  setGrant(projectId: string, principal: Principal, role: ProjectRole): Promise<Grant>;
  /**
   * Remove the principal's grant; `false` if it had none.
   * @throws `STORE_NOT_FOUND` `project`, `STORE_CONFLICT` `last_owner`.
   */
  removeGrant(projectId: string, principal: Principal): Promise<boolean>;
}
