/**
 * The repository ports of the metadata store: plain records and the operations use cases need.
 *
 * Conventions every adapter follows (the conformance suite checks them):
 * - ids are opaque strings made by the injected `newId`; times are `Date`s from the injected `now`
 *   (millisecond precision);
 * - `find*` returns `null` when nothing matches; mutations of a missing record throw
 *   `STORE_NOT_FOUND`;
 * - every argument is checked at run time (`STORE_INVALID`), so a value that is not a string where
 *   a string is expected (e.g. `{ "$ne": null }`) never reaches a query;
 * - lists take `{ limit, cursor? }` and return `{ items, nextCursor? }`, ordered by
 *   `(createdAt, id)` ascending (audit: `(at, id)`), cursors are opaque;
 * - records returned are fresh objects: mutating them changes nothing stored.
 */

/** JSON as stored in the JSON-valued fields (layout, diagnostics, schema, profile, details). */
export type JsonValue = null | boolean | number | string | readonly JsonValue[] | { readonly [key: string]: JsonValue };

/** A page request. `limit` is 1..{@link MAX_PAGE_LIMIT}; `cursor` comes from a previous page. */
export interface PageRequest {
  readonly limit: number;
  readonly cursor?: string | undefined;
}

/** A page of results; `nextCursor` is absent on the last page. */
export interface Page<T> {
  readonly items: readonly T[];
  readonly nextCursor?: string;
}

/** The largest page a list returns. */
export const MAX_PAGE_LIMIT = 500;

/** Clock and id generator, injected so tests need no mocking. */
export interface StoreDeps {
  readonly now: () => Date;
  readonly newId: () => string;
}

// ---------------------------------------------------------------- users

export const SYSTEM_ROLES = ['admin', 'user', 'viewer'] as const;
export type SystemRole = (typeof SYSTEM_ROLES)[number];

/** A user's TOTP enrolment. The secret is stored as given (the API layer may encrypt it). */
export interface TotpState {
  readonly secret: string;
  /** `false` while enrolling (secret issued, first code not yet confirmed). */
  readonly enabled: boolean;
  /** The last accepted time step; a code for this step or an earlier one is a replay. */
  readonly lastUsedStep: number | null;
}

export interface User {
  readonly id: string;
  /** As entered; uniqueness is case-insensitive (see {@link normalizeEmail}). */
  readonly email: string;
  readonly displayName: string;
  readonly passwordHash: string;
  readonly systemRole: SystemRole;
  readonly disabled: boolean;
  readonly totp: TotpState | null;
  readonly recoveryCodeHashes: readonly string[];
  readonly createdAt: Date;
  readonly updatedAt: Date;
  /** Starts at 1, +1 on every {@link UserRepository.update}. */
  readonly version: number;
  /**
   * When the password was last set: at creation, then whenever an update says so (a password
   * change, not a rehash). Records from before it was kept read their last update time.
   */
  readonly passwordChangedAt: Date;
  /**
   * The last sign-in or use of the account ({@link UserRepository.markActive}); the creation time
   * until then. Records from before it was kept read their latest known activity.
   */
  readonly lastActiveAt: Date;
  /** Why a disabled account is disabled: `inactive` (the inactivity sweep), or `null` (an admin, or enabled). */
  readonly disabledReason: string | null;
}

/** An account at an external identity provider (OpenID Connect: the `iss` and `sub` claims). */
export interface ExternalIdentity {
  /** 1..512 characters. */
  readonly issuer: string;
  /** 1..255 characters. */
  readonly subject: string;
}

export interface NewUser {
  readonly email: string;
  readonly displayName: string;
  readonly passwordHash: string;
  readonly systemRole: SystemRole;
  readonly disabled?: boolean;
  /** Linked in the same atomic step (a first single sign-on). @throws `STORE_CONFLICT` `users.identity`. */
  readonly identity?: ExternalIdentity;
}

export interface UserPatch {
  readonly email?: string;
  readonly displayName?: string;
  readonly passwordHash?: string;
  /** Set with a new password (not with a rehash of the same one). */
  readonly passwordChangedAt?: Date;
  readonly systemRole?: SystemRole;
  /** Enabling clears `disabledReason`; disabling sets it to `disabledReason` (default `null`). */
  readonly disabled?: boolean;
  /** Only together with `disabled: true`: `[a-z_]{1,32}`. */
  readonly disabledReason?: string | null;
  readonly totp?: TotpState | null;
  readonly recoveryCodeHashes?: readonly string[];
}

export interface UserRepository {
  /** @throws `STORE_CONFLICT` `users.email` when the email is taken (case-insensitively). */
  create(input: NewUser): Promise<User>;
  findById(id: string): Promise<User | null>;
  /** Case-insensitive. */
  findByEmail(email: string): Promise<User | null>;
  list(page: PageRequest): Promise<Page<User>>;
  /**
   * Number of users, optionally of one system role (bootstrap: "is there an admin yet?") and only
   * the enabled or disabled ones (the inactivity sweep keeps the last enabled admin).
   */
  count(filter?: { readonly systemRole?: SystemRole; readonly disabled?: boolean }): Promise<number>;
  /**
   * Change fields if the stored version is still `expectedVersion`.
   * @throws `STORE_NOT_FOUND`, `STORE_VERSION_MISMATCH`, `STORE_CONFLICT` `users.email`.
   */
  update(id: string, expectedVersion: number, patch: UserPatch): Promise<User>;
  /**
   * Atomically record a TOTP time step as used: `true` if the user has TOTP and `step` is later
   * than `lastUsedStep` (which becomes `step`); `false` for a replay (or no TOTP). Race-safe: of
   * two concurrent calls with the same step exactly one gets `true`. Does not change `version`.
   */
  useTotpStep(id: string, step: number): Promise<boolean>;
  /**
   * Atomically remove one recovery code hash: `true` if it was present. Race-safe (a code works
   * once). Does not change `version`.
   */
  useRecoveryCode(id: string, codeHash: string): Promise<boolean>;
  /**
   * People finder: users whose email, or a word of whose display name, starts with `prefix`
   * (case-insensitive for ASCII; `%`, `_` and a backslash match themselves), ordered by display name
   * then id, at most `limit` (1..{@link MAX_SEARCH_LIMIT}); `enabledOnly` leaves out disabled users.
   */
  search(query: UserSearch): Promise<readonly User[]>;
  /** The user linked to an external identity, or `null`. */
  findByIdentity(identity: ExternalIdentity): Promise<User | null>;
  /**
   * Link an external identity to a user (idempotent for the same user).
   * @throws `STORE_NOT_FOUND` `user`, `STORE_CONFLICT` `users.identity` when another user holds it.
   */
  addIdentity(userId: string, identity: ExternalIdentity): Promise<void>;
  /** The identities linked to a user, oldest first. */
  listIdentities(userId: string): Promise<readonly ExternalIdentity[]>;
  /** Set `lastActiveAt` to now; `false` if missing. Does not change `version`. */
  markActive(id: string): Promise<boolean>;
  /**
   * Enabled users whose `lastActiveAt` is before `before`, least recently active first, at most
   * `limit` (1..{@link MAX_PAGE_LIMIT}): candidates for the inactivity sweep.
   */
  listInactive(before: Date, limit: number): Promise<readonly User[]>;
  /**
   * Disable the user with reason `inactive` if it is still enabled and still inactive since
   * `before` (one conditional write, +1 `version`): `true` when this call disabled it, so of
   * several replicas sweeping at once exactly one reports each account.
   */
  disableIfInactive(id: string, before: Date): Promise<boolean>;
}

/** The largest result of a prefix search (users, groups): a finder, not a directory. */
export const MAX_SEARCH_LIMIT = 50;

export interface UserSearch {
  /** 1..100 characters. */
  readonly prefix: string;
  readonly limit: number;
  readonly enabledOnly?: boolean;
}

// ---------------------------------------------------------------- sessions and refresh tokens

export interface Session {
  readonly id: string;
  readonly userId: string;
  readonly createdAt: Date;
  readonly lastSeenAt: Date;
  /** Never moved by the store: refreshing never extends the absolute lifetime. */
  readonly absoluteExpiresAt: Date;
  readonly idleExpiresAt: Date;
  readonly revokedAt: Date | null;
  readonly revokeReason: string | null;
  readonly userAgent: string | null;
  readonly ip: string | null;
  /** Password accepted, second factor still due: the session may only complete MFA. */
  readonly mfaPending: boolean;
  /** Signed in with an expired password: the session may only change it. */
  readonly passwordChangeRequired: boolean;
}

export interface NewSession {
  readonly userId: string;
  readonly absoluteExpiresAt: Date;
  /** Capped at `absoluteExpiresAt`. */
  readonly idleExpiresAt: Date;
  readonly userAgent?: string | null;
  readonly ip?: string | null;
  readonly mfaPending?: boolean;
  readonly passwordChangeRequired?: boolean;
}

export interface RefreshToken {
  /** Hash of the opaque token; the token itself is never stored. */
  readonly tokenHash: string;
  readonly sessionId: string;
  /** All tokens rotated from one login share a family (one family per session). */
  readonly familyId: string;
  readonly createdAt: Date;
  readonly usedAt: Date | null;
  readonly expiresAt: Date;
}

export interface NewRefreshToken {
  readonly tokenHash: string;
  readonly sessionId: string;
  /** Defaults to the session id. */
  readonly familyId?: string;
  readonly expiresAt: Date;
}

/** The replacement token of a rotation, and optionally the session's new idle expiry. */
export interface RotateRefreshInput {
  readonly tokenHash: string;
  readonly expiresAt: Date;
  /** When given, the session's `lastSeenAt` becomes now and `idleExpiresAt` this (capped at absolute). */
  readonly idleExpiresAt?: Date;
}

/**
 * Outcome of {@link SessionRepository.rotateRefresh}:
 * - `rotated`: the old token is now used, `token` is the new one;
 * - `reused`: the old token had ALREADY been used: the caller must revoke the session (family) and
 *   audit `refresh_reuse`;
 * - `not_found`: no such token; `expired`: the old token's own expiry passed;
 * - `session_ended`: the session is revoked, idle or past its absolute expiry.
 */
export type RotateRefreshResult =
  | { readonly status: 'rotated'; readonly token: RefreshToken; readonly session: Session }
  | { readonly status: 'reused'; readonly sessionId: string; readonly familyId: string; readonly userId: string; readonly usedAt: Date }
  | { readonly status: 'not_found' }
  | { readonly status: 'expired'; readonly sessionId: string }
  | { readonly status: 'session_ended'; readonly sessionId: string };

export interface SessionRepository {
  /** @throws `STORE_NOT_FOUND` `user`. */
  create(input: NewSession): Promise<Session>;
  findById(id: string): Promise<Session | null>;
  listByUser(userId: string, page: PageRequest): Promise<Page<Session>>;
  /**
   * Mark the session used now and set its idle expiry (capped at absolute). `false` if the session
   * is missing or not live.
   */
  touch(id: string, idleExpiresAt: Date): Promise<boolean>;
  /** Clear `mfaPending` of a live session; `false` if missing or not live. */
  completeMfa(id: string): Promise<boolean>;
  /** Revoke one session; `false` if missing or already revoked (the first reason is kept). */
  revoke(id: string, reason: string): Promise<boolean>;
  /** Revoke every live session of a user, except `exceptSessionId`; returns how many. */
  revokeAllForUser(userId: string, reason: string, options?: { readonly exceptSessionId?: string }): Promise<number>;
  /** @throws `STORE_NOT_FOUND` `session`, `STORE_CONFLICT` `refresh_tokens.token_hash`. */
  createRefreshToken(input: NewRefreshToken): Promise<RefreshToken>;
  findRefreshToken(tokenHash: string): Promise<RefreshToken | null>;
  /**
   * Atomically use `oldHash` and issue `next` in the same family. Succeeds only if the old token
   * exists, is unused and unexpired and its session is live. Race-safe: of two concurrent
   * rotations of one token exactly one is `rotated` and the other `reused`.
   */
  rotateRefresh(oldHash: string, next: RotateRefreshInput): Promise<RotateRefreshResult>;
}

/** Is the session live at `now` (not revoked, before both expiries)? */
export function isSessionLive(session: Session, now: Date): boolean {
  const t = now.getTime();
  return session.revokedAt === null && t < session.absoluteExpiresAt.getTime() && t < session.idleExpiresAt.getTime();
}

// ---------------------------------------------------------------- API keys

export interface ApiKey {
  readonly id: string;
  readonly userId: string;
  readonly name: string;
  /** The public part shown in lists (`pbx_xxxxxxxx`), unique. */
  readonly prefix: string;
  readonly hash: string;
  readonly createdAt: Date;
  readonly expiresAt: Date | null;
  readonly lastUsedAt: Date | null;
  readonly revokedAt: Date | null;
}

export interface NewApiKey {
  readonly userId: string;
  readonly name: string;
  readonly prefix: string;
  readonly hash: string;
  readonly expiresAt?: Date | null;
}

export interface ApiKeyRepository {
  /** @throws `STORE_NOT_FOUND` `user`, `STORE_CONFLICT` `api_keys.prefix`. */
  create(input: NewApiKey): Promise<ApiKey>;
  findById(id: string): Promise<ApiKey | null>;
  findByPrefix(prefix: string): Promise<ApiKey | null>;
  listByUser(userId: string, page: PageRequest): Promise<Page<ApiKey>>;
  /** Set `lastUsedAt` to now; `false` if missing. */
  markUsed(id: string): Promise<boolean>;
  /** `false` if missing or already revoked. */
  revoke(id: string): Promise<boolean>;
}

// ---------------------------------------------------------------- groups

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

// ---------------------------------------------------------------- projects and grants

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

// ---------------------------------------------------------------- dashboards

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

// ---------------------------------------------------------------- charts

export const CHART_LANGS = ['js', 'ts'] as const;
export type ChartLang = (typeof CHART_LANGS)[number];

/** A chart. Titles are not unique (several "Untitled" charts are normal); the id is the identity. */
export interface Chart {
  readonly id: string;
  /** Always the dashboard's project. */
  readonly projectId: string;
  readonly dashboardId: string;
  readonly title: string;
  readonly code: string;
  readonly lang: ChartLang;
  /** A dataset of the same project, or `null` (also after that dataset is deleted). */
  readonly datasetId: string | null;
  readonly diagnostics: JsonValue;
  readonly codeHash: string;
  readonly createdAt: Date;
  readonly updatedAt: Date;
  readonly version: number;
}

export interface NewChart {
  readonly dashboardId: string;
  readonly title: string;
  readonly code: string;
  readonly lang: ChartLang;
  readonly datasetId?: string | null;
  readonly diagnostics?: JsonValue;
  readonly codeHash: string;
}

export interface ChartPatch {
  readonly title?: string;
  readonly code?: string;
  readonly lang?: ChartLang;
  readonly datasetId?: string | null;
  readonly diagnostics?: JsonValue;
  readonly codeHash?: string;
}

export interface ChartRepository {
  /**
   * @throws `STORE_NOT_FOUND` `dashboard`, or `dataset` when `datasetId` is not a dataset of the
   *   dashboard's project (a chart can never point at another project's data).
   */
  create(input: NewChart): Promise<Chart>;
  findById(id: string): Promise<Chart | null>;
  listByDashboard(dashboardId: string, page: PageRequest): Promise<Page<Chart>>;
  /** @throws `STORE_NOT_FOUND` (`chart` or `dataset`), `STORE_VERSION_MISMATCH`. */
  update(id: string, expectedVersion: number, patch: ChartPatch): Promise<Chart>;
  delete(id: string): Promise<boolean>;
}

// ---------------------------------------------------------------- datasets

export interface Dataset {
  readonly id: string;
  readonly projectId: string;
  /** Unique within the project (exact match). */
  readonly name: string;
  readonly currentVersionId: string | null;
  readonly createdAt: Date;
  readonly updatedAt: Date;
  readonly version: number;
}

export interface DatasetVersion {
  readonly id: string;
  readonly datasetId: string;
  readonly sha256: string;
  readonly blobKey: string;
  readonly bytes: number;
  readonly rowCount: number;
  /** Columns and types. */
  readonly schema: JsonValue;
  readonly profile: JsonValue;
  readonly createdAt: Date;
  readonly createdBy: string;
}

export interface NewDatasetVersion {
  readonly sha256: string;
  readonly blobKey: string;
  readonly bytes: number;
  readonly rowCount: number;
  readonly schema: JsonValue;
  readonly profile: JsonValue;
  readonly createdBy: string;
}

/** A dataset and its first version, created together ({@link DatasetRepository.createWithVersion}). */
export interface NewDatasetWithVersion {
  readonly projectId: string;
  readonly name: string;
  readonly version: NewDatasetVersion;
}

export interface DatasetRepository {
  /** @throws `STORE_NOT_FOUND` `project`, `STORE_CONFLICT` `datasets.project_name`. */
  create(input: { readonly projectId: string; readonly name: string }): Promise<Dataset>;
  findById(id: string): Promise<Dataset | null>;
  findByName(projectId: string, name: string): Promise<Dataset | null>;
  listByProject(projectId: string, page: PageRequest): Promise<Page<Dataset>>;
  /** @throws `STORE_NOT_FOUND`, `STORE_VERSION_MISMATCH`, `STORE_CONFLICT` `datasets.project_name`. */
  rename(id: string, expectedVersion: number, name: string): Promise<Dataset>;
  /**
   * Create a dataset together with its first version, which is current: the name is taken only by
   * a dataset that has its data (an upload that dies before this call leaves no dataset; one that
   * dies inside it leaves nothing visible either). Adapters without transactions write the
   * version first and the dataset last, so the worst a crash leaves is a version whose dataset
   * does not exist, which {@link DatasetRepository.removeIncomplete} deletes.
   * @throws `STORE_NOT_FOUND` `project`, `STORE_CONFLICT` `datasets.project_name` (then nothing is stored).
   */
  createWithVersion(input: NewDatasetWithVersion): Promise<{ readonly dataset: Dataset; readonly version: DatasetVersion }>;
  /**
   * Atomically add a version and make it current (bumps the dataset's `version`).
   * @throws `STORE_NOT_FOUND` `dataset`.
   */
  addVersion(datasetId: string, input: NewDatasetVersion): Promise<{ readonly dataset: Dataset; readonly version: DatasetVersion }>;
  /**
   * The blob keys of every version of the project's datasets (including versions left without
   * their dataset by an interrupted write), for the sweep of unreferenced blobs.
   */
  versionBlobKeys(projectId: string): Promise<readonly string[]>;
  /**
   * Repair after crashes: delete datasets created before `olderThan` that have no version (left by
   * an interrupted upload before {@link DatasetRepository.createWithVersion} existed, or by
   * `create` without a version), and versions created before `olderThan` whose dataset no longer
   * exists. Returns how many of each and the blob keys of the versions deleted (the caller deletes
   * those blobs).
   */
  removeIncomplete(olderThan: Date): Promise<{ readonly datasets: number; readonly versions: number; readonly blobKeys: readonly string[] }>;
  findVersion(id: string): Promise<DatasetVersion | null>;
  listVersions(datasetId: string, page: PageRequest): Promise<Page<DatasetVersion>>;
  /**
   * Make an existing version of the dataset its current one (roll back or forward; bumps the
   * dataset's `version` even when it already was current). With `expectedVersion`, only if the
   * dataset's version is still that.
   * @throws `STORE_NOT_FOUND` `dataset`, `STORE_NOT_FOUND` `dataset_version` when the version does
   * not exist or belongs to another dataset, `STORE_VERSION_MISMATCH`.
   */
  setCurrentVersion(datasetId: string, versionId: string, expectedVersion?: number): Promise<Dataset>;
  /**
   * Delete the dataset and its versions; charts using it keep `datasetId: null`. Returns the
   * versions' blob keys (the caller deletes the blobs), or `null` if missing.
   */
  delete(id: string): Promise<{ readonly blobKeys: readonly string[] } | null>;
}

// ---------------------------------------------------------------- render cache

/** What a cached render is keyed by (SPEC §3.6). */
export interface RenderCacheKey {
  readonly codeHash: string;
  readonly datasetVersionId: string;
  readonly runtimeVersion: string;
}

/** A cached figure: inline JSON, or a blob key for large figures (exactly one is non-null). */
export interface RenderCacheEntry {
  readonly key: RenderCacheKey;
  readonly figure: JsonValue | null;
  readonly blobKey: string | null;
  readonly createdAt: Date;
  readonly expiresAt: Date;
}

/**
 * Render cache, bounded two ways: every entry expires `ttlMs` after it is written (expired entries
 * are never returned), and {@link RenderCacheRepository.prune} trims to `maxEntries` (oldest
 * first). Both limits are adapter options.
 */
export interface RenderCacheRepository {
  get(key: RenderCacheKey): Promise<RenderCacheEntry | null>;
  /** Insert or replace. */
  put(key: RenderCacheKey, value: { readonly figure: JsonValue } | { readonly blobKey: string }): Promise<RenderCacheEntry>;
  /**
   * Delete expired entries, then the oldest beyond `maxEntries`. Returns the removed entries'
   * blob keys (the caller deletes the blobs) and how many were removed.
   */
  prune(): Promise<{ readonly removed: number; readonly blobKeys: readonly string[] }>;
}

// ---------------------------------------------------------------- audit

export const ACTOR_KINDS = ['user', 'api_key', 'system', 'anonymous'] as const;
export type ActorKind = (typeof ACTOR_KINDS)[number];

export const AUDIT_OUTCOMES = ['success', 'failure', 'denied'] as const;
export type AuditOutcome = (typeof AUDIT_OUTCOMES)[number];

export interface AuditActor {
  readonly kind: ActorKind;
  /** The acting user (also for `api_key`), `null` for `system`/`anonymous`. */
  readonly userId: string | null;
  /** For `api_key`: which key acted (its id and its name when it acted). */
  readonly apiKey?: { readonly id: string; readonly name: string };
}

export interface AuditTarget {
  readonly type: string;
  readonly id: string | null;
}

export interface AuditEvent {
  readonly id: string;
  readonly at: Date;
  readonly actor: AuditActor;
  readonly ip: string | null;
  /** `login_failure`, `refresh_reuse`, `dataset_upload`… (`[a-z0-9_.:-]`, at most 64 chars). */
  readonly action: string;
  readonly target: AuditTarget | null;
  readonly outcome: AuditOutcome;
  readonly requestId: string | null;
  /** Small (at most {@link MAX_AUDIT_DETAILS_BYTES} of JSON); never secrets. */
  readonly details: { readonly [key: string]: JsonValue };
}

export const MAX_AUDIT_DETAILS_BYTES = 8192;

export interface NewAuditEvent {
  readonly actor: AuditActor;
  readonly ip?: string | null;
  readonly action: string;
  readonly target?: AuditTarget | null;
  readonly outcome: AuditOutcome;
  readonly requestId?: string | null;
  readonly details?: { readonly [key: string]: JsonValue };
}

export interface AuditFilter {
  readonly action?: string;
  readonly actorUserId?: string;
  readonly targetType?: string;
  readonly outcome?: AuditOutcome;
  /** Inclusive. */
  readonly since?: Date;
  /** Exclusive. */
  readonly until?: Date;
  /**
   * Leave out events whose details say `cached: true`: dashboard views served from the render
   * cache, recorded (SPEC §5) but routine.
   */
  readonly excludeCached?: boolean;
  /** `(at, id)` descending, newest first. A cursor works only with the order that made it. */
  readonly newestFirst?: boolean;
}

/** The audit log: append and query only. There is deliberately no update or delete. */
export interface AuditLog {
  /** `at` is the store's clock. */
  append(input: NewAuditEvent): Promise<AuditEvent>;
  /** Events matching every given filter, in time order `(at, id)`. */
  query(filter: AuditFilter, page: PageRequest): Promise<Page<AuditEvent>>;
}

// ---------------------------------------------------------------- counters

/** A fixed-window counter after a hit. */
export interface WindowCount {
  /** Hits in the current window, including this one. */
  readonly count: number;
  /** When the current window ends (the `Retry-After` basis). */
  readonly resetAt: Date;
}

export interface LoginFailureState {
  /** Consecutive failures since the last success, lock or forgetting. */
  readonly failures: number;
  readonly lastFailureAt: Date;
  /** Logins are refused until then (SPEC §4: 5 failures → 15 min). */
  readonly lockedUntil: Date | null;
}

export interface LoginFailurePolicy {
  /** Failures that lock the account (5). */
  readonly maxFailures: number;
  /** How long a lock lasts (15 min). */
  readonly lockMs: number;
  /** A failure this long after the previous one starts counting again from 1 (storage hygiene). */
  readonly forgetAfterMs: number;
}

/**
 * `counted`: a failure was added; `locked_now`: this failure reached `maxFailures` and locked the
 * account (audit a lockout); `already_locked`: the account was locked, nothing changed.
 */
export type LoginFailureOutcome = 'counted' | 'locked_now' | 'already_locked';

/**
 * Counters shared by every API replica (all state lives in the store). Keys are opaque strings
 * chosen by the caller, e.g. `login:ip:203.0.113.9`, `api:user:<id>`, `account:<userId>`.
 */
export interface CounterRepository {
  /**
   * Count a hit in a fixed window of `windowMs` starting at the key's first hit: atomic (one
   * statement), so concurrent replicas never lose a hit.
   */
  hit(key: string, windowMs: number): Promise<WindowCount>;
  /** Forget a window counter. */
  resetWindow(key: string): Promise<void>;
  /** Atomically count a login failure for an account (see {@link nextLoginFailureState}). */
  recordLoginFailure(accountKey: string, policy: LoginFailurePolicy): Promise<{ readonly state: LoginFailureState; readonly outcome: LoginFailureOutcome }>;
  getLoginFailures(accountKey: string): Promise<LoginFailureState | null>;
  /** On successful login: forget failures and any lock. */
  clearLoginFailures(accountKey: string): Promise<void>;
  /** Delete expired windows and forgotten failure records; returns how many. */
  prune(): Promise<number>;
}

// ---------------------------------------------------------------- settings

/**
 * A small named record of replica-wide state: things that decide requests and so must not live in
 * one process's memory (the setup tokens a replica printed, the sandbox runtime version the render
 * cache is keyed by). Keys are `[A-Za-z0-9._:-]{1,200}`; values are JSON of at most 64 KiB.
 */
export interface SettingRecord {
  readonly key: string;
  readonly value: JsonValue;
  readonly updatedAt: Date;
  /** After this instant the record reads as absent (and may be pruned); `null`: never. */
  readonly expiresAt: Date | null;
}

export interface SettingsRepository {
  /** The live record, or `null` when absent or expired. */
  get(key: string): Promise<SettingRecord | null>;
  /** Create or replace the record. */
  put(key: string, value: JsonValue, options?: { readonly expiresAt?: Date | null }): Promise<SettingRecord>;
  /**
   * Create the record only when there is no live one (atomic across replicas). Returns the live
   * record afterwards and whether this call created it.
   */
  putIfAbsent(key: string, value: JsonValue, options?: { readonly expiresAt?: Date | null }): Promise<{ readonly record: SettingRecord; readonly created: boolean }>;
  /** Delete the record; `true` when a live record was deleted by this call (one winner among concurrent callers). */
  delete(key: string): Promise<boolean>;
  /** Delete expired records; returns how many. */
  prune(): Promise<number>;
}

// ---------------------------------------------------------------- the store

export interface Store {
  readonly users: UserRepository;
  readonly sessions: SessionRepository;
  readonly apiKeys: ApiKeyRepository;
  readonly groups: GroupRepository;
  readonly projects: ProjectRepository;
  readonly dashboards: DashboardRepository;
  readonly charts: ChartRepository;
  readonly datasets: DatasetRepository;
  readonly renderCache: RenderCacheRepository;
  readonly audit: AuditLog;
  readonly counters: CounterRepository;
  readonly settings: SettingsRepository;
  /** Readiness: resolves if the database answers, else `STORE_UNAVAILABLE`. */
  ping(): Promise<void>;
  /** Release what the adapter opened itself (an injected client is left to its owner). */
  close(): Promise<void>;
}
