/**
 * What every repository of the MongoDB store is built from: the collections, the operation runner,
 * the clock and the id generator.
 */
import type { Collection, Db } from 'mongodb';
import { StoreError, assertId } from '@plotbox/store';
import type { RunOperation, StoreDeps } from '@plotbox/store';
import type {
  ApiKeyDoc,
  AuditDoc,
  ChartDoc,
  DashboardDoc,
  DatasetDoc,
  DatasetVersionDoc,
  GroupDoc,
  LoginFailureDoc,
  ProjectDoc,
  RateWindowDoc,
  RefreshTokenDoc,
  RenderCacheDoc,
  SessionDoc,
  SettingDoc,
  UserDoc,
} from './documents.ts';
import { mapMongoError } from './errors.ts';
import { COLLECTIONS } from './indexes.ts';

/** Every collection, typed by its documents. */
export interface MongoCollections {
  readonly users: Collection<UserDoc>;
  readonly sessions: Collection<SessionDoc>;
  readonly refreshTokens: Collection<RefreshTokenDoc>;
  readonly apiKeys: Collection<ApiKeyDoc>;
  readonly groups: Collection<GroupDoc>;
  readonly projects: Collection<ProjectDoc>;
  readonly dashboards: Collection<DashboardDoc>;
  readonly charts: Collection<ChartDoc>;
  readonly datasets: Collection<DatasetDoc>;
  readonly datasetVersions: Collection<DatasetVersionDoc>;
  readonly renderCache: Collection<RenderCacheDoc>;
  readonly audit: Collection<AuditDoc>;
  readonly rateWindows: Collection<RateWindowDoc>;
  readonly loginFailures: Collection<LoginFailureDoc>;
  readonly settings: Collection<SettingDoc>;
}

export interface MongoHandle {
  readonly db: Db;
  readonly c: MongoCollections;
  /** One store operation: refused after `close()`, driver errors mapped. */
  readonly op: RunOperation;
  /** The injected clock, checked (a fresh `Date`). */
  now(): Date;
  /** The injected id generator, checked. */
  newId(): string;
  /** Refuse further operations (the client is the caller's). */
  close(): void;
  /** @throws `STORE_UNAVAILABLE` `closed` after {@link close}. */
  assertOpen(): void;
}

export function createMongoHandle(db: Db, deps: StoreDeps): MongoHandle {
  let closed = false;
  return {
    db,
    c: {
      users: db.collection<UserDoc>(COLLECTIONS.users),
      sessions: db.collection<SessionDoc>(COLLECTIONS.sessions),
      refreshTokens: db.collection<RefreshTokenDoc>(COLLECTIONS.refreshTokens),
      apiKeys: db.collection<ApiKeyDoc>(COLLECTIONS.apiKeys),
      groups: db.collection<GroupDoc>(COLLECTIONS.groups),
      projects: db.collection<ProjectDoc>(COLLECTIONS.projects),
      dashboards: db.collection<DashboardDoc>(COLLECTIONS.dashboards),
      charts: db.collection<ChartDoc>(COLLECTIONS.charts),
      datasets: db.collection<DatasetDoc>(COLLECTIONS.datasets),
      datasetVersions: db.collection<DatasetVersionDoc>(COLLECTIONS.datasetVersions),
      renderCache: db.collection<RenderCacheDoc>(COLLECTIONS.renderCache),
      audit: db.collection<AuditDoc>(COLLECTIONS.audit),
      rateWindows: db.collection<RateWindowDoc>(COLLECTIONS.rateWindows),
      loginFailures: db.collection<LoginFailureDoc>(COLLECTIONS.loginFailures),
      settings: db.collection<SettingDoc>(COLLECTIONS.settings),
    },
    op: async <T>(fn: () => T | Promise<T>): Promise<T> => {
      if (closed) throw new StoreError('STORE_UNAVAILABLE', 'store is closed', { reason: 'closed' });
      try {
        return await fn();
      } catch (error) {
        throw mapMongoError(error);
      }
    },
    now: () => {
      const d = deps.now();
      if (!(d instanceof Date) || !Number.isFinite(d.getTime())) throw new StoreError('STORE_INVALID', 'now() must return a valid Date', { reason: 'now' });
      return new Date(d.getTime());
    },
    newId: () => assertId(deps.newId(), 'newId()'),
    close: () => {
      closed = true;
    },
    assertOpen: () => {
      if (closed) throw new StoreError('STORE_UNAVAILABLE', 'store is closed', { reason: 'closed' });
    },
  };
}
