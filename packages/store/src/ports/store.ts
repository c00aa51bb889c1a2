/** The store: every repository, readiness and close. */
import type { UserRepository } from './users.ts';
import type { SessionRepository } from './sessions.ts';
import type { ApiKeyRepository } from './api-keys.ts';
import type { GroupRepository } from './groups.ts';
import type { ProjectRepository } from './projects.ts';
import type { DashboardRepository } from './dashboards.ts';
import type { ChartRepository } from './charts.ts';
import type { DatasetRepository } from './datasets.ts';
import type { RenderCacheRepository } from './render-cache.ts';
import type { AuditLog } from './audit.ts';
import type { CounterRepository } from './counters.ts';
import type { SettingsRepository } from './settings.ts';
import type { StoreBackup } from './backup.ts';

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
  /** Dump and load the whole store (backup, restore, migration between adapters). */
  readonly backup: StoreBackup;
  /**
   * Run `reads`, which must only start read operations of this store (synchronously, before it
   * returns; what it awaits runs outside), and return what it returns. An adapter may run the
   * operations it starts together: SQLite runs them in one read transaction (one lock and one
   * snapshot instead of one per statement: ~7% of the API's CPU on a cached render, issue 16);
   * MongoDB simply calls `reads`. The results are what the operations would give on their own.
   */
  readTogether<T>(reads: () => T): T;
  /** Readiness: resolves if the database answers, else `STORE_UNAVAILABLE`. */
  ping(): Promise<void>;
  /** Release what the adapter opened itself (an injected client is left to its owner). */
  close(): Promise<void>;
}
