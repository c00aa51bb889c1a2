/** The users repository on SQLite: `users` and `user_identities`. */
import { USER_INPUTS, assembleRepository, byCreatedAt, conflict, likeLiteral, notFound, principalKey } from '@plotbox/store';
import type { CheckedUserPatch, ErasureResult, HeldGrants, ProjectRole, SystemRole, User, UserRepository } from '@plotbox/store';
import type { SqliteHandle } from '../handle.ts';
import { exists, paged, versionedUpdate } from '../queries.ts';
import { bool, date, num, optDate, optNum, optStr, str } from '../rows.ts';
import type { Row } from '../rows.ts';

const USER = 'SELECT * FROM users';

export function toUser(r: Row): User {
  const secret = optStr(r, 'totp_secret');
  return {
    id: str(r, 'id'),
    email: str(r, 'email'),
    displayName: str(r, 'display_name'),
    passwordHash: str(r, 'password_hash'),
    systemRole: str(r, 'system_role') as SystemRole,
    disabled: bool(r, 'disabled'),
    totp: secret === null ? null : { secret, enabled: bool(r, 'totp_enabled'), lastUsedStep: optNum(r, 'totp_last_step') },
    recoveryCodeHashes: JSON.parse(str(r, 'recovery_code_hashes')) as string[],
    createdAt: date(r, 'created_at'),
    updatedAt: date(r, 'updated_at'),
    version: num(r, 'version'),
    // Rows migrated from before these columns were filled read their last update.
    passwordChangedAt: optDate(r, 'password_changed_at') ?? date(r, 'updated_at'),
    lastActiveAt: optDate(r, 'last_active_at') ?? date(r, 'updated_at'),
    disabledReason: optStr(r, 'disabled_reason'),
  };
}

/** The columns a checked patch sets (`undefined`: unchanged). */
function patchColumns(c: CheckedUserPatch) {
  const totp = c.totp === undefined ? undefined : { secret: c.totp?.secret ?? null, enabled: c.totp?.enabled === true ? 1 : 0, step: c.totp?.lastUsedStep ?? null };
  return {
    email: c.email,
    email_key: c.emailKey,
    display_name: c.displayName,
    password_hash: c.passwordHash,
    password_changed_at: c.passwordChangedAt,
    system_role: c.systemRole,
    disabled: c.disabled === undefined ? undefined : c.disabled ? 1 : 0,
    disabled_reason: c.disabled === undefined ? undefined : (c.disabledReason ?? null),
    totp_secret: totp?.secret,
    totp_enabled: totp?.enabled,
    totp_last_step: totp?.step,
    recovery_code_hashes: c.recoveryCodeHashes === undefined ? undefined : JSON.stringify(c.recoveryCodeHashes),
  };
}

export function createUsersRepository(h: SqliteHandle): UserRepository {
  const getUser = (id: string): User | null => h.find(toUser, `${USER} WHERE id = ?`, id);
  const insertIdentity = (issuer: string, subject: string, userId: string, t: number): void => {
    h.run('INSERT INTO user_identities (issuer, subject, user_id, created_at) VALUES (?, ?, ?, ?)', issuer, subject, userId, t);
  };

  return assembleRepository(USER_INPUTS, h.op, {
    create: (c) => {
      const id = h.newId();
      const t = h.nowMs();
      return h.tx(() => {
        h.run(
          `INSERT INTO users (id, email, email_key, display_name, password_hash, system_role, disabled, created_at, updated_at, version, password_changed_at, last_active_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?)`,
          id,
          c.email,
          c.emailKey,
          c.displayName,
          c.passwordHash,
          c.systemRole,
          c.disabled ? 1 : 0,
          t,
          t,
          t,
          t,
        );
        if (c.identity !== null) insertIdentity(c.identity.issuer, c.identity.subject, id, t);
        return getUser(id) as User;
      });
    },
    findById: (id) => getUser(id),
    findByEmail: (emailKey) => h.find(toUser, `${USER} WHERE email_key = ?`, emailKey),
    list: (page) => paged(h, { base: `${USER} WHERE 1 = 1`, params: [], timeColumn: 'created_at', map: toUser, position: byCreatedAt }, page),
    count: ({ systemRole, disabled }) => {
      const d = disabled === null ? null : disabled ? 1 : 0;
      return num(h.one('SELECT COUNT(*) AS n FROM users WHERE (? IS NULL OR system_role = ?) AND (? IS NULL OR disabled = ?)', systemRole, systemRole, d, d) as Row, 'n');
    },
    update: ({ id, expectedVersion, patch }) => toUser(versionedUpdate(h, { table: 'users', entity: 'user', id, expectedVersion, set: patchColumns(patch) })),
    useTotpStep: ({ id, step }) => h.run('UPDATE users SET totp_last_step = ? WHERE id = ? AND totp_secret IS NOT NULL AND (totp_last_step IS NULL OR totp_last_step < ?)', step, id, step) === 1,
    useRecoveryCode: ({ id, codeHash }) =>
      h.tx(() => {
        const r = h.one('SELECT recovery_code_hashes FROM users WHERE id = ?', id);
        if (r === undefined) return false;
        const hashes = JSON.parse(str(r, 'recovery_code_hashes')) as string[];
        const i = hashes.indexOf(codeHash);
        if (i < 0) return false;
        hashes.splice(i, 1);
        h.run('UPDATE users SET recovery_code_hashes = ? WHERE id = ?', JSON.stringify(hashes), id);
        return true;
      }),
    search: (q) => {
      const p = likeLiteral(q.prefix);
      // A word of the name: at its start, or after a space.
      return h
        .all(
          `${USER} WHERE (email_key LIKE ? ESCAPE '\\' OR display_name LIKE ? ESCAPE '\\' OR display_name LIKE ? ESCAPE '\\')${q.enabledOnly ? ' AND disabled = 0' : ''}
           ORDER BY display_name COLLATE NOCASE, id LIMIT ?`,
          `${p.toLowerCase()}%`,
          `${p}%`,
          `% ${p}%`,
          q.limit,
        )
        .map(toUser);
    },
    findByIdentity: (i) => h.find(toUser, `${USER} WHERE id = (SELECT user_id FROM user_identities WHERE issuer = ? AND subject = ?)`, i.issuer, i.subject),
    addIdentity: ({ userId, identity: i }) => {
      h.tx(() => {
        if (!exists(h, 'users', userId)) throw notFound('user');
        const held = h.one('SELECT user_id FROM user_identities WHERE issuer = ? AND subject = ?', i.issuer, i.subject);
        if (held !== undefined) {
          if (str(held, 'user_id') !== userId) throw conflict('users.identity');
          return;
        }
        insertIdentity(i.issuer, i.subject, userId, h.nowMs());
      });
    },
    listIdentities: (userId) =>
      h.all('SELECT issuer, subject FROM user_identities WHERE user_id = ? ORDER BY created_at, issuer, subject', userId).map((r) => ({ issuer: str(r, 'issuer'), subject: str(r, 'subject') })),
    markActive: (id) => h.run('UPDATE users SET last_active_at = ? WHERE id = ?', h.nowMs(), id) === 1,
    listInactive: ({ before, limit }) =>
      h.all(`${USER} WHERE disabled = 0 AND COALESCE(last_active_at, updated_at) < ? ORDER BY COALESCE(last_active_at, updated_at), id LIMIT ?`, before, limit).map(toUser),
    disableIfInactive: ({ id, before }) =>
      h.run(
        `UPDATE users SET disabled = 1, disabled_reason = 'inactive', updated_at = ?, version = version + 1
         WHERE id = ? AND disabled = 0 AND COALESCE(last_active_at, updated_at) < ?`,
        h.nowMs(),
        id,
        before,
      ) === 1,
    grantsHeld: (userId) => heldGrants(h, userId),
    erase: ({ userId, pseudonym }) => h.tx(() => eraseUser(h, userId, pseudonym)),
  });
}

function heldGrants(h: SqliteHandle, userId: string): HeldGrants {
  return {
    projects: h
      .all('SELECT project_id, role, created_at, updated_at FROM project_grants WHERE principal_key = ? ORDER BY project_id', principalKey({ kind: 'user', id: userId }))
      .map((r) => ({ projectId: str(r, 'project_id'), role: str(r, 'role') as ProjectRole, createdAt: date(r, 'created_at'), updatedAt: date(r, 'updated_at') })),
    dashboards: h
      .all(
        `SELECT g.dashboard_id, d.project_id, g.role, g.created_at, g.updated_at FROM dashboard_grants g JOIN dashboards d ON d.id = g.dashboard_id
         WHERE g.principal_kind = 'user' AND g.principal_id = ? ORDER BY g.dashboard_id`,
        userId,
      )
      .map((r) => ({ dashboardId: str(r, 'dashboard_id'), projectId: str(r, 'project_id'), role: str(r, 'role') as ProjectRole, createdAt: date(r, 'created_at'), updatedAt: date(r, 'updated_at') })),
  };
}

/** The erasure, inside the caller's transaction (see {@link UserRepository.erase}). */
function eraseUser(h: SqliteHandle, userId: string, pseudonym: string): ErasureResult | null {
  if (!exists(h, 'users', userId)) return null;
  const key = principalKey({ kind: 'user', id: userId });
  // The owner invariant (SPEC §3.5): every project this user owns must keep another direct user owner.
  const sole = h.one(
    `SELECT 1 AS x FROM project_grants g WHERE g.principal_key = ? AND g.role = 'owner' AND NOT EXISTS (
       SELECT 1 FROM project_grants o WHERE o.project_id = g.project_id AND o.principal_kind = 'user' AND o.role = 'owner' AND o.principal_id <> ?)`,
    key,
    userId,
  );
  if (sole !== undefined) throw conflict('last_owner');
  const count = (sql: string): number => num(h.one(sql, userId) as Row, 'n');
  const sessions = count('SELECT COUNT(*) AS n FROM sessions WHERE user_id = ?');
  const apiKeys = count('SELECT COUNT(*) AS n FROM api_keys WHERE user_id = ?');
  const groups = count('SELECT COUNT(*) AS n FROM group_members WHERE user_id = ?');
  const projectGrants = h.run("DELETE FROM project_grants WHERE principal_kind = 'user' AND principal_id = ?", userId);
  const dashboardGrants = h.run("DELETE FROM dashboard_grants WHERE principal_kind = 'user' AND principal_id = ?", userId);
  // The audit keeps its events with the person replaced (the triggers accept exactly this change);
  // the address of what the person did is theirs too, so it goes.
  const auditEvents = h.run(
    `UPDATE audit_events SET
       ip = CASE WHEN actor_user_id = ?1 THEN NULL ELSE ip END,
       actor_user_id = CASE WHEN actor_user_id = ?1 THEN ?2 ELSE actor_user_id END,
       target_id = CASE WHEN target_type = 'user' AND target_id = ?1 THEN ?2 ELSE target_id END,
       details = replace(details, ?1, ?2)
     WHERE actor_user_id = ?1 OR (target_type = 'user' AND target_id = ?1) OR instr(details, ?1) > 0`,
    userId,
    pseudonym,
  );
  h.run('UPDATE projects SET created_by = ? WHERE created_by = ?', pseudonym, userId);
  h.run('UPDATE dataset_versions SET created_by = ? WHERE created_by = ?', pseudonym, userId);
  // Identities, sessions (and their refresh tokens), API keys and memberships go with the row.
  h.run('DELETE FROM users WHERE id = ?', userId);
  return { pseudonym, sessions, apiKeys, groups, projectGrants, dashboardGrants, auditEvents };
}
