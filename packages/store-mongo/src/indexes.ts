/**
 * The indexes the MongoDB adapter relies on, created at start by {@link ensureIndexes}. Unique
 * indexes mirror the SQLite adapter's constraints; their names map back to the constraint names
 * callers see in `STORE_CONFLICT` (see {@link UNIQUE_INDEX_CONSTRAINTS}).
 */
import type { Db, IndexDescription } from 'mongodb';
import type { StoreConstraint } from '@plotbox/store';

/** Collection names. */
export const COLLECTIONS = Object.freeze({
  users: 'users',
  sessions: 'sessions',
  refreshTokens: 'refresh_tokens',
  apiKeys: 'api_keys',
  groups: 'groups',
  projects: 'projects',
  dashboards: 'dashboards',
  charts: 'charts',
  datasets: 'datasets',
  datasetVersions: 'dataset_versions',
  renderCache: 'render_cache',
  audit: 'audit_events',
  rateWindows: 'rate_windows',
  loginFailures: 'login_failures',
  settings: 'settings',
});

/** Unique index name → constraint name. `_id_` of `refresh_tokens` is the token hash. */
export const UNIQUE_INDEX_CONSTRAINTS: Readonly<Record<string, StoreConstraint>> = {
  users_email: 'users.email',
  users_identity: 'users.identity',
  api_keys_prefix: 'api_keys.prefix',
  groups_name: 'groups.name',
  datasets_project_name: 'datasets.project_name',
  dashboards_project_name: 'dashboards.project_name',
  'refresh_tokens._id_': 'refresh_tokens.token_hash',
  'render_cache._id_': 'render_cache.key',
};

/** Every index, by collection. */
export const MONGO_INDEXES: Readonly<Record<string, readonly IndexDescription[]>> = {
  [COLLECTIONS.users]: [
    { key: { emailKey: 1 }, name: 'users_email', unique: true },
    { key: { createdAt: 1, _id: 1 }, name: 'users_created' },
    { key: { systemRole: 1 }, name: 'users_role' },
    // Only documents that hold identities are indexed: many users have none.
    { key: { identityKeys: 1 }, name: 'users_identity', unique: true, partialFilterExpression: { identityKeys: { $exists: true } } },
    { key: { disabled: 1, lastActiveAt: 1, _id: 1 }, name: 'users_inactive' },
  ],
  [COLLECTIONS.sessions]: [{ key: { userId: 1, createdAt: 1, _id: 1 }, name: 'sessions_user' }],
  [COLLECTIONS.refreshTokens]: [{ key: { sessionId: 1 }, name: 'refresh_tokens_session' }],
  [COLLECTIONS.apiKeys]: [
    { key: { prefix: 1 }, name: 'api_keys_prefix', unique: true },
    { key: { userId: 1, createdAt: 1, _id: 1 }, name: 'api_keys_user' },
  ],
  [COLLECTIONS.groups]: [
    { key: { name: 1 }, name: 'groups_name', unique: true },
    { key: { memberIds: 1 }, name: 'groups_members' },
    { key: { createdAt: 1, _id: 1 }, name: 'groups_created' },
  ],
  [COLLECTIONS.projects]: [
    { key: { createdAt: 1, _id: 1 }, name: 'projects_created' },
    { key: { grantKeys: 1, createdAt: 1, _id: 1 }, name: 'projects_grant_keys' },
  ],
  [COLLECTIONS.dashboards]: [
    { key: { projectId: 1, name: 1 }, name: 'dashboards_project_name', unique: true },
    { key: { projectId: 1, createdAt: 1, _id: 1 }, name: 'dashboards_project' },
    { key: { grantKeys: 1 }, name: 'dashboards_grant_keys' },
  ],
  [COLLECTIONS.charts]: [
    { key: { dashboardId: 1, createdAt: 1, _id: 1 }, name: 'charts_dashboard' },
    { key: { projectId: 1 }, name: 'charts_project' },
    { key: { datasetId: 1 }, name: 'charts_dataset' },
  ],
  [COLLECTIONS.datasets]: [
    { key: { projectId: 1, name: 1 }, name: 'datasets_project_name', unique: true },
    { key: { projectId: 1, createdAt: 1, _id: 1 }, name: 'datasets_project' },
  ],
  [COLLECTIONS.datasetVersions]: [
    { key: { datasetId: 1, createdAt: 1, _id: 1 }, name: 'dataset_versions_dataset' },
    { key: { projectId: 1 }, name: 'dataset_versions_project' },
  ],
  // No TTL index here on purpose: an entry may hold a blob key, and only prune() reports those
  // so the caller can delete the blob. Expired entries are never returned meanwhile.
  [COLLECTIONS.renderCache]: [
    { key: { expiresAt: 1 }, name: 'render_cache_expires' },
    { key: { createdAt: 1, _id: 1 }, name: 'render_cache_created' },
  ],
  [COLLECTIONS.audit]: [
    { key: { at: 1, _id: 1 }, name: 'audit_at' },
    { key: { action: 1, at: 1, _id: 1 }, name: 'audit_action' },
    { key: { 'actor.userId': 1, at: 1, _id: 1 }, name: 'audit_actor' },
    { key: { 'target.id': 1, at: 1, _id: 1 }, name: 'audit_target' },
  ],
  // TTL indexes only tidy up: reads ignore expired counters whether or not the monitor ran.
  [COLLECTIONS.rateWindows]: [{ key: { resetAt: 1 }, name: 'rate_windows_ttl', expireAfterSeconds: 0 }],
  [COLLECTIONS.loginFailures]: [{ key: { expiresAt: 1 }, name: 'login_failures_ttl', expireAfterSeconds: 0 }],
  // Expired records read as absent at once; the TTL monitor removes them later (null: never).
  [COLLECTIONS.settings]: [{ key: { expiresAt: 1 }, name: 'settings_ttl', expireAfterSeconds: 0 }],
};

/** Create every index (idempotent: existing identical indexes are left alone). */
export async function ensureIndexes(db: Db): Promise<void> {
  for (const [collection, indexes] of Object.entries(MONGO_INDEXES)) {
    await db.collection(collection).createIndexes([...indexes]);
  }
}
