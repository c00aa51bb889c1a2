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
  /** Readiness: resolves if the database answers, else `STORE_UNAVAILABLE`. */
  ping(): Promise<void>;
  /** Release what the adapter opened itself (an injected client is left to its owner). */
  close(): Promise<void>;
}
