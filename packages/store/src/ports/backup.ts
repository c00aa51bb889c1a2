/**
 * Backup and restore: every record of the store as plain, JSON-safe data that does not depend on
 * the adapter (times are epoch milliseconds, JSON-valued fields are JSON values), so a dump of one
 * adapter loads into the other. This is the store's half of `plotbox backup` / `plotbox restore`
 * and of the SQLite → MongoDB migration.
 */
import type { JsonValue } from './common.ts';
import type { ActorKind, AuditOutcome } from './audit.ts';
import type { ChartLang, ChartRuntime } from './charts.ts';
import type { PrincipalKind, ProjectRole } from './projects.ts';
import type { SystemRole } from './users.ts';

/** The record types, in the order a dump yields them: every record comes after what it refers to. */
export const BACKUP_RECORD_TYPES = ['user', 'group', 'project', 'dashboard', 'dataset', 'dataset_version', 'chart', 'api_key', 'session', 'refresh_token', 'audit_event', 'setting'] as const;
export type BackupRecordType = (typeof BACKUP_RECORD_TYPES)[number];

/** A grant as a backup record carries it. */
export interface BackupGrant {
  readonly kind: PrincipalKind;
  readonly id: string;
  readonly role: ProjectRole;
  readonly createdAt: number;
  readonly updatedAt: number;
}

export interface BackupUser {
  readonly type: 'user';
  readonly id: string;
  readonly email: string;
  readonly displayName: string;
  readonly passwordHash: string;
  readonly systemRole: SystemRole;
  readonly disabled: boolean;
  readonly disabledReason: string | null;
  /** As stored: a TOTP secret stays sealed under the secrets key (which is never in a backup). */
  readonly totp: { readonly secret: string; readonly enabled: boolean; readonly lastUsedStep: number | null } | null;
  readonly recoveryCodeHashes: readonly string[];
  readonly createdAt: number;
  readonly updatedAt: number;
  readonly version: number;
  readonly passwordChangedAt: number;
  readonly lastActiveAt: number;
  readonly identities: readonly { readonly issuer: string; readonly subject: string; readonly createdAt: number }[];
}

export interface BackupGroup {
  readonly type: 'group';
  readonly id: string;
  readonly name: string;
  readonly memberIds: readonly string[];
  readonly createdAt: number;
  readonly updatedAt: number;
}

export interface BackupProject {
  readonly type: 'project';
  readonly id: string;
  readonly name: string;
  readonly description: string;
  readonly createdBy: string;
  readonly createdAt: number;
  readonly updatedAt: number;
  readonly version: number;
  readonly grants: readonly BackupGrant[];
}

export interface BackupDashboard {
  readonly type: 'dashboard';
  readonly id: string;
  readonly projectId: string;
  readonly name: string;
  readonly layout: JsonValue;
  readonly createdAt: number;
  readonly updatedAt: number;
  readonly version: number;
  readonly grants: readonly BackupGrant[];
}

export interface BackupDataset {
  readonly type: 'dataset';
  readonly id: string;
  readonly projectId: string;
  readonly name: string;
  readonly currentVersionId: string | null;
  readonly createdAt: number;
  readonly updatedAt: number;
  readonly version: number;
}

export interface BackupDatasetVersion {
  readonly type: 'dataset_version';
  readonly id: string;
  readonly datasetId: string;
  readonly sha256: string;
  readonly blobKey: string;
  readonly bytes: number;
  readonly rowCount: number;
  readonly schema: JsonValue;
  readonly profile: JsonValue;
  readonly createdAt: number;
  readonly createdBy: string;
}

export interface BackupChart {
  readonly type: 'chart';
  readonly id: string;
  readonly projectId: string;
  readonly dashboardId: string;
  readonly title: string;
  readonly code: string;
  readonly lang: ChartLang;
  readonly runtime: ChartRuntime;
  readonly datasetId: string | null;
  readonly diagnostics: JsonValue;
  readonly codeHash: string;
  readonly createdAt: number;
  readonly updatedAt: number;
  readonly version: number;
}

export interface BackupApiKey {
  readonly type: 'api_key';
  readonly id: string;
  readonly userId: string;
  readonly name: string;
  readonly prefix: string;
  readonly hash: string;
  readonly createdAt: number;
  readonly expiresAt: number | null;
  readonly lastUsedAt: number | null;
  readonly revokedAt: number | null;
}

export interface BackupSession {
  readonly type: 'session';
  readonly id: string;
  readonly userId: string;
  readonly createdAt: number;
  readonly lastSeenAt: number;
  readonly absoluteExpiresAt: number;
  readonly idleExpiresAt: number;
  readonly revokedAt: number | null;
  readonly revokeReason: string | null;
  readonly userAgent: string | null;
  readonly ip: string | null;
  readonly mfaPending: boolean;
  readonly passwordChangeRequired: boolean;
}

export interface BackupRefreshToken {
  readonly type: 'refresh_token';
  readonly tokenHash: string;
  readonly sessionId: string;
  readonly familyId: string;
  readonly createdAt: number;
  readonly usedAt: number | null;
  readonly expiresAt: number;
}

export interface BackupAuditEvent {
  readonly type: 'audit_event';
  readonly id: string;
  readonly at: number;
  readonly actor: { readonly kind: ActorKind; readonly userId: string | null; readonly apiKey?: { readonly id: string; readonly name: string } };
  readonly ip: string | null;
  readonly action: string;
  readonly target: { readonly type: string; readonly id: string | null } | null;
  readonly outcome: AuditOutcome;
  readonly requestId: string | null;
  readonly details: { readonly [key: string]: JsonValue };
}

export interface BackupSetting {
  readonly type: 'setting';
  readonly key: string;
  readonly value: JsonValue;
  readonly updatedAt: number;
}

/** One record of a dump. */
export type BackupRecord =
  | BackupUser
  | BackupGroup
  | BackupProject
  | BackupDashboard
  | BackupDataset
  | BackupDatasetVersion
  | BackupChart
  | BackupApiKey
  | BackupSession
  | BackupRefreshToken
  | BackupAuditEvent
  | BackupSetting;

/** Options of {@link StoreBackup.dump}. */
export interface BackupDumpOptions {
  /**
   * Include sessions and refresh tokens (hashes), so that the people signed in to the old instance
   * stay signed in to the restored one. Default `false`: everyone signs in again.
   */
  readonly sessions?: boolean;
}

/** What {@link StoreBackup.load} wrote, and what it left out because what it refers to was not in the dump. */
export interface BackupLoadResult {
  readonly loaded: Readonly<Record<BackupRecordType, number>>;
  /**
   * Records or references dropped because their parent was missing from the dump (possible only
   * for a dump taken without a snapshot, i.e. MongoDB under write load): `chart.datasetId` (set to
   * `null`, as when a dataset is deleted), grants and group memberships of principals not in the
   * dump, and records whose parent is not in it (by record type).
   */
  readonly dropped: Readonly<Record<string, number>>;
}

/**
 * Dump and load the whole store. Render-cache entries, counters (rate windows, login failures) and
 * settings with an expiry (leases, one-time setup links, sign-in flows in progress) are not part
 * of a dump: they are rebuilt or expire by themselves.
 */
export interface StoreBackup {
  /**
   * Every record, parents before children (in {@link BACKUP_RECORD_TYPES} order), read while the
   * store keeps serving: SQLite reads one snapshot (a read transaction on its own connection);
   * MongoDB, without multi-document snapshots on a standalone server, reads collection by
   * collection (each record is as it was when read; see {@link BackupLoadResult.dropped}).
   */
  dump(options?: BackupDumpOptions): AsyncIterable<BackupRecord>;
  /** `true` when the store holds no user, group, project, dataset, key, session or audit event. */
  isEmpty(): Promise<boolean>;
  /**
   * Write records (as {@link dump} yields them, e.g. parsed back from JSON) into an EMPTY store with
   * their ids, versions and timestamps exactly as given. Every record is checked as strictly as any
   * other store input. All or nothing: on any failure (a malformed record, a constraint, the
   * source throwing) nothing stays written.
   * @throws `STORE_CONFLICT` `not_empty` (nothing is written), `STORE_INVALID` naming the field.
   */
  load(records: AsyncIterable<unknown> | Iterable<unknown>): Promise<BackupLoadResult>;
}
