/**
 * The MongoDB store over an injected `Db`. Works on a standalone server (no transactions needed):
 * invariants that span records are kept by single-document atomic updates — conditional updates
 * (`usedAt: null`, `version: n`) and compare-and-set on a revision field with retry.
 *
 * Operator injection: every filter and update is built from what the shared input checks of
 * `@plotbox/store` return (strings, numbers, booleans, Dates, null): each repository is assembled
 * from them (`assembleRepository`), so nothing a caller passes is spread into a query. JSON-valued
 * fields are stored as strings, and aggregation-pipeline updates only ever embed Dates and numbers.
 *
 * This file checks the options, creates the indexes and assembles the repositories; each repository
 * lives in `repositories/`, built from the handle (`handle.ts`).
 */
import type { Db } from 'mongodb';
import { StoreError, checkRenderCacheOptions } from '@plotbox/store';
import type { Store, StoreDeps } from '@plotbox/store';
import { mapMongoError } from './errors.ts';
import { createMongoHandle } from './handle.ts';
import { ensureIndexes } from './indexes.ts';
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

export { mapMongoError } from './errors.ts';

/** Options of {@link createMongoStore}. */
export interface MongoStoreOptions extends StoreDeps {
  /** A database of a connected client; the store never closes the client. */
  readonly db: Db;
  /** Create the indexes at start (default `true`; turn off only where a migration job does it). */
  readonly ensureIndexes?: boolean;
  /** Render cache bounds. Defaults: 7 days, 10,000 entries. */
  readonly renderCache?: { readonly ttlMs?: number; readonly maxEntries?: number };
}

/**
 * Build the store over `options.db`, creating indexes first unless told not to.
 * @throws `STORE_INVALID` for bad options, `STORE_UNAVAILABLE` if the indexes cannot be created.
 */
export async function createMongoStore(options: MongoStoreOptions): Promise<Store> {
  if (typeof options !== 'object' || options === null) throw new StoreError('STORE_INVALID', 'options are required', { reason: 'options' });
  if (typeof options.now !== 'function' || typeof options.newId !== 'function') {
    throw new StoreError('STORE_INVALID', 'now and newId must be functions', { reason: 'options' });
  }
  if (typeof options.db !== 'object' || options.db === null || typeof options.db.collection !== 'function') {
    throw new StoreError('STORE_INVALID', 'db must be a mongodb Db', { reason: 'options' });
  }
  const cacheBounds = checkRenderCacheOptions(options.renderCache);
  const db = options.db;
  if (options.ensureIndexes !== false) {
    try {
      await ensureIndexes(db);
    } catch (error) {
      throw mapMongoError(error);
    }
  }
  const h = createMongoHandle(db, { now: options.now, newId: options.newId });

  return {
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
    backup: createBackup(h),
    // Each read is its own round trip; there is nothing to share.
    readTogether: (reads) => reads(),
    ping: () =>
      h.op(async () => {
        await db.command({ ping: 1 });
      }),
    close: () => {
      h.close();
      return Promise.resolve();
    },
  };
}
