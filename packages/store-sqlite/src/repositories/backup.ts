/**
 * Dump and load on SQLite. A dump reads one snapshot: a read transaction on a connection of its
 * own (WAL lets the API keep writing meanwhile, and the snapshot does not move); an in-memory
 * database has no second connection, so its records are read in one go. A load writes in one
 * `BEGIN IMMEDIATE` transaction: all or nothing.
 */
import { DatabaseSync } from 'node:sqlite';
import { assembleBackup, principalKey, withEpochs } from '@plotbox/store';
import type { BackupGrant, BackupRecord, CheckedBackupGrant, CheckedBackupRecord, JsonValue, StoreBackup } from '@plotbox/store';
import { mapSqliteError } from '../errors.ts';
import type { SqliteHandle } from '../handle.ts';
import { bool, num, optNum, optStr, str } from '../rows.ts';
import type { Row } from '../rows.ts';
import { toChart } from './charts.ts';
import { toDataset, toVersion } from './datasets.ts';

const json = (r: Row, k: string): JsonValue => JSON.parse(str(r, k)) as JsonValue;
const opt = <T>(v: T | null, fallback: T): T => (v === null ? fallback : v);

/** The records of one connection, lazily, in dump order. */
function* readRecords(db: DatabaseSync, sessions: boolean): Generator<BackupRecord> {
  const rows = (sql: string, ...params: string[]): Iterable<Row> => db.prepare(sql).iterate(...params) as Iterable<Row>;
  const grantsOf = (table: 'project_grants' | 'dashboard_grants', holder: string, id: string): BackupGrant[] =>
    (db.prepare(`SELECT * FROM ${table} WHERE ${holder} = ? ORDER BY principal_kind, principal_id`).all(id) as Row[]).map((g) => ({
      kind: str(g, 'principal_kind') as BackupGrant['kind'],
      id: str(g, 'principal_id'),
      role: str(g, 'role') as BackupGrant['role'],
      createdAt: num(g, 'created_at'),
      updatedAt: num(g, 'updated_at'),
    }));
  const identities = db.prepare('SELECT issuer, subject, created_at FROM user_identities WHERE user_id = ? ORDER BY created_at, issuer, subject');
  for (const r of rows('SELECT * FROM users ORDER BY created_at, id')) {
    const id = str(r, 'id');
    const secret = optStr(r, 'totp_secret');
    yield {
      type: 'user',
      id,
      email: str(r, 'email'),
      displayName: str(r, 'display_name'),
      passwordHash: str(r, 'password_hash'),
      systemRole: str(r, 'system_role') as 'admin' | 'user' | 'viewer',
      disabled: bool(r, 'disabled'),
      disabledReason: optStr(r, 'disabled_reason'),
      totp: secret === null ? null : { secret, enabled: bool(r, 'totp_enabled'), lastUsedStep: optNum(r, 'totp_last_step') },
      recoveryCodeHashes: JSON.parse(str(r, 'recovery_code_hashes')) as string[],
      createdAt: num(r, 'created_at'),
      updatedAt: num(r, 'updated_at'),
      version: num(r, 'version'),
      // Rows from before these were kept read their last update, as the users repository does.
      passwordChangedAt: opt(optNum(r, 'password_changed_at'), num(r, 'updated_at')),
      lastActiveAt: opt(optNum(r, 'last_active_at'), num(r, 'updated_at')),
      identities: (identities.all(id) as Row[]).map((i) => ({ issuer: str(i, 'issuer'), subject: str(i, 'subject'), createdAt: num(i, 'created_at') })),
    };
  }
  const members = db.prepare('SELECT user_id FROM group_members WHERE group_id = ? ORDER BY user_id');
  for (const r of rows('SELECT * FROM user_groups ORDER BY created_at, id')) {
    const id = str(r, 'id');
    yield { type: 'group', id, name: str(r, 'name'), memberIds: (members.all(id) as Row[]).map((m) => str(m, 'user_id')), createdAt: num(r, 'created_at'), updatedAt: num(r, 'updated_at') };
  }
  for (const r of rows('SELECT * FROM projects ORDER BY created_at, id')) {
    const id = str(r, 'id');
    yield {
      type: 'project',
      id,
      name: str(r, 'name'),
      description: str(r, 'description'),
      createdBy: str(r, 'created_by'),
      createdAt: num(r, 'created_at'),
      updatedAt: num(r, 'updated_at'),
      version: num(r, 'version'),
      grants: grantsOf('project_grants', 'project_id', id),
    };
  }
  for (const r of rows('SELECT * FROM dashboards ORDER BY created_at, id')) {
    const id = str(r, 'id');
    yield {
      type: 'dashboard',
      id,
      projectId: str(r, 'project_id'),
      name: str(r, 'name'),
      layout: json(r, 'layout'),
      createdAt: num(r, 'created_at'),
      updatedAt: num(r, 'updated_at'),
      version: num(r, 'version'),
      grants: grantsOf('dashboard_grants', 'dashboard_id', id),
    };
  }
  for (const r of rows('SELECT * FROM datasets ORDER BY created_at, id')) yield { type: 'dataset', ...withEpochs(toDataset(r)) };
  for (const r of rows('SELECT * FROM dataset_versions ORDER BY created_at, id')) yield { type: 'dataset_version', ...withEpochs(toVersion(r)) };
  for (const r of rows('SELECT * FROM charts ORDER BY created_at, id')) yield { type: 'chart', ...withEpochs(toChart(r)) };
  for (const r of rows('SELECT * FROM api_keys ORDER BY created_at, id')) {
    yield {
      type: 'api_key',
      id: str(r, 'id'),
      userId: str(r, 'user_id'),
      name: str(r, 'name'),
      prefix: str(r, 'prefix'),
      hash: str(r, 'hash'),
      createdAt: num(r, 'created_at'),
      expiresAt: optNum(r, 'expires_at'),
      lastUsedAt: optNum(r, 'last_used_at'),
      revokedAt: optNum(r, 'revoked_at'),
    };
  }
  if (sessions) {
    for (const r of rows('SELECT * FROM sessions ORDER BY created_at, id')) {
      yield {
        type: 'session',
        id: str(r, 'id'),
        userId: str(r, 'user_id'),
        createdAt: num(r, 'created_at'),
        lastSeenAt: num(r, 'last_seen_at'),
        absoluteExpiresAt: num(r, 'absolute_expires_at'),
        idleExpiresAt: num(r, 'idle_expires_at'),
        revokedAt: optNum(r, 'revoked_at'),
        revokeReason: optStr(r, 'revoke_reason'),
        userAgent: optStr(r, 'user_agent'),
        ip: optStr(r, 'ip'),
        mfaPending: bool(r, 'mfa_pending'),
        passwordChangeRequired: bool(r, 'password_change_required'),
      };
    }
    for (const r of rows('SELECT * FROM refresh_tokens ORDER BY created_at, token_hash')) {
      yield {
        type: 'refresh_token',
        tokenHash: str(r, 'token_hash'),
        sessionId: str(r, 'session_id'),
        familyId: str(r, 'family_id'),
        createdAt: num(r, 'created_at'),
        usedAt: optNum(r, 'used_at'),
        expiresAt: num(r, 'expires_at'),
      };
    }
  }
  for (const r of rows('SELECT * FROM audit_events ORDER BY at, id')) {
    const keyId = optStr(r, 'actor_api_key_id');
    const userId = optStr(r, 'actor_user_id');
    const kind = str(r, 'actor_kind') as 'user' | 'api_key' | 'system' | 'anonymous';
    const targetType = optStr(r, 'target_type');
    yield {
      type: 'audit_event',
      id: str(r, 'id'),
      at: num(r, 'at'),
      actor: keyId === null ? { kind, userId } : { kind, userId, apiKey: { id: keyId, name: optStr(r, 'actor_api_key_name') ?? '' } },
      ip: optStr(r, 'ip'),
      action: str(r, 'action'),
      target: targetType === null ? null : { type: targetType, id: optStr(r, 'target_id') },
      outcome: str(r, 'outcome') as 'success' | 'failure' | 'denied',
      requestId: optStr(r, 'request_id'),
      details: json(r, 'details') as { readonly [key: string]: JsonValue },
    };
  }
  // Settings with an expiry (leases, setup links, sign-in flows in progress) are transient.
  for (const r of rows('SELECT * FROM settings WHERE expires_at IS NULL ORDER BY key')) {
    yield { type: 'setting', key: str(r, 'key'), value: json(r, 'value'), updatedAt: num(r, 'updated_at') };
  }
}

async function* dumpSnapshot(db: DatabaseSync, sessions: boolean): AsyncGenerator<BackupRecord> {
  const path = db.location();
  if (path === null || path === '') {
    // In memory: no second connection can see it; read everything before yielding anything.
    yield* [...readRecords(db, sessions)];
    return;
  }
  const reader = new DatabaseSync(path, { readOnly: true });
  try {
    reader.exec('PRAGMA busy_timeout = 5000');
    // The snapshot starts at the first read and holds until the end, whatever others write.
    reader.exec('BEGIN');
    for (const record of readRecords(reader, sessions)) yield record;
    reader.exec('COMMIT');
  } finally {
    reader.close();
  }
}

function insertGrants(h: SqliteHandle, table: 'project_grants' | 'dashboard_grants', holder: 'project_id' | 'dashboard_id', holderId: string, grants: readonly CheckedBackupGrant[]): void {
  for (const g of grants) {
    if (table === 'project_grants') {
      h.run(
        'INSERT INTO project_grants (project_id, principal_kind, principal_id, principal_key, role, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
        holderId,
        g.kind,
        g.id,
        principalKey(g),
        g.role,
        g.createdAt,
        g.updatedAt,
      );
    } else {
      h.run(`INSERT INTO dashboard_grants (${holder}, principal_kind, principal_id, role, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)`, holderId, g.kind, g.id, g.role, g.createdAt, g.updatedAt);
    }
  }
}

/** Write one checked record (inside the load's transaction). */
function write(h: SqliteHandle, r: CheckedBackupRecord): void {
  switch (r.type) {
    case 'user':
      h.run(
        `INSERT INTO users (id, email, email_key, display_name, password_hash, system_role, disabled, disabled_reason, totp_secret, totp_enabled, totp_last_step,
           recovery_code_hashes, created_at, updated_at, version, password_changed_at, last_active_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        r.id,
        r.email,
        r.emailKey,
        r.displayName,
        r.passwordHash,
        r.systemRole,
        r.disabled ? 1 : 0,
        r.disabledReason,
        r.totp?.secret ?? null,
        r.totp?.enabled === true ? 1 : 0,
        r.totp?.lastUsedStep ?? null,
        JSON.stringify(r.recoveryCodeHashes),
        r.createdAt,
        r.updatedAt,
        r.version,
        r.passwordChangedAt,
        r.lastActiveAt,
      );
      for (const i of r.identities) h.run('INSERT INTO user_identities (issuer, subject, user_id, created_at) VALUES (?, ?, ?, ?)', i.issuer, i.subject, r.id, i.createdAt);
      return;
    case 'group':
      h.run('INSERT INTO user_groups (id, name, created_at, updated_at) VALUES (?, ?, ?, ?)', r.id, r.name, r.createdAt, r.updatedAt);
      for (const m of r.memberIds) h.run('INSERT INTO group_members (group_id, user_id) VALUES (?, ?)', r.id, m);
      return;
    case 'project':
      h.run(
        'INSERT INTO projects (id, name, description, created_by, created_at, updated_at, version) VALUES (?, ?, ?, ?, ?, ?, ?)',
        r.id,
        r.name,
        r.description,
        r.createdBy,
        r.createdAt,
        r.updatedAt,
        r.version,
      );
      insertGrants(h, 'project_grants', 'project_id', r.id, r.grants);
      return;
    case 'dashboard':
      h.run(
        'INSERT INTO dashboards (id, project_id, name, layout, created_at, updated_at, version) VALUES (?, ?, ?, ?, ?, ?, ?)',
        r.id,
        r.projectId,
        r.name,
        r.layout,
        r.createdAt,
        r.updatedAt,
        r.version,
      );
      insertGrants(h, 'dashboard_grants', 'dashboard_id', r.id, r.grants);
      return;
    case 'dataset':
      h.run(
        'INSERT INTO datasets (id, project_id, name, current_version_id, created_at, updated_at, version) VALUES (?, ?, ?, ?, ?, ?, ?)',
        r.id,
        r.projectId,
        r.name,
        r.currentVersionId,
        r.createdAt,
        r.updatedAt,
        r.version,
      );
      return;
    case 'dataset_version':
      h.run(
        'INSERT INTO dataset_versions (id, dataset_id, sha256, blob_key, bytes, row_count, schema_json, profile_json, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
        r.id,
        r.datasetId,
        r.sha256,
        r.blobKey,
        r.bytes,
        r.rowCount,
        r.schema,
        r.profile,
        r.createdAt,
        r.createdBy,
      );
      return;
    case 'chart':
      h.run(
        'INSERT INTO charts (id, project_id, dashboard_id, title, code, lang, runtime, dataset_id, diagnostics, code_hash, created_at, updated_at, version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
        r.id,
        r.projectId,
        r.dashboardId,
        r.title,
        r.code,
        r.lang,
        r.runtime,
        r.datasetId,
        r.diagnostics,
        r.codeHash,
        r.createdAt,
        r.updatedAt,
        r.version,
      );
      return;
    case 'api_key':
      h.run(
        'INSERT INTO api_keys (id, user_id, name, prefix, hash, created_at, expires_at, last_used_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
        r.id,
        r.userId,
        r.name,
        r.prefix,
        r.hash,
        r.createdAt,
        r.expiresAt,
        r.lastUsedAt,
        r.revokedAt,
      );
      return;
    case 'session':
      h.run(
        `INSERT INTO sessions (id, user_id, created_at, last_seen_at, absolute_expires_at, idle_expires_at, revoked_at, revoke_reason, user_agent, ip, mfa_pending, password_change_required)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        r.id,
        r.userId,
        r.createdAt,
        r.lastSeenAt,
        r.absoluteExpiresAt,
        r.idleExpiresAt,
        r.revokedAt,
        r.revokeReason,
        r.userAgent,
        r.ip,
        r.mfaPending ? 1 : 0,
        r.passwordChangeRequired ? 1 : 0,
      );
      return;
    case 'refresh_token':
      h.run(
        'INSERT INTO refresh_tokens (token_hash, session_id, family_id, created_at, used_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)',
        r.tokenHash,
        r.sessionId,
        r.familyId,
        r.createdAt,
        r.usedAt,
        r.expiresAt,
      );
      return;
    case 'audit_event':
      h.run(
        `INSERT INTO audit_events (id, at, actor_kind, actor_user_id, actor_api_key_id, actor_api_key_name, ip, action, target_type, target_id, outcome, request_id, details)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        r.id,
        r.at,
        r.actorKind,
        r.actorUserId,
        r.actorApiKey?.id ?? null,
        r.actorApiKey?.name ?? null,
        r.ip,
        r.action,
        r.target?.type ?? null,
        r.target?.id ?? null,
        r.outcome,
        r.requestId,
        r.details,
      );
      return;
    case 'setting':
      // A fresh start of the API may have written the same key (sandbox.info): the archive's wins.
      h.run(
        'INSERT INTO settings (key, value, updated_at, expires_at) VALUES (?, ?, ?, NULL) ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at, expires_at = NULL',
        r.key,
        r.value,
        r.updatedAt,
      );
      return;
  }
}

export function createBackup(h: SqliteHandle, db: DatabaseSync): StoreBackup {
  return assembleBackup({
    // Grouped writes (audit rows, rate-limit hits) called before commit first.
    dump: ({ sessions }) => {
      h.commitGrouped();
      return dumpSnapshot(db, sessions);
    },
    isEmpty: () => {
      h.commitGrouped();
      return Promise.resolve(
        h.one(
          `SELECT EXISTS (SELECT 1 FROM users) OR EXISTS (SELECT 1 FROM user_groups) OR EXISTS (SELECT 1 FROM projects) OR EXISTS (SELECT 1 FROM datasets)
             OR EXISTS (SELECT 1 FROM api_keys) OR EXISTS (SELECT 1 FROM sessions) OR EXISTS (SELECT 1 FROM audit_events) AS used`,
        )?.used === 0,
      );
    },
    begin: () => {
      h.commitGrouped();
      db.exec('BEGIN IMMEDIATE');
      return Promise.resolve();
    },
    write: (record) => {
      write(h, record);
      return Promise.resolve();
    },
    commit: () => {
      db.exec('COMMIT');
      return Promise.resolve();
    },
    rollback: () => {
      if (db.isTransaction) db.exec('ROLLBACK');
      return Promise.resolve();
    },
    mapError: mapSqliteError,
    assertOpen: () => h.assertOpen(),
  });
}
