/**
 * The embedded default store over `node:sqlite`. Every operation is synchronous underneath (one
 * connection, no interleaving inside a call); multi-record changes run in `BEGIN IMMEDIATE`
 * transactions, so a process killed mid-change leaves the previous state. Other processes may
 * share the file (WAL + busy timeout), e.g. the `plotbox` CLI next to the API.
 *
 * This file opens the database, migrates it and assembles the repositories; each repository lives
 * in `repositories/`, built from the handle (`handle.ts`).
 */
import { DatabaseSync } from 'node:sqlite';
import { StoreError, assertInt, assertString, checkRenderCacheOptions } from '@plotbox/store';
import type { Store, StoreDeps } from '@plotbox/store';
import { mapSqliteError } from './errors.ts';
import { createSqliteHandle } from './handle.ts';
import { SQLITE_MIGRATIONS, migrateSqlite } from './migrations.ts';
import type { Migration } from './migrations.ts';
import { createApiKeysRepository } from './repositories/api-keys.ts';
import { createAuditLog } from './repositories/audit.ts';
import { createBackup } from './repositories/backup.ts';
import { createChartsRepository } from './repositories/charts.ts';
import { createCountersRepository } from './repositories/counters.ts';
import { createDashboardsRepository } from './repositories/dashboards.ts';
import { createDatasetsRepository } from './repositories/datasets.ts';
import { createGroupsRepository } from './repositories/groups.ts';
import { createProjectsRepository } from './repositories/projects.ts';
import { createRenderCacheRepository } from './repositories/render-cache.ts';
import { createSessionsRepository } from './repositories/sessions.ts';
import { createSettingsRepository } from './repositories/settings.ts';
import { createUsersRepository } from './repositories/users.ts';

/** Options of {@link createSqliteStore}: exactly one of `path` and `database`. */
export interface SqliteStoreOptions extends StoreDeps {
  /** A database file (created if missing) or `':memory:'`. The store closes what it opened. */
  readonly path?: string;
  /** An open connection built by the caller; `close()` leaves it open. */
  readonly database?: DatabaseSync;
  /** How long a writer waits for another process's lock. Default 5000 ms. */
  readonly busyTimeoutMs?: number;
  /** Render cache bounds. Defaults: 7 days, 10,000 entries. */
  readonly renderCache?: { readonly ttlMs?: number; readonly maxEntries?: number };
  /** Override the migration list (tests of the migration runner). */
  readonly migrations?: readonly Migration[];
}

/** A {@link Store} on SQLite, plus what its start did. */
export interface SqliteStore extends Store {
  /** Migration versions applied when this store started (empty if the schema was current). */
  readonly appliedMigrations: readonly number[];
}

/**
 * Open (or adopt) a SQLite database, apply pending migrations and return the store.
 * @throws `STORE_INVALID` for bad options, `STORE_UNAVAILABLE` (`schema_too_new`) when the file
 *   was migrated by newer code.
 */
export function createSqliteStore(options: SqliteStoreOptions): SqliteStore {
  if (typeof options !== 'object' || options === null) throw new StoreError('STORE_INVALID', 'options are required', { reason: 'options' });
  if (typeof options.now !== 'function' || typeof options.newId !== 'function') {
    throw new StoreError('STORE_INVALID', 'now and newId must be functions', { reason: 'options' });
  }
  if ((options.path === undefined) === (options.database === undefined)) {
    throw new StoreError('STORE_INVALID', 'give exactly one of path and database', { reason: 'options' });
  }
  if (options.database !== undefined && !(options.database instanceof DatabaseSync)) {
    throw new StoreError('STORE_INVALID', 'database must be a node:sqlite DatabaseSync', { reason: 'options' });
  }
  const busyTimeoutMs = options.busyTimeoutMs === undefined ? 5000 : assertInt(options.busyTimeoutMs, 'busyTimeoutMs', 0, 600_000);
  const cacheBounds = checkRenderCacheOptions(options.renderCache);
  const ownsDb = options.database === undefined;
  const db = options.database ?? new DatabaseSync(assertString(options.path, 'path', 4096, 1));
  const h = createSqliteHandle(db, { now: options.now, newId: options.newId });

  let appliedMigrations: number[];
  try {
    db.exec(`PRAGMA busy_timeout = ${busyTimeoutMs}`);
    db.exec('PRAGMA foreign_keys = ON');
    db.exec('PRAGMA journal_mode = WAL');
    db.exec('PRAGMA synchronous = NORMAL');
    appliedMigrations = migrateSqlite(db, options.migrations ?? SQLITE_MIGRATIONS, () => new Date(h.nowMs()));
  } catch (error) {
    if (ownsDb) db.close();
    throw mapSqliteError(error);
  }

  return {
    appliedMigrations,
    users: createUsersRepository(h),
    sessions: createSessionsRepository(h),
    apiKeys: createApiKeysRepository(h),
    groups: createGroupsRepository(h),
    projects: createProjectsRepository(h),
    dashboards: createDashboardsRepository(h),
    charts: createChartsRepository(h),
    datasets: createDatasetsRepository(h),
    renderCache: createRenderCacheRepository(h, cacheBounds),
    audit: createAuditLog(h),
    counters: createCountersRepository(h),
    settings: createSettingsRepository(h),
    backup: createBackup(h, db),
    // The repositories' operations run their statements synchronously when called, so the ones
    // `reads` starts all run inside this one read transaction.
    readTogether: (reads) => h.readTx(reads),
    ping: () =>
      h.op(() => {
        h.one('SELECT 1 AS x');
      }),
    close: () => {
      if (!h.close()) return Promise.resolve();
      try {
        if (ownsDb) db.close();
        return Promise.resolve();
      } catch (error) {
        return Promise.reject(mapSqliteError(error));
      }
    },
  };
}
