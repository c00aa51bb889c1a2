/**
 * Schema migrations: an ordered list of versioned SQL steps, applied at start in one transaction
 * and recorded in `schema_migrations`. Never edit a released step: append a new one.
 */
import type { DatabaseSync } from 'node:sqlite';
import { StoreError } from '@plotbox/store';

export interface Migration {
  /** 1, 2, 3… strictly increasing, no gaps. */
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

export const SQLITE_MIGRATIONS: readonly Migration[] = Object.freeze([
  {
    version: 1,
    name: 'initial schema',
    sql: `
CREATE TABLE users (
  id TEXT PRIMARY KEY,
  email TEXT NOT NULL,
  email_key TEXT NOT NULL,
  display_name TEXT NOT NULL,
  password_hash TEXT NOT NULL,
  system_role TEXT NOT NULL CHECK (system_role IN ('admin', 'user', 'viewer')),
  disabled INTEGER NOT NULL CHECK (disabled IN (0, 1)),
  totp_secret TEXT,
  totp_enabled INTEGER NOT NULL DEFAULT 0 CHECK (totp_enabled IN (0, 1)),
  totp_last_step INTEGER,
  recovery_code_hashes TEXT NOT NULL DEFAULT '[]',
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  version INTEGER NOT NULL
) STRICT;
CREATE UNIQUE INDEX users_email_key ON users (email_key);
CREATE INDEX users_created ON users (created_at, id);
CREATE INDEX users_role ON users (system_role);

CREATE TABLE sessions (
  id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  created_at INTEGER NOT NULL,
  last_seen_at INTEGER NOT NULL,
  absolute_expires_at INTEGER NOT NULL,
  idle_expires_at INTEGER NOT NULL,
  revoked_at INTEGER,
  revoke_reason TEXT,
  user_agent TEXT,
  ip TEXT,
  mfa_pending INTEGER NOT NULL CHECK (mfa_pending IN (0, 1))
) STRICT;
CREATE INDEX sessions_user ON sessions (user_id, created_at, id);

CREATE TABLE refresh_tokens (
  token_hash TEXT PRIMARY KEY,
  session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
  family_id TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  used_at INTEGER,
  expires_at INTEGER NOT NULL
) STRICT;
CREATE INDEX refresh_tokens_session ON refresh_tokens (session_id);

CREATE TABLE api_keys (
  id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  prefix TEXT NOT NULL,
  hash TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER,
  last_used_at INTEGER,
  revoked_at INTEGER
) STRICT;
CREATE UNIQUE INDEX api_keys_prefix ON api_keys (prefix);
CREATE INDEX api_keys_user ON api_keys (user_id, created_at, id);

CREATE TABLE user_groups (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
) STRICT;
CREATE UNIQUE INDEX user_groups_name ON user_groups (name);
CREATE INDEX user_groups_created ON user_groups (created_at, id);

CREATE TABLE group_members (
  group_id TEXT NOT NULL REFERENCES user_groups (id) ON DELETE CASCADE,
  user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  PRIMARY KEY (group_id, user_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX group_members_user ON group_members (user_id);

CREATE TABLE projects (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  description TEXT NOT NULL,
  created_by TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  version INTEGER NOT NULL
) STRICT;
CREATE INDEX projects_created ON projects (created_at, id);

CREATE TABLE project_grants (
  project_id TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
  principal_kind TEXT NOT NULL CHECK (principal_kind IN ('user', 'group')),
  principal_id TEXT NOT NULL,
  principal_key TEXT NOT NULL,
  role TEXT NOT NULL CHECK (role IN ('owner', 'editor', 'viewer')),
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (project_id, principal_kind, principal_id)
) STRICT;
CREATE INDEX project_grants_principal ON project_grants (principal_key, project_id);

CREATE TABLE dashboards (
  id TEXT PRIMARY KEY,
  project_id TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  layout TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  version INTEGER NOT NULL
) STRICT;
CREATE UNIQUE INDEX dashboards_project_name ON dashboards (project_id, name);
CREATE INDEX dashboards_project ON dashboards (project_id, created_at, id);

CREATE TABLE dashboard_grants (
  dashboard_id TEXT NOT NULL REFERENCES dashboards (id) ON DELETE CASCADE,
  principal_kind TEXT NOT NULL CHECK (principal_kind IN ('user', 'group')),
  principal_id TEXT NOT NULL,
  role TEXT NOT NULL CHECK (role IN ('owner', 'editor', 'viewer')),
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (dashboard_id, principal_kind, principal_id)
) STRICT;
CREATE INDEX dashboard_grants_principal ON dashboard_grants (principal_kind, principal_id);

CREATE TABLE datasets (
  id TEXT PRIMARY KEY,
  project_id TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  current_version_id TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  version INTEGER NOT NULL
) STRICT;
CREATE UNIQUE INDEX datasets_project_name ON datasets (project_id, name);
CREATE INDEX datasets_project ON datasets (project_id, created_at, id);

CREATE TABLE dataset_versions (
  id TEXT PRIMARY KEY,
  dataset_id TEXT NOT NULL REFERENCES datasets (id) ON DELETE CASCADE,
  sha256 TEXT NOT NULL,
  blob_key TEXT NOT NULL,
  bytes INTEGER NOT NULL,
  row_count INTEGER NOT NULL,
  schema_json TEXT NOT NULL,
  profile_json TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  created_by TEXT NOT NULL
) STRICT;
CREATE INDEX dataset_versions_dataset ON dataset_versions (dataset_id, created_at, id);

CREATE TABLE charts (
  id TEXT PRIMARY KEY,
  project_id TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
  dashboard_id TEXT NOT NULL REFERENCES dashboards (id) ON DELETE CASCADE,
  title TEXT NOT NULL,
  code TEXT NOT NULL,
  lang TEXT NOT NULL CHECK (lang IN ('js', 'ts')),
  dataset_id TEXT REFERENCES datasets (id) ON DELETE SET NULL,
  diagnostics TEXT NOT NULL,
  code_hash TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  version INTEGER NOT NULL
) STRICT;
CREATE INDEX charts_dashboard ON charts (dashboard_id, created_at, id);
CREATE INDEX charts_dataset ON charts (dataset_id);
CREATE INDEX charts_project ON charts (project_id);

CREATE TABLE render_cache (
  code_hash TEXT NOT NULL,
  dataset_version_id TEXT NOT NULL,
  runtime_version TEXT NOT NULL,
  figure TEXT,
  blob_key TEXT,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  PRIMARY KEY (code_hash, dataset_version_id, runtime_version)
) STRICT;
CREATE INDEX render_cache_expires ON render_cache (expires_at);
CREATE INDEX render_cache_created ON render_cache (created_at);

CREATE TABLE audit_events (
  id TEXT PRIMARY KEY,
  at INTEGER NOT NULL,
  actor_kind TEXT NOT NULL,
  actor_user_id TEXT,
  ip TEXT,
  action TEXT NOT NULL,
  target_type TEXT,
  target_id TEXT,
  outcome TEXT NOT NULL CHECK (outcome IN ('success', 'failure', 'denied')),
  request_id TEXT,
  details TEXT NOT NULL
) STRICT;
CREATE INDEX audit_events_at ON audit_events (at, id);
CREATE INDEX audit_events_action ON audit_events (action, at, id);
CREATE INDEX audit_events_actor ON audit_events (actor_user_id, at, id);
-- Append-only in the database itself, not only in the API.
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END;
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END;

CREATE TABLE rate_windows (
  key TEXT PRIMARY KEY,
  count INTEGER NOT NULL,
  reset_at INTEGER NOT NULL
) STRICT;
CREATE INDEX rate_windows_reset ON rate_windows (reset_at);

CREATE TABLE login_failures (
  account_key TEXT PRIMARY KEY,
  failures INTEGER NOT NULL,
  last_failure_at INTEGER NOT NULL,
  locked_until INTEGER,
  expires_at INTEGER NOT NULL
) STRICT;
CREATE INDEX login_failures_expires ON login_failures (expires_at);
`,
  },
  {
    version: 2,
    name: 'settings: replica-wide named records',
    sql: `
CREATE TABLE settings (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL,
  updated_at INTEGER NOT NULL,
  expires_at INTEGER
) STRICT;
CREATE INDEX settings_expires ON settings (expires_at) WHERE expires_at IS NOT NULL;
`,
  },
  {
    version: 3,
    name: 'audit: the API key an actor used',
    sql: `
ALTER TABLE audit_events ADD COLUMN actor_api_key_id TEXT;
ALTER TABLE audit_events ADD COLUMN actor_api_key_name TEXT;
`,
  },
  {
    version: 4,
    name: 'identity: password age, last activity, why disabled, external identities, password-change sessions',
    sql: `
ALTER TABLE users ADD COLUMN password_changed_at INTEGER;
ALTER TABLE users ADD COLUMN last_active_at INTEGER;
ALTER TABLE users ADD COLUMN disabled_reason TEXT;
-- Existing accounts: the password dates from the last update at the latest (never later, so no
-- one is told it expired early); activity is the latest known sign of use.
UPDATE users SET
  password_changed_at = updated_at,
  last_active_at = MAX(
    updated_at,
    COALESCE((SELECT MAX(s.last_seen_at) FROM sessions s WHERE s.user_id = users.id), 0),
    COALESCE((SELECT MAX(k.last_used_at) FROM api_keys k WHERE k.user_id = users.id), 0)
  );
CREATE INDEX users_inactive ON users (disabled, last_active_at, id);
CREATE TABLE user_identities (
  issuer TEXT NOT NULL,
  subject TEXT NOT NULL,
  user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (issuer, subject)
) STRICT, WITHOUT ROWID;
CREATE INDEX user_identities_user ON user_identities (user_id, created_at);
ALTER TABLE sessions ADD COLUMN password_change_required INTEGER NOT NULL DEFAULT 0 CHECK (password_change_required IN (0, 1));
`,
  },
  {
    version: 5,
    name: 'audit: pseudonymisation on erasure and retention are the only changes allowed; events by target',
    sql: `
DROP TRIGGER audit_events_no_update;
DROP TRIGGER audit_events_no_delete;
-- An erasure may replace a person by a pseudonym (erased-...) in the actor, the target and the
-- details, and clear the address of the events the person acted in; nothing else of an event
-- may change, whoever runs the UPDATE.
CREATE TRIGGER audit_events_update_guard BEFORE UPDATE ON audit_events
WHEN NOT (
  NEW.id IS OLD.id AND NEW.at IS OLD.at AND NEW.actor_kind IS OLD.actor_kind AND NEW.action IS OLD.action
  AND NEW.target_type IS OLD.target_type AND NEW.outcome IS OLD.outcome AND NEW.request_id IS OLD.request_id
  AND NEW.actor_api_key_id IS OLD.actor_api_key_id AND NEW.actor_api_key_name IS OLD.actor_api_key_name
  AND (NEW.actor_user_id IS OLD.actor_user_id OR NEW.actor_user_id GLOB 'erased-*')
  AND (NEW.target_id IS OLD.target_id OR NEW.target_id GLOB 'erased-*')
  AND (NEW.ip IS OLD.ip OR (NEW.ip IS NULL AND NEW.actor_user_id GLOB 'erased-*'))
  AND (NEW.details IS OLD.details OR NEW.details GLOB '*erased-*')
)
BEGIN SELECT RAISE(ABORT, 'audit_events is append-only: only an erasure may pseudonymise an event'); END;
-- Retention deletes events older than a cutoff that its own transaction writes here first and
-- removes after; without that row (or for newer events) a DELETE is refused.
CREATE TABLE audit_retention_guard (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  cutoff INTEGER NOT NULL
) STRICT;
CREATE TRIGGER audit_events_delete_guard BEFORE DELETE ON audit_events
WHEN OLD.at >= COALESCE((SELECT cutoff FROM audit_retention_guard WHERE id = 1), -9223372036854775807)
BEGIN SELECT RAISE(ABORT, 'audit_events is append-only: only events older than the retention cutoff may be deleted'); END;
CREATE INDEX audit_events_target ON audit_events (target_id, at, id);
`,
  },
  {
    version: 6,
    name: 'charts: the Code Mode runtime a chart runs on',
    sql: `
-- Every chart made before runtimes existed ran on arquero.
ALTER TABLE charts ADD COLUMN runtime TEXT NOT NULL DEFAULT 'arquero' CHECK (runtime IN ('arquero', 'danfo'));
`,
  },
]);

/**
 * Bring the schema to the newest known version. Returns the versions applied now (empty when the
 * database was already current).
 * @throws `STORE_UNAVAILABLE` (reason `schema_too_new`) when the database was migrated by newer
 *   code: running old code against it could corrupt it.
 */
export function migrateSqlite(db: DatabaseSync, migrations: readonly Migration[], now: () => Date): number[] {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) throw new StoreError('STORE_UNAVAILABLE', 'migrations must be numbered 1, 2, 3… without gaps', { reason: 'migrations' });
  });
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL) STRICT');
  db.exec('BEGIN IMMEDIATE');
  try {
    const row = db.prepare('SELECT MAX(version) AS v FROM schema_migrations').get();
    const current = typeof row?.v === 'number' ? row.v : 0;
    if (current > migrations.length) {
      throw new StoreError('STORE_UNAVAILABLE', `database schema version ${current} is newer than this code knows (${migrations.length})`, { reason: 'schema_too_new' });
    }
    const applied: number[] = [];
    const record = db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)');
    for (const m of migrations.slice(current)) {
      db.exec(m.sql);
      record.run(m.version, m.name, now().getTime());
      applied.push(m.version);
    }
    db.exec('COMMIT');
    return applied;
  } catch (error) {
    db.exec('ROLLBACK');
    throw error;
  }
}
