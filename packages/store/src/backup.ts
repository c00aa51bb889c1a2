/**
 * How an adapter builds its {@link StoreBackup}: the adapter supplies the dump, the emptiness test
 * and the writes (inside its own all-or-nothing bracket); the checks and the references between
 * records are handled here, once, so both adapters load exactly the same archives the same way.
 */
import { conflict, invalid, isStoreError, StoreError } from './store-error.ts';
import { BACKUP_RECORD_TYPES } from './ports.ts';
import type { BackupDumpOptions, BackupLoadResult, BackupRecord, BackupRecordType, StoreBackup } from './ports.ts';
import { checkBackupRecord } from './inputs/backup.ts';
import type { CheckedBackupGrant, CheckedBackupRecord } from './inputs/backup.ts';

/** What an adapter provides to {@link assembleBackup}. */
export interface BackupBody {
  dump(options: { readonly sessions: boolean }): AsyncIterable<BackupRecord>;
  isEmpty(): Promise<boolean>;
  /** Start the all-or-nothing write (SQLite: a transaction; MongoDB: nothing yet). */
  begin(): Promise<void>;
  /** Write one checked record whose references are all to records written before it. */
  write(record: CheckedBackupRecord): Promise<void>;
  /** Make everything written since {@link begin} permanent. */
  commit(): Promise<void>;
  /** Undo everything written since {@link begin} (MongoDB: delete what was written: the store was empty). */
  rollback(): Promise<void>;
  /** The adapter's driver-error mapping (`StoreError`s pass through). */
  mapError(error: unknown): unknown;
  /** Refused after close: throws `STORE_UNAVAILABLE` `closed`. */
  assertOpen(): void;
}

const zeroCounts = (): Record<BackupRecordType, number> => Object.fromEntries(BACKUP_RECORD_TYPES.map((t) => [t, 0])) as Record<BackupRecordType, number>;

/**
 * Keeps what a load has seen, so that each record's references can be checked against records
 * loaded before it, the way the adapters' foreign keys would (and MongoDB has none).
 */
class References {
  readonly users = new Set<string>();
  readonly groups = new Set<string>();
  readonly projects = new Set<string>();
  /** Dashboard id → project id. */
  readonly dashboards = new Map<string, string>();
  /** Dataset id → its project and the version it says is current. */
  readonly datasets = new Map<string, { readonly projectId: string; readonly currentVersionId: string | null }>();
  /** Version id → dataset id. */
  readonly versions = new Map<string, string>();
  readonly sessions = new Set<string>();
  readonly dropped: Record<string, number> = {};

  drop(what: string, n = 1): void {
    if (n > 0) this.dropped[what] = (this.dropped[what] ?? 0) + n;
  }

  /** Grants of principals the load has seen (a principal not in the dump is gone: its grants go too). */
  grants(grants: readonly CheckedBackupGrant[], what: string): CheckedBackupGrant[] {
    const kept = grants.filter((g) => (g.kind === 'user' ? this.users : this.groups).has(g.id));
    this.drop(what, grants.length - kept.length);
    return kept;
  }

  /** The record as it may be written, `null` to leave it out, or throws for a contradiction. */
  resolve(r: CheckedBackupRecord): CheckedBackupRecord | null {
    switch (r.type) {
      case 'user':
        this.unique(this.users, r.id, 'user');
        return r;
      case 'group': {
        this.unique(this.groups, r.id, 'group');
        const memberIds = r.memberIds.filter((id) => this.users.has(id));
        this.drop('group.memberIds', r.memberIds.length - memberIds.length);
        return { ...r, memberIds };
      }
      case 'project':
        this.unique(this.projects, r.id, 'project');
        return { ...r, grants: this.grants(r.grants, 'project.grants') };
      case 'dashboard':
        if (!this.projects.has(r.projectId)) return this.skip('dashboard');
        if (this.dashboards.has(r.id)) throw invalid('dashboard.id', 'appears twice');
        this.dashboards.set(r.id, r.projectId);
        return { ...r, grants: this.grants(r.grants, 'dashboard.grants') };
      case 'dataset':
        if (!this.projects.has(r.projectId)) return this.skip('dataset');
        if (this.datasets.has(r.id)) throw invalid('dataset.id', 'appears twice');
        this.datasets.set(r.id, { projectId: r.projectId, currentVersionId: r.currentVersionId });
        return r;
      case 'dataset_version':
        if (!this.datasets.has(r.datasetId)) return this.skip('dataset_version');
        if (this.versions.has(r.id)) throw invalid('dataset_version.id', 'appears twice');
        this.versions.set(r.id, r.datasetId);
        return r;
      case 'chart': {
        const projectId = this.dashboards.get(r.dashboardId);
        if (projectId === undefined) return this.skip('chart');
        if (projectId !== r.projectId) throw invalid('chart.projectId', "must be its dashboard's project");
        if (r.datasetId !== null && this.datasets.get(r.datasetId)?.projectId !== r.projectId) {
          // Like a dataset deleted after the chart was made: the chart stays, without a dataset.
          this.drop('chart.datasetId');
          return { ...r, datasetId: null };
        }
        return r;
      }
      case 'api_key':
        return this.users.has(r.userId) ? r : this.skip('api_key');
      case 'session':
        if (!this.users.has(r.userId)) return this.skip('session');
        this.unique(this.sessions, r.id, 'session');
        return r;
      case 'refresh_token':
        return this.sessions.has(r.sessionId) ? r : this.skip('refresh_token');
      case 'audit_event':
      case 'setting':
        return r;
    }
  }

  /** After the last record: every dataset's current version is one of its own versions. */
  finish(): void {
    for (const [id, d] of this.datasets) {
      if (d.currentVersionId !== null && this.versions.get(d.currentVersionId) !== id) {
        throw invalid('dataset.currentVersionId', `dataset ${id.slice(0, 64)} names a current version that is not one of its versions`);
      }
    }
  }

  private unique(set: Set<string>, id: string, type: string): void {
    if (set.has(id)) throw invalid(`${type}.id`, 'appears twice');
    set.add(id);
  }

  private skip(type: string): null {
    this.drop(type);
    return null;
  }
}

/**
 * Build the adapter's {@link StoreBackup} from its {@link BackupBody}: `load` refuses a store that
 * is not empty, checks every record ({@link checkBackupRecord}) and its references, and writes
 * inside the adapter's bracket, rolling back on any failure.
 */
export function assembleBackup(body: BackupBody): StoreBackup {
  const guarded = async <T>(fn: () => Promise<T>): Promise<T> => {
    try {
      body.assertOpen();
      return await fn();
    } catch (error) {
      throw isStoreError(error) ? error : body.mapError(error);
    }
  };
  return {
    dump(options: BackupDumpOptions = {}): AsyncIterable<BackupRecord> {
      if (typeof options !== 'object' || options === null) throw invalid('options', 'must be an object');
      const sessions = options.sessions === undefined ? false : options.sessions;
      if (typeof sessions !== 'boolean') throw invalid('options.sessions', 'must be a boolean');
      return {
        [Symbol.asyncIterator]: () => {
          body.assertOpen();
          const inner = body.dump({ sessions })[Symbol.asyncIterator]();
          const step = async (fn: () => Promise<IteratorResult<BackupRecord>>): Promise<IteratorResult<BackupRecord>> => {
            try {
              return await fn();
            } catch (error) {
              throw isStoreError(error) ? error : body.mapError(error);
            }
          };
          return {
            next: () => step(() => inner.next()),
            return: (value?: unknown) => step(() => inner.return?.(value) ?? Promise.resolve({ done: true, value: undefined })),
          };
        },
      };
    },
    isEmpty: () => guarded(() => body.isEmpty()),
    load: (records) =>
      guarded(async () => {
        if (records === null || typeof records !== 'object' || (!(Symbol.asyncIterator in records) && !(Symbol.iterator in records))) {
          throw invalid('records', 'must be an iterable');
        }
        if (!(await body.isEmpty())) throw conflict('not_empty');
        const refs = new References();
        const loaded = zeroCounts();
        await body.begin();
        try {
          for await (const raw of records) {
            const checked = checkBackupRecord(raw, (datasetId) => refs.datasets.get(datasetId)?.projectId);
            const record = refs.resolve(checked);
            if (record === null) continue;
            await body.write(record);
            loaded[record.type] += 1;
          }
          refs.finish();
          await body.commit();
        } catch (error) {
          try {
            await body.rollback();
          } catch (rollbackError) {
            throw new StoreError('STORE_UNAVAILABLE', 'the load failed and could not be undone: empty the store before loading again', { reason: 'database', cause: rollbackError });
          }
          throw error;
        }
        return { loaded, dropped: refs.dropped } satisfies BackupLoadResult;
      }),
  };
}
