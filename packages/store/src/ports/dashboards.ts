/** Dashboards and dashboard grants. */
import type { JsonValue, Page, PageRequest } from './common.ts';
import type { Principal, ProjectRole } from './projects.ts';

export interface Dashboard {
  readonly id: string;
  readonly projectId: string;
  /** Unique within the project (exact match). */
  readonly name: string;
  /** Ordered chart ids / grid positions, as the API defines them. */
  readonly layout: JsonValue;
  readonly createdAt: Date;
  readonly updatedAt: Date;
  readonly version: number;
}

export interface DashboardGrant {
  readonly principal: Principal;
  readonly role: ProjectRole;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

export interface DashboardRepository {
  /** @throws `STORE_NOT_FOUND` `project`, `STORE_CONFLICT` `dashboards.project_name`. */
  create(input: { readonly projectId: string; readonly name: string; readonly layout?: JsonValue }): Promise<Dashboard>;
  findById(id: string): Promise<Dashboard | null>;
  listByProject(projectId: string, page: PageRequest): Promise<Page<Dashboard>>;
  /** @throws `STORE_NOT_FOUND`, `STORE_VERSION_MISMATCH`, `STORE_CONFLICT` `dashboards.project_name`. */
  update(id: string, expectedVersion: number, patch: { readonly name?: string; readonly layout?: JsonValue }): Promise<Dashboard>;
  /** Delete with its charts and grants; `false` if missing. */
  delete(id: string): Promise<boolean>;
  listGrants(dashboardId: string): Promise<readonly DashboardGrant[]>;
  /**
   * Create or change a dashboard grant. That a dashboard grant may only raise the inherited role
   * (SPEC §3) is the access layer's rule, not the store's.
   * @throws `STORE_NOT_FOUND` `dashboard`/`user`/`group`.
   */
  setGrant(dashboardId: string, principal: Principal, role: ProjectRole): Promise<DashboardGrant>;
  removeGrant(dashboardId: string, principal: Principal): Promise<boolean>;
}
