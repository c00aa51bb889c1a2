/**
 * The embedded default store over `node:sqlite`. Every operation is synchronous underneath (one
 * connection, no interleaving inside a call); multi-record changes run in `BEGIN IMMEDIATE`
 * transactions, so a process killed mid-change leaves the previous state. Other processes may
 * share the file (WAL + busy timeout), e.g. the `plotbox` CLI next to the API.
 */
import { DatabaseSync } from 'node:sqlite';
import type { SQLInputValue, SQLOutputValue, StatementSync } from 'node:sqlite';
import {
  StoreError,
  assertId,
  assertInt,
  assertLoginFailurePolicy,
  assertOneOf,
  assertPage,
  assertPrincipal,
  assertString,
  checkAuditFilter,
  checkSearch,
  likeLiteral,
  checkChartPatch,
  checkCounterKey,
  checkDashboardPatch,
  checkName,
  checkNewApiKey,
  checkNewAuditEvent,
  checkNewChart,
  checkNewDashboard,
  checkNewDataset,
  checkNewDatasetVersion,
  checkNewDatasetWithVersion,
  checkNewGroup,
  checkNewProject,
  checkNewRefreshToken,
  checkNewSession,
  checkNewUser,
  checkPrincipals,
  checkProjectPatch,
  checkReason,
  checkRenderCacheKey,
  checkRenderCacheOptions,
  checkRenderValue,
  checkRevokeAllOptions,
  checkRole,
  checkRotateInput,
  checkTokenHash,
  checkUserPatch,
  checkVersion,
  checkWindowMs,
  conflict,
  countDirectUserOwners,
  decodeCursor,
  loginFailureExpiry,
  nextLoginFailureState,
  normalizeEmail,
  notFound,
  parseJson,
  checkSettingKey,
  checkSettingInput,
  principalKey,
  toPage,
  versionMismatch,
  SYSTEM_ROLES,
  assertEmail,
  assertDate,
  checkIdentity,
  MAX_PAGE_LIMIT,
  assertBoolean,
} from '@plotbox/store';
import type {
  SettingRecord,
  ApiKey,
  AuditEvent,
  Chart,
  ChartLang,
  CursorPosition,
  Dashboard,
  DashboardGrant,
  Dataset,
  DatasetVersion,
  Grant,
  Group,
  LoginFailureState,
  Page,
  Principal,
  PrincipalKind,
  Project,
  ProjectRole,
  RefreshToken,
  RenderCacheEntry,
  Session,
  Store,
  StoreConstraint,
  StoreDeps,
  SystemRole,
  User,
  ActorKind,
  AuditOutcome,
} from '@plotbox/store';
import { SQLITE_MIGRATIONS, migrateSqlite } from './migrations.ts';
import type { Migration } from './migrations.ts';

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

type Row = Record<string, SQLOutputValue>;

function corrupt(column: string): StoreError {
  return new StoreError('STORE_UNAVAILABLE', `unexpected value in column ${column}`, { reason: 'corrupt' });
}
function str(r: Row, k: string): string {
  const v = r[k];
  if (typeof v !== 'string') throw corrupt(k);
  return v;
}
function num(r: Row, k: string): number {
  const v = r[k];
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  throw corrupt(k);
}
function optStr(r: Row, k: string): string | null {
  return r[k] === null ? null : str(r, k);
}
function optNum(r: Row, k: string): number | null {
  return r[k] === null ? null : num(r, k);
}
function date(r: Row, k: string): Date {
  return new Date(num(r, k));
}
function optDate(r: Row, k: string): Date | null {
  const v = optNum(r, k);
  return v === null ? null : new Date(v);
}

/** SQLite unique indexes (as SQLite names their columns) → the constraint names callers see. */
const UNIQUE_CONSTRAINTS: Readonly<Record<string, StoreConstraint>> = {
  'users.email_key': 'users.email',
  'user_identities.issuer, user_identities.subject': 'users.identity',
  'api_keys.prefix': 'api_keys.prefix',
  'user_groups.name': 'groups.name',
  'datasets.project_id, datasets.name': 'datasets.project_name',
  'dashboards.project_id, dashboards.name': 'dashboards.project_name',
  'refresh_tokens.token_hash': 'refresh_tokens.token_hash',
  'render_cache.code_hash, render_cache.dataset_version_id, render_cache.runtime_version': 'render_cache.key',
};

function isSqliteError(e: unknown): e is Error & { code: string; errcode: number } {
  return e instanceof Error && (e as { code?: unknown }).code === 'ERR_SQLITE_ERROR' && typeof (e as { errcode?: unknown }).errcode === 'number';
}

/** Translate driver errors into {@link StoreError}s; the SQLite message stays in `cause` only. */
function mapError(e: unknown): unknown {
  if (e instanceof StoreError) return e;
  if (isSqliteError(e)) {
    const prefix = 'UNIQUE constraint failed: ';
    if (e.message.startsWith(prefix)) return conflict(UNIQUE_CONSTRAINTS[e.message.slice(prefix.length)] ?? 'primary_key', e);
    if (e.message.includes('FOREIGN KEY constraint failed')) return conflict('reference', e);
    const primary = e.errcode & 0xff;
    if (primary === 5 || primary === 6) return new StoreError('STORE_UNAVAILABLE', 'database is busy', { reason: 'busy', cause: e });
    // SQLITE_FULL, or an I/O error that is the disk being full (SQLITE_IOERR_WRITE on ENOSPC).
    if (primary === 13 || (primary === 10 && /full|space/iu.test(e.message))) return new StoreError('STORE_UNAVAILABLE', 'the database disk is full', { reason: 'storage_full', cause: e });
    return new StoreError('STORE_UNAVAILABLE', 'database error', { reason: 'database', cause: e });
  }
  if (e instanceof Error && (e as { code?: unknown }).code === 'ERR_INVALID_STATE') {
    return new StoreError('STORE_UNAVAILABLE', 'database is closed', { reason: 'closed', cause: e });
  }
  return e;
}

const POS_CREATED = (x: { createdAt: Date; id: string }): CursorPosition => ({ t: x.createdAt.getTime(), id: x.id });

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
  const cacheOptions = checkRenderCacheOptions(options.renderCache);
  const ownsDb = options.database === undefined;
  const db = options.database ?? new DatabaseSync(assertString(options.path, 'path', 4096, 1));
  const clock = options.now;
  const nowMs = (): number => {
    const d = clock();
    if (!(d instanceof Date) || !Number.isFinite(d.getTime())) throw new StoreError('STORE_INVALID', 'now() must return a valid Date', { reason: 'now' });
    return d.getTime();
  };
  const newId = (): string => assertId(options.newId(), 'newId()');

  let appliedMigrations: number[];
  try {
    db.exec(`PRAGMA busy_timeout = ${busyTimeoutMs}`);
    db.exec('PRAGMA foreign_keys = ON');
    db.exec('PRAGMA journal_mode = WAL');
    db.exec('PRAGMA synchronous = NORMAL');
    appliedMigrations = migrateSqlite(db, options.migrations ?? SQLITE_MIGRATIONS, () => new Date(nowMs()));
  } catch (error) {
    if (ownsDb) db.close();
    throw mapError(error);
  }

  const statements = new Map<string, StatementSync>();
  const q = (sql: string): StatementSync => {
    let st = statements.get(sql);
    if (st === undefined) {
      st = db.prepare(sql);
      statements.set(sql, st);
    }
    return st;
  };
  const one = (sql: string, ...params: SQLInputValue[]): Row | undefined => q(sql).get(...params);
  const all = (sql: string, ...params: SQLInputValue[]): Row[] => q(sql).all(...params);
  const run = (sql: string, ...params: SQLInputValue[]): number => Number(q(sql).run(...params).changes);

  let closed = false;
  /** Run `fn` as one store operation: synchronous, errors mapped, refused after `close()`. */
  const op = <T>(fn: () => T): Promise<T> => {
    try {
      if (closed) throw new StoreError('STORE_UNAVAILABLE', 'store is closed', { reason: 'closed' });
      return Promise.resolve(fn());
    } catch (error) {
      return Promise.reject(mapError(error));
    }
  };
  const tx = <T>(fn: () => T): T => {
    if (db.isTransaction) return fn();
    db.exec('BEGIN IMMEDIATE');
    try {
      const result = fn();
      db.exec('COMMIT');
      return result;
    } catch (error) {
      if (db.isTransaction) db.exec('ROLLBACK');
      throw error;
    }
  };
  /** Keyset pagination over `(tcol, idcol)`; `base` must end in a WHERE condition. */
  const paged = <T>(list: string, base: string, params: SQLInputValue[], tcol: string, idcol: string, page: unknown, map: (r: Row) => T, pos: (item: T) => CursorPosition): Page<T> => {
    const { limit, cursor } = assertPage(page);
    let sql = base;
    const ps = [...params];
    if (cursor !== undefined) {
      const c = decodeCursor(list, cursor);
      sql += ` AND (${tcol} > ? OR (${tcol} = ? AND ${idcol} > ?))`;
      ps.push(c.t, c.t, c.id);
    }
    sql += ` ORDER BY ${tcol}, ${idcol} LIMIT ?`;
    ps.push(limit + 1);
    return toPage(all(sql, ...ps).map(map), limit, list, pos);
  };
  const exists = (table: 'users' | 'user_groups' | 'projects' | 'dashboards' | 'datasets' | 'sessions', id: string): boolean =>
    one(`SELECT 1 AS x FROM ${table} WHERE id = ?`, id) !== undefined;
  const assertPrincipalExists = (p: Principal): void => {
    if (!exists(p.kind === 'user' ? 'users' : 'user_groups', p.id)) throw notFound(p.kind);
  };

  // ------------------------------------------------------------ users
  const USER = 'SELECT * FROM users';
  const toUser = (r: Row): User => {
    const secret = optStr(r, 'totp_secret');
    return {
      id: str(r, 'id'),
      email: str(r, 'email'),
      displayName: str(r, 'display_name'),
      passwordHash: str(r, 'password_hash'),
      systemRole: str(r, 'system_role') as SystemRole,
      disabled: num(r, 'disabled') === 1,
      totp: secret === null ? null : { secret, enabled: num(r, 'totp_enabled') === 1, lastUsedStep: optNum(r, 'totp_last_step') },
      recoveryCodeHashes: JSON.parse(str(r, 'recovery_code_hashes')) as string[],
      createdAt: date(r, 'created_at'),
      updatedAt: date(r, 'updated_at'),
      version: num(r, 'version'),
      // Rows migrated from before these columns were filled read their last update.
      passwordChangedAt: optDate(r, 'password_changed_at') ?? date(r, 'updated_at'),
      lastActiveAt: optDate(r, 'last_active_at') ?? date(r, 'updated_at'),
      disabledReason: optStr(r, 'disabled_reason'),
    };
  };
  const getUser = (id: string): User | null => {
    const r = one(`${USER} WHERE id = ?`, id);
    return r === undefined ? null : toUser(r);
  };

  const users: Store['users'] = {
    create: (input) =>
      op(() => {
        const c = checkNewUser(input);
        const id = newId();
        const t = nowMs();
        return tx(() => {
          run(
            `INSERT INTO users (id, email, email_key, display_name, password_hash, system_role, disabled, created_at, updated_at, version, password_changed_at, last_active_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?)`,
            id, c.email, c.emailKey, c.displayName, c.passwordHash, c.systemRole, c.disabled ? 1 : 0, t, t, t, t,
          );
          if (c.identity !== null) run('INSERT INTO user_identities (issuer, subject, user_id, created_at) VALUES (?, ?, ?, ?)', c.identity.issuer, c.identity.subject, id, t);
          return getUser(id) as User;
        });
      }),
    findById: (id) => op(() => getUser(assertId(id, 'id'))),
    findByEmail: (email) =>
      op(() => {
        const r = one(`${USER} WHERE email_key = ?`, normalizeEmail(assertEmail(email)));
        return r === undefined ? null : toUser(r);
      }),
    list: (page) => op(() => paged('users', `${USER} WHERE 1 = 1`, [], 'created_at', 'id', page, toUser, POS_CREATED)),
    count: (filter) =>
      op(() => {
        const role = filter?.systemRole === undefined ? null : assertOneOf<SystemRole>(filter.systemRole, 'systemRole', SYSTEM_ROLES);
        const disabled = filter?.disabled === undefined ? null : assertBoolean(filter.disabled, 'disabled') ? 1 : 0;
        return num(one('SELECT COUNT(*) AS n FROM users WHERE (? IS NULL OR system_role = ?) AND (? IS NULL OR disabled = ?)', role, role, disabled, disabled) as Row, 'n');
      }),
    update: (id, expectedVersion, patch) =>
      op(() => {
        const uid = assertId(id, 'id');
        const v = checkVersion(expectedVersion);
        const c = checkUserPatch(patch);
        return tx(() => {
          const cur = one('SELECT version FROM users WHERE id = ?', uid);
          if (cur === undefined) throw notFound('user');
          if (num(cur, 'version') !== v) throw versionMismatch('user');
          const sets: string[] = [];
          const ps: SQLInputValue[] = [];
          const set = (col: string, value: SQLInputValue) => {
            sets.push(`${col} = ?`);
            ps.push(value);
          };
          if (c.email !== undefined && c.emailKey !== undefined) {
            set('email', c.email);
            set('email_key', c.emailKey);
          }
          if (c.displayName !== undefined) set('display_name', c.displayName);
          if (c.passwordHash !== undefined) set('password_hash', c.passwordHash);
          if (c.passwordChangedAt !== undefined) set('password_changed_at', c.passwordChangedAt);
          if (c.systemRole !== undefined) set('system_role', c.systemRole);
          if (c.disabled !== undefined) {
            set('disabled', c.disabled ? 1 : 0);
            set('disabled_reason', c.disabledReason ?? null);
          }
          if (c.totp !== undefined) {
            set('totp_secret', c.totp?.secret ?? null);
            set('totp_enabled', c.totp?.enabled === true ? 1 : 0);
            set('totp_last_step', c.totp?.lastUsedStep ?? null);
          }
          if (c.recoveryCodeHashes !== undefined) set('recovery_code_hashes', JSON.stringify(c.recoveryCodeHashes));
          set('updated_at', nowMs());
          run(`UPDATE users SET ${sets.join(', ')}, version = version + 1 WHERE id = ? AND version = ?`, ...ps, uid, v);
          return getUser(uid) as User;
        });
      }),
    useTotpStep: (id, step) =>
      op(() => {
        const uid = assertId(id, 'id');
        const s = assertInt(step, 'step', 0);
        return (
          run('UPDATE users SET totp_last_step = ? WHERE id = ? AND totp_secret IS NOT NULL AND (totp_last_step IS NULL OR totp_last_step < ?)', s, uid, s) === 1
        );
      }),
    useRecoveryCode: (id, codeHash) =>
      op(() => {
        const uid = assertId(id, 'id');
        const h = checkTokenHash(codeHash, 'codeHash');
        return tx(() => {
          const r = one('SELECT recovery_code_hashes FROM users WHERE id = ?', uid);
          if (r === undefined) return false;
          const hashes = JSON.parse(str(r, 'recovery_code_hashes')) as string[];
          const i = hashes.indexOf(h);
          if (i < 0) return false;
          hashes.splice(i, 1);
          run('UPDATE users SET recovery_code_hashes = ? WHERE id = ?', JSON.stringify(hashes), uid);
          return true;
        });
      }),
    search: (query) =>
      op(() => {
        const q = checkSearch(query, ['prefix', 'limit', 'enabledOnly']);
        const p = likeLiteral(q.prefix);
        // A word of the name: at its start, or after a space.
        return all(
          `${USER} WHERE (email_key LIKE ? ESCAPE '\\' OR display_name LIKE ? ESCAPE '\\' OR display_name LIKE ? ESCAPE '\\')${q.enabledOnly ? ' AND disabled = 0' : ''}
           ORDER BY display_name COLLATE NOCASE, id LIMIT ?`,
          `${p.toLowerCase()}%`, `${p}%`, `% ${p}%`, q.limit,
        ).map(toUser);
      }),
    findByIdentity: (identity) =>
      op(() => {
        const i = checkIdentity(identity);
        const r = one(`${USER} WHERE id = (SELECT user_id FROM user_identities WHERE issuer = ? AND subject = ?)`, i.issuer, i.subject);
        return r === undefined ? null : toUser(r);
      }),
    addIdentity: (userId, identity) =>
      op(() => {
        const uid = assertId(userId, 'userId');
        const i = checkIdentity(identity);
        tx(() => {
          if (!exists('users', uid)) throw notFound('user');
          const held = one('SELECT user_id FROM user_identities WHERE issuer = ? AND subject = ?', i.issuer, i.subject);
          if (held !== undefined) {
            if (str(held, 'user_id') !== uid) throw conflict('users.identity');
            return;
          }
          run('INSERT INTO user_identities (issuer, subject, user_id, created_at) VALUES (?, ?, ?, ?)', i.issuer, i.subject, uid, nowMs());
        });
      }),
    listIdentities: (userId) =>
      op(() =>
        all('SELECT issuer, subject FROM user_identities WHERE user_id = ? ORDER BY created_at, issuer, subject', assertId(userId, 'userId')).map((r) => ({ issuer: str(r, 'issuer'), subject: str(r, 'subject') })),
      ),
    markActive: (id) => op(() => run('UPDATE users SET last_active_at = ? WHERE id = ?', nowMs(), assertId(id, 'id')) === 1),
    listInactive: (before, limit) =>
      op(() => {
        const b = assertDate(before, 'before');
        const n = assertInt(limit, 'limit', 1, MAX_PAGE_LIMIT);
        return all(`${USER} WHERE disabled = 0 AND COALESCE(last_active_at, updated_at) < ? ORDER BY COALESCE(last_active_at, updated_at), id LIMIT ?`, b, n).map(toUser);
      }),
    disableIfInactive: (id, before) =>
      op(() => {
        const uid = assertId(id, 'id');
        const b = assertDate(before, 'before');
        return (
          run(
            `UPDATE users SET disabled = 1, disabled_reason = 'inactive', updated_at = ?, version = version + 1
             WHERE id = ? AND disabled = 0 AND COALESCE(last_active_at, updated_at) < ?`,
            nowMs(), uid, b,
          ) === 1
        );
      }),
  };

  // ------------------------------------------------------------ sessions
  const toSession = (r: Row): Session => ({
    id: str(r, 'id'),
    userId: str(r, 'user_id'),
    createdAt: date(r, 'created_at'),
    lastSeenAt: date(r, 'last_seen_at'),
    absoluteExpiresAt: date(r, 'absolute_expires_at'),
    idleExpiresAt: date(r, 'idle_expires_at'),
    revokedAt: optDate(r, 'revoked_at'),
    revokeReason: optStr(r, 'revoke_reason'),
    userAgent: optStr(r, 'user_agent'),
    ip: optStr(r, 'ip'),
    mfaPending: num(r, 'mfa_pending') === 1,
    passwordChangeRequired: num(r, 'password_change_required') === 1,
  });
  const getSession = (id: string): Session | null => {
    const r = one('SELECT * FROM sessions WHERE id = ?', id);
    return r === undefined ? null : toSession(r);
  };
  const toToken = (r: Row): RefreshToken => ({
    tokenHash: str(r, 'token_hash'),
    sessionId: str(r, 'session_id'),
    familyId: str(r, 'family_id'),
    createdAt: date(r, 'created_at'),
    usedAt: optDate(r, 'used_at'),
    expiresAt: date(r, 'expires_at'),
  });
  const getToken = (hash: string): RefreshToken | null => {
    const r = one('SELECT * FROM refresh_tokens WHERE token_hash = ?', hash);
    return r === undefined ? null : toToken(r);
  };
  const LIVE = 'revoked_at IS NULL AND absolute_expires_at > ? AND idle_expires_at > ?';

  const sessions: Store['sessions'] = {
    create: (input) =>
      op(() => {
        const c = checkNewSession(input);
        return tx(() => {
          if (!exists('users', c.userId)) throw notFound('user');
          const id = newId();
          const t = nowMs();
          run(
            `INSERT INTO sessions (id, user_id, created_at, last_seen_at, absolute_expires_at, idle_expires_at, user_agent, ip, mfa_pending, password_change_required)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
            id, c.userId, t, t, c.absoluteExpiresAt, c.idleExpiresAt, c.userAgent, c.ip, c.mfaPending ? 1 : 0, c.passwordChangeRequired ? 1 : 0,
          );
          return getSession(id) as Session;
        });
      }),
    findById: (id) => op(() => getSession(assertId(id, 'id'))),
    listByUser: (userId, page) =>
      op(() => paged('sessions', 'SELECT * FROM sessions WHERE user_id = ?', [assertId(userId, 'userId')], 'created_at', 'id', page, toSession, POS_CREATED)),
    touch: (id, idleExpiresAt) =>
      op(() => {
        const sid = assertId(id, 'id');
        const idle = assertDate(idleExpiresAt, 'idleExpiresAt');
        const t = nowMs();
        return run(`UPDATE sessions SET last_seen_at = ?, idle_expires_at = MIN(?, absolute_expires_at) WHERE id = ? AND ${LIVE}`, t, idle, sid, t, t) === 1;
      }),
    completeMfa: (id) =>
      op(() => {
        const t = nowMs();
        return run(`UPDATE sessions SET mfa_pending = 0 WHERE id = ? AND ${LIVE}`, assertId(id, 'id'), t, t) === 1;
      }),
    revoke: (id, reason) =>
      op(() => run('UPDATE sessions SET revoked_at = ?, revoke_reason = ? WHERE id = ? AND revoked_at IS NULL', nowMs(), checkReason(reason), assertId(id, 'id')) === 1),
    revokeAllForUser: (userId, reason, options) =>
      op(() => {
        const uid = assertId(userId, 'userId');
        const r = checkReason(reason);
        const { exceptSessionId } = checkRevokeAllOptions(options);
        return run(
          'UPDATE sessions SET revoked_at = ?, revoke_reason = ? WHERE user_id = ? AND revoked_at IS NULL AND (? IS NULL OR id <> ?)',
          nowMs(), r, uid, exceptSessionId, exceptSessionId,
        );
      }),
    createRefreshToken: (input) =>
      op(() => {
        const c = checkNewRefreshToken(input);
        return tx(() => {
          if (!exists('sessions', c.sessionId)) throw notFound('session');
          run('INSERT INTO refresh_tokens (token_hash, session_id, family_id, created_at, expires_at) VALUES (?, ?, ?, ?, ?)', c.tokenHash, c.sessionId, c.familyId, nowMs(), c.expiresAt);
          return getToken(c.tokenHash) as RefreshToken;
        });
      }),
    findRefreshToken: (hash) => op(() => getToken(checkTokenHash(hash))),
    rotateRefresh: (oldHash, next) =>
      op(() => {
        const old = checkTokenHash(oldHash, 'oldHash');
        const n = checkRotateInput(next);
        return tx(() => {
          const t = nowMs();
          // The conditional UPDATE is the race guard: only one caller can flip used_at from NULL.
          const won = run('UPDATE refresh_tokens SET used_at = ? WHERE token_hash = ? AND used_at IS NULL AND expires_at > ?', t, old, t) === 1;
          const token = getToken(old);
          if (token === null) return { status: 'not_found' } as const;
          if (!won) {
            if (token.usedAt !== null) {
              const s = getSession(token.sessionId);
              return { status: 'reused', sessionId: token.sessionId, familyId: token.familyId, userId: s?.userId ?? '', usedAt: token.usedAt } as const;
            }
            return { status: 'expired', sessionId: token.sessionId } as const;
          }
          const live = one(`SELECT 1 AS x FROM sessions WHERE id = ? AND ${LIVE}`, token.sessionId, t, t) !== undefined;
          if (!live) return { status: 'session_ended', sessionId: token.sessionId } as const;
          run('INSERT INTO refresh_tokens (token_hash, session_id, family_id, created_at, expires_at) VALUES (?, ?, ?, ?, ?)', n.tokenHash, token.sessionId, token.familyId, t, n.expiresAt);
          if (n.idleExpiresAt !== null) {
            run('UPDATE sessions SET last_seen_at = ?, idle_expires_at = MIN(?, absolute_expires_at) WHERE id = ?', t, n.idleExpiresAt, token.sessionId);
          }
          return { status: 'rotated', token: getToken(n.tokenHash) as RefreshToken, session: getSession(token.sessionId) as Session } as const;
        });
      }),
  };

  // ------------------------------------------------------------ API keys
  const toApiKey = (r: Row): ApiKey => ({
    id: str(r, 'id'),
    userId: str(r, 'user_id'),
    name: str(r, 'name'),
    prefix: str(r, 'prefix'),
    hash: str(r, 'hash'),
    createdAt: date(r, 'created_at'),
    expiresAt: optDate(r, 'expires_at'),
    lastUsedAt: optDate(r, 'last_used_at'),
    revokedAt: optDate(r, 'revoked_at'),
  });
  const getApiKey = (id: string): ApiKey | null => {
    const r = one('SELECT * FROM api_keys WHERE id = ?', id);
    return r === undefined ? null : toApiKey(r);
  };
  const apiKeys: Store['apiKeys'] = {
    create: (input) =>
      op(() => {
        const c = checkNewApiKey(input);
        return tx(() => {
          if (!exists('users', c.userId)) throw notFound('user');
          const id = newId();
          run('INSERT INTO api_keys (id, user_id, name, prefix, hash, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)', id, c.userId, c.name, c.prefix, c.hash, nowMs(), c.expiresAt);
          return getApiKey(id) as ApiKey;
        });
      }),
    findById: (id) => op(() => getApiKey(assertId(id, 'id'))),
    findByPrefix: (prefix) =>
      op(() => {
        const r = one('SELECT * FROM api_keys WHERE prefix = ?', checkName(prefix, 'prefix'));
        return r === undefined ? null : toApiKey(r);
      }),
    listByUser: (userId, page) =>
      op(() => paged('api_keys', 'SELECT * FROM api_keys WHERE user_id = ?', [assertId(userId, 'userId')], 'created_at', 'id', page, toApiKey, POS_CREATED)),
    markUsed: (id) => op(() => run('UPDATE api_keys SET last_used_at = ? WHERE id = ?', nowMs(), assertId(id, 'id')) === 1),
    revoke: (id) => op(() => run('UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL', nowMs(), assertId(id, 'id')) === 1),
  };

  // ------------------------------------------------------------ groups
  const toGroup = (r: Row): Group => {
    const id = str(r, 'id');
    return {
      id,
      name: str(r, 'name'),
      memberIds: all('SELECT user_id FROM group_members WHERE group_id = ? ORDER BY user_id', id).map((m) => str(m, 'user_id')),
      createdAt: date(r, 'created_at'),
      updatedAt: date(r, 'updated_at'),
    };
  };
  const getGroup = (id: string): Group | null => {
    const r = one('SELECT * FROM user_groups WHERE id = ?', id);
    return r === undefined ? null : toGroup(r);
  };
  const groups: Store['groups'] = {
    create: (input) =>
      op(() => {
        const c = checkNewGroup(input);
        return tx(() => {
          for (const m of c.memberIds) if (!exists('users', m)) throw notFound('user');
          const id = newId();
          const t = nowMs();
          run('INSERT INTO user_groups (id, name, created_at, updated_at) VALUES (?, ?, ?, ?)', id, c.name, t, t);
          for (const m of c.memberIds) run('INSERT INTO group_members (group_id, user_id) VALUES (?, ?)', id, m);
          return getGroup(id) as Group;
        });
      }),
    findById: (id) => op(() => getGroup(assertId(id, 'id'))),
    findByName: (name) =>
      op(() => {
        const r = one('SELECT * FROM user_groups WHERE name = ?', checkName(name));
        return r === undefined ? null : toGroup(r);
      }),
    list: (page) => op(() => paged('groups', 'SELECT * FROM user_groups WHERE 1 = 1', [], 'created_at', 'id', page, toGroup, POS_CREATED)),
    search: (query) =>
      op(() => {
        const q = checkSearch(query);
        const p = likeLiteral(q.prefix);
        return all(`SELECT * FROM user_groups WHERE name LIKE ? ESCAPE '\\' OR name LIKE ? ESCAPE '\\' ORDER BY name COLLATE NOCASE, id LIMIT ?`, `${p}%`, `% ${p}%`, q.limit).map(toGroup);
      }),
    listForUser: (userId) =>
      op(() =>
        all(
          'SELECT g.* FROM user_groups g JOIN group_members m ON m.group_id = g.id WHERE m.user_id = ? ORDER BY g.created_at, g.id',
          assertId(userId, 'userId'),
        ).map(toGroup),
      ),
    rename: (id, name) =>
      op(() => {
        const gid = assertId(id, 'id');
        const n = checkName(name);
        if (run('UPDATE user_groups SET name = ?, updated_at = ? WHERE id = ?', n, nowMs(), gid) === 0) throw notFound('group');
        return getGroup(gid) as Group;
      }),
    addMember: (groupId, userId) =>
      op(() => {
        const gid = assertId(groupId, 'groupId');
        const uid = assertId(userId, 'userId');
        return tx(() => {
          if (!exists('user_groups', gid)) throw notFound('group');
          if (!exists('users', uid)) throw notFound('user');
          if (run('INSERT OR IGNORE INTO group_members (group_id, user_id) VALUES (?, ?)', gid, uid) === 1) {
            run('UPDATE user_groups SET updated_at = ? WHERE id = ?', nowMs(), gid);
          }
          return getGroup(gid) as Group;
        });
      }),
    removeMember: (groupId, userId) =>
      op(() => {
        const gid = assertId(groupId, 'groupId');
        const uid = assertId(userId, 'userId');
        return tx(() => {
          if (!exists('user_groups', gid)) throw notFound('group');
          if (run('DELETE FROM group_members WHERE group_id = ? AND user_id = ?', gid, uid) === 1) {
            run('UPDATE user_groups SET updated_at = ? WHERE id = ?', nowMs(), gid);
          }
          return getGroup(gid) as Group;
        });
      }),
    delete: (id) =>
      op(() => {
        const gid = assertId(id, 'id');
        return tx(() => {
          run("DELETE FROM project_grants WHERE principal_kind = 'group' AND principal_id = ?", gid);
          run("DELETE FROM dashboard_grants WHERE principal_kind = 'group' AND principal_id = ?", gid);
          return run('DELETE FROM user_groups WHERE id = ?', gid) === 1;
        });
      }),
  };

  // ------------------------------------------------------------ projects
  const toProject = (r: Row): Project => ({
    id: str(r, 'id'),
    name: str(r, 'name'),
    description: str(r, 'description'),
    createdBy: str(r, 'created_by'),
    createdAt: date(r, 'created_at'),
    updatedAt: date(r, 'updated_at'),
    version: num(r, 'version'),
  });
  const getProject = (id: string): Project | null => {
    const r = one('SELECT * FROM projects WHERE id = ?', id);
    return r === undefined ? null : toProject(r);
  };
  const toGrant = (r: Row): Grant => ({
    principal: { kind: str(r, 'principal_kind') as PrincipalKind, id: str(r, 'principal_id') },
    role: str(r, 'role') as ProjectRole,
    createdAt: date(r, 'created_at'),
    updatedAt: date(r, 'updated_at'),
  });
  const grantsOf = (projectId: string): Grant[] =>
    all('SELECT * FROM project_grants WHERE project_id = ? ORDER BY principal_kind, principal_id', projectId).map(toGrant);
  const upsertProjectGrant = (projectId: string, p: Principal, role: ProjectRole, t: number): void => {
    run(
      `INSERT INTO project_grants (project_id, principal_kind, principal_id, principal_key, role, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (project_id, principal_kind, principal_id) DO UPDATE SET role = excluded.role, updated_at = excluded.updated_at`,
      projectId, p.kind, p.id, principalKey(p), role, t, t,
    );
  };
  const samePrincipal = (a: Principal, b: Principal): boolean => a.kind === b.kind && a.id === b.id;

  const projects: Store['projects'] = {
    create: (input) =>
      op(() => {
        const c = checkNewProject(input);
        return tx(() => {
          if (!exists('users', c.createdBy)) throw notFound('user');
          const id = newId();
          const t = nowMs();
          run('INSERT INTO projects (id, name, description, created_by, created_at, updated_at, version) VALUES (?, ?, ?, ?, ?, ?, 1)', id, c.name, c.description, c.createdBy, t, t);
          upsertProjectGrant(id, { kind: 'user', id: c.createdBy }, 'owner', t);
          return getProject(id) as Project;
        });
      }),
    findById: (id) => op(() => getProject(assertId(id, 'id'))),
    list: (page) => op(() => paged('projects', 'SELECT * FROM projects WHERE 1 = 1', [], 'created_at', 'id', page, toProject, POS_CREATED)),
    listForPrincipals: (principals, page) =>
      op(() => {
        const keys = checkPrincipals(principals).map(principalKey);
        return paged(
          'projects',
          'SELECT * FROM projects WHERE id IN (SELECT project_id FROM project_grants WHERE principal_key IN (SELECT value FROM json_each(?)))',
          [JSON.stringify(keys)],
          'created_at',
          'id',
          page,
          toProject,
          POS_CREATED,
        );
      }),
    update: (id, expectedVersion, patch) =>
      op(() => {
        const pid = assertId(id, 'id');
        const v = checkVersion(expectedVersion);
        const c = checkProjectPatch(patch);
        return tx(() => {
          const cur = getProject(pid);
          if (cur === null) throw notFound('project');
          if (cur.version !== v) throw versionMismatch('project');
          run(
            'UPDATE projects SET name = ?, description = ?, updated_at = ?, version = version + 1 WHERE id = ?',
            c.name ?? cur.name, c.description ?? cur.description, nowMs(), pid,
          );
          return getProject(pid) as Project;
        });
      }),
    delete: (id) =>
      op(() => {
        const pid = assertId(id, 'id');
        return tx(() => {
          if (!exists('projects', pid)) return null;
          const blobKeys = all(
            'SELECT v.blob_key FROM dataset_versions v JOIN datasets d ON d.id = v.dataset_id WHERE d.project_id = ? ORDER BY v.created_at, v.id',
            pid,
          ).map((r) => str(r, 'blob_key'));
          run('DELETE FROM projects WHERE id = ?', pid);
          return { blobKeys };
        });
      }),
    listGrants: (projectId) => op(() => grantsOf(assertId(projectId, 'projectId'))),
    setGrant: (projectId, principal, role) =>
      op(() => {
        const pid = assertId(projectId, 'projectId');
        const p = assertPrincipal(principal);
        const r = checkRole(role);
        return tx(() => {
          if (!exists('projects', pid)) throw notFound('project');
          assertPrincipalExists(p);
          const after = grantsOf(pid).filter((g) => !samePrincipal(g.principal, p));
          after.push({ principal: p, role: r, createdAt: new Date(0), updatedAt: new Date(0) });
          if (countDirectUserOwners(after) === 0) throw conflict('last_owner');
          upsertProjectGrant(pid, p, r, nowMs());
          return toGrant(one('SELECT * FROM project_grants WHERE project_id = ? AND principal_kind = ? AND principal_id = ?', pid, p.kind, p.id) as Row);
        });
      }),
    removeGrant: (projectId, principal) =>
      op(() => {
        const pid = assertId(projectId, 'projectId');
        const p = assertPrincipal(principal);
        return tx(() => {
          if (!exists('projects', pid)) throw notFound('project');
          const before = grantsOf(pid);
          if (!before.some((g) => samePrincipal(g.principal, p))) return false;
          if (countDirectUserOwners(before.filter((g) => !samePrincipal(g.principal, p))) === 0) throw conflict('last_owner');
          run('DELETE FROM project_grants WHERE project_id = ? AND principal_kind = ? AND principal_id = ?', pid, p.kind, p.id);
          return true;
        });
      }),
  };

  // ------------------------------------------------------------ dashboards
  const toDashboard = (r: Row): Dashboard => ({
    id: str(r, 'id'),
    projectId: str(r, 'project_id'),
    name: str(r, 'name'),
    layout: parseJson(str(r, 'layout')),
    createdAt: date(r, 'created_at'),
    updatedAt: date(r, 'updated_at'),
    version: num(r, 'version'),
  });
  const getDashboard = (id: string): Dashboard | null => {
    const r = one('SELECT * FROM dashboards WHERE id = ?', id);
    return r === undefined ? null : toDashboard(r);
  };
  const toDashboardGrant = (r: Row): DashboardGrant => ({
    principal: { kind: str(r, 'principal_kind') as PrincipalKind, id: str(r, 'principal_id') },
    role: str(r, 'role') as ProjectRole,
    createdAt: date(r, 'created_at'),
    updatedAt: date(r, 'updated_at'),
  });
  const dashboards: Store['dashboards'] = {
    create: (input) =>
      op(() => {
        const c = checkNewDashboard(input);
        return tx(() => {
          if (!exists('projects', c.projectId)) throw notFound('project');
          const id = newId();
          const t = nowMs();
          run('INSERT INTO dashboards (id, project_id, name, layout, created_at, updated_at, version) VALUES (?, ?, ?, ?, ?, ?, 1)', id, c.projectId, c.name, c.layout, t, t);
          return getDashboard(id) as Dashboard;
        });
      }),
    findById: (id) => op(() => getDashboard(assertId(id, 'id'))),
    listByProject: (projectId, page) =>
      op(() => paged('dashboards', 'SELECT * FROM dashboards WHERE project_id = ?', [assertId(projectId, 'projectId')], 'created_at', 'id', page, toDashboard, POS_CREATED)),
    update: (id, expectedVersion, patch) =>
      op(() => {
        const did = assertId(id, 'id');
        const v = checkVersion(expectedVersion);
        const c = checkDashboardPatch(patch);
        return tx(() => {
          const cur = one('SELECT name, layout, version FROM dashboards WHERE id = ?', did);
          if (cur === undefined) throw notFound('dashboard');
          if (num(cur, 'version') !== v) throw versionMismatch('dashboard');
          run(
            'UPDATE dashboards SET name = ?, layout = ?, updated_at = ?, version = version + 1 WHERE id = ?',
            c.name ?? str(cur, 'name'), c.layout ?? str(cur, 'layout'), nowMs(), did,
          );
          return getDashboard(did) as Dashboard;
        });
      }),
    delete: (id) => op(() => run('DELETE FROM dashboards WHERE id = ?', assertId(id, 'id')) === 1),
    listGrants: (dashboardId) =>
      op(() => all('SELECT * FROM dashboard_grants WHERE dashboard_id = ? ORDER BY principal_kind, principal_id', assertId(dashboardId, 'dashboardId')).map(toDashboardGrant)),
    setGrant: (dashboardId, principal, role) =>
      op(() => {
        const did = assertId(dashboardId, 'dashboardId');
        const p = assertPrincipal(principal);
        const r = checkRole(role);
        return tx(() => {
          if (!exists('dashboards', did)) throw notFound('dashboard');
          assertPrincipalExists(p);
          const t = nowMs();
          run(
            `INSERT INTO dashboard_grants (dashboard_id, principal_kind, principal_id, role, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)
             ON CONFLICT (dashboard_id, principal_kind, principal_id) DO UPDATE SET role = excluded.role, updated_at = excluded.updated_at`,
            did, p.kind, p.id, r, t, t,
          );
          return toDashboardGrant(one('SELECT * FROM dashboard_grants WHERE dashboard_id = ? AND principal_kind = ? AND principal_id = ?', did, p.kind, p.id) as Row);
        });
      }),
    removeGrant: (dashboardId, principal) =>
      op(() => {
        const did = assertId(dashboardId, 'dashboardId');
        const p = assertPrincipal(principal);
        return run('DELETE FROM dashboard_grants WHERE dashboard_id = ? AND principal_kind = ? AND principal_id = ?', did, p.kind, p.id) === 1;
      }),
  };

  // ------------------------------------------------------------ charts
  const toChart = (r: Row): Chart => ({
    id: str(r, 'id'),
    projectId: str(r, 'project_id'),
    dashboardId: str(r, 'dashboard_id'),
    title: str(r, 'title'),
    code: str(r, 'code'),
    lang: str(r, 'lang') as ChartLang,
    datasetId: optStr(r, 'dataset_id'),
    diagnostics: parseJson(str(r, 'diagnostics')),
    codeHash: str(r, 'code_hash'),
    createdAt: date(r, 'created_at'),
    updatedAt: date(r, 'updated_at'),
    version: num(r, 'version'),
  });
  const getChart = (id: string): Chart | null => {
    const r = one('SELECT * FROM charts WHERE id = ?', id);
    return r === undefined ? null : toChart(r);
  };
  const assertDatasetInProject = (datasetId: string, projectId: string): void => {
    if (one('SELECT 1 AS x FROM datasets WHERE id = ? AND project_id = ?', datasetId, projectId) === undefined) throw notFound('dataset');
  };
  const charts: Store['charts'] = {
    create: (input) =>
      op(() => {
        const c = checkNewChart(input);
        return tx(() => {
          const d = one('SELECT project_id FROM dashboards WHERE id = ?', c.dashboardId);
          if (d === undefined) throw notFound('dashboard');
          const projectId = str(d, 'project_id');
          if (c.datasetId !== null) assertDatasetInProject(c.datasetId, projectId);
          const id = newId();
          const t = nowMs();
          run(
            `INSERT INTO charts (id, project_id, dashboard_id, title, code, lang, dataset_id, diagnostics, code_hash, created_at, updated_at, version)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)`,
            id, projectId, c.dashboardId, c.title, c.code, c.lang, c.datasetId, c.diagnostics, c.codeHash, t, t,
          );
          return getChart(id) as Chart;
        });
      }),
    findById: (id) => op(() => getChart(assertId(id, 'id'))),
    listByDashboard: (dashboardId, page) =>
      op(() => paged('charts', 'SELECT * FROM charts WHERE dashboard_id = ?', [assertId(dashboardId, 'dashboardId')], 'created_at', 'id', page, toChart, POS_CREATED)),
    update: (id, expectedVersion, patch) =>
      op(() => {
        const cid = assertId(id, 'id');
        const v = checkVersion(expectedVersion);
        const c = checkChartPatch(patch);
        return tx(() => {
          const cur = one('SELECT * FROM charts WHERE id = ?', cid);
          if (cur === undefined) throw notFound('chart');
          if (num(cur, 'version') !== v) throw versionMismatch('chart');
          if (c.datasetId !== undefined && c.datasetId !== null) assertDatasetInProject(c.datasetId, str(cur, 'project_id'));
          run(
            'UPDATE charts SET title = ?, code = ?, lang = ?, dataset_id = ?, diagnostics = ?, code_hash = ?, updated_at = ?, version = version + 1 WHERE id = ?',
            c.title ?? str(cur, 'title'),
            c.code ?? str(cur, 'code'),
            c.lang ?? str(cur, 'lang'),
            c.datasetId === undefined ? optStr(cur, 'dataset_id') : c.datasetId,
            c.diagnostics ?? str(cur, 'diagnostics'),
            c.codeHash ?? str(cur, 'code_hash'),
            nowMs(),
            cid,
          );
          return getChart(cid) as Chart;
        });
      }),
    delete: (id) => op(() => run('DELETE FROM charts WHERE id = ?', assertId(id, 'id')) === 1),
  };

  // ------------------------------------------------------------ datasets
  const toDataset = (r: Row): Dataset => ({
    id: str(r, 'id'),
    projectId: str(r, 'project_id'),
    name: str(r, 'name'),
    currentVersionId: optStr(r, 'current_version_id'),
    createdAt: date(r, 'created_at'),
    updatedAt: date(r, 'updated_at'),
    version: num(r, 'version'),
  });
  const getDataset = (id: string): Dataset | null => {
    const r = one('SELECT * FROM datasets WHERE id = ?', id);
    return r === undefined ? null : toDataset(r);
  };
  const toVersion = (r: Row): DatasetVersion => ({
    id: str(r, 'id'),
    datasetId: str(r, 'dataset_id'),
    sha256: str(r, 'sha256'),
    blobKey: str(r, 'blob_key'),
    bytes: num(r, 'bytes'),
    rowCount: num(r, 'row_count'),
    schema: parseJson(str(r, 'schema_json')),
    profile: parseJson(str(r, 'profile_json')),
    createdAt: date(r, 'created_at'),
    createdBy: str(r, 'created_by'),
  });
  const getVersion = (id: string): DatasetVersion | null => {
    const r = one('SELECT * FROM dataset_versions WHERE id = ?', id);
    return r === undefined ? null : toVersion(r);
  };
  const datasets: Store['datasets'] = {
    create: (input) =>
      op(() => {
        const c = checkNewDataset(input);
        return tx(() => {
          if (!exists('projects', c.projectId)) throw notFound('project');
          const id = newId();
          const t = nowMs();
          run('INSERT INTO datasets (id, project_id, name, created_at, updated_at, version) VALUES (?, ?, ?, ?, ?, 1)', id, c.projectId, c.name, t, t);
          return getDataset(id) as Dataset;
        });
      }),
    findById: (id) => op(() => getDataset(assertId(id, 'id'))),
    findByName: (projectId, name) =>
      op(() => {
        const r = one('SELECT * FROM datasets WHERE project_id = ? AND name = ?', assertId(projectId, 'projectId'), checkName(name));
        return r === undefined ? null : toDataset(r);
      }),
    listByProject: (projectId, page) =>
      op(() => paged('datasets', 'SELECT * FROM datasets WHERE project_id = ?', [assertId(projectId, 'projectId')], 'created_at', 'id', page, toDataset, POS_CREATED)),
    rename: (id, expectedVersion, name) =>
      op(() => {
        const did = assertId(id, 'id');
        const v = checkVersion(expectedVersion);
        const n = checkName(name);
        return tx(() => {
          const cur = one('SELECT version FROM datasets WHERE id = ?', did);
          if (cur === undefined) throw notFound('dataset');
          if (num(cur, 'version') !== v) throw versionMismatch('dataset');
          run('UPDATE datasets SET name = ?, updated_at = ?, version = version + 1 WHERE id = ?', n, nowMs(), did);
          return getDataset(did) as Dataset;
        });
      }),
    createWithVersion: (input) =>
      op(() => {
        const c = checkNewDatasetWithVersion(input);
        // One transaction: the name is never taken by a dataset without its data.
        return tx(() => {
          if (!exists('projects', c.projectId)) throw notFound('project');
          const did = newId();
          const vid = newId();
          const t = nowMs();
          const v = c.version;
          run('INSERT INTO datasets (id, project_id, name, current_version_id, created_at, updated_at, version) VALUES (?, ?, ?, NULL, ?, ?, 1)', did, c.projectId, c.name, t, t);
          run(
            `INSERT INTO dataset_versions (id, dataset_id, sha256, blob_key, bytes, row_count, schema_json, profile_json, created_at, created_by)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
            vid, did, v.sha256, v.blobKey, v.bytes, v.rowCount, v.schema, v.profile, t, v.createdBy,
          );
          run('UPDATE datasets SET current_version_id = ? WHERE id = ?', vid, did);
          return { dataset: getDataset(did) as Dataset, version: getVersion(vid) as DatasetVersion };
        });
      }),
    versionBlobKeys: (projectId) =>
      op(() =>
        all('SELECT v.blob_key FROM dataset_versions v JOIN datasets d ON d.id = v.dataset_id WHERE d.project_id = ?', assertId(projectId, 'projectId')).map((r) => str(r, 'blob_key')),
      ),
    removeIncomplete: (olderThan) =>
      op(() => {
        const cutoff = assertDate(olderThan, 'olderThan');
        return tx(() => {
          // Foreign keys make orphan versions impossible here; the query stays for databases
          // written with foreign keys off.
          const orphans = all('SELECT id, blob_key FROM dataset_versions WHERE created_at < ? AND dataset_id NOT IN (SELECT id FROM datasets)', cutoff);
          for (const r of orphans) run('DELETE FROM dataset_versions WHERE id = ?', str(r, 'id'));
          const empty = all('SELECT id FROM datasets WHERE created_at < ? AND current_version_id IS NULL AND NOT EXISTS (SELECT 1 FROM dataset_versions v WHERE v.dataset_id = datasets.id)', cutoff);
          for (const r of empty) run('DELETE FROM datasets WHERE id = ?', str(r, 'id'));
          return { datasets: empty.length, versions: orphans.length, blobKeys: orphans.map((r) => str(r, 'blob_key')) };
        });
      }),
    addVersion: (datasetId, input) =>
      op(() => {
        const did = assertId(datasetId, 'datasetId');
        const c = checkNewDatasetVersion(input);
        return tx(() => {
          if (!exists('datasets', did)) throw notFound('dataset');
          const id = newId();
          const t = nowMs();
          run(
            `INSERT INTO dataset_versions (id, dataset_id, sha256, blob_key, bytes, row_count, schema_json, profile_json, created_at, created_by)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
            id, did, c.sha256, c.blobKey, c.bytes, c.rowCount, c.schema, c.profile, t, c.createdBy,
          );
          run('UPDATE datasets SET current_version_id = ?, updated_at = ?, version = version + 1 WHERE id = ?', id, t, did);
          return { dataset: getDataset(did) as Dataset, version: getVersion(id) as DatasetVersion };
        });
      }),
    findVersion: (id) => op(() => getVersion(assertId(id, 'id'))),
    setCurrentVersion: (datasetId, versionId, expectedVersion) =>
      op(() => {
        const did = assertId(datasetId, 'datasetId');
        const vid = assertId(versionId, 'versionId');
        const v = expectedVersion === undefined ? undefined : checkVersion(expectedVersion);
        return tx(() => {
          const cur = one('SELECT version FROM datasets WHERE id = ?', did);
          if (cur === undefined) throw notFound('dataset');
          if (one('SELECT 1 AS x FROM dataset_versions WHERE id = ? AND dataset_id = ?', vid, did) === undefined) throw notFound('dataset_version');
          if (v !== undefined && num(cur, 'version') !== v) throw versionMismatch('dataset');
          run('UPDATE datasets SET current_version_id = ?, updated_at = ?, version = version + 1 WHERE id = ?', vid, nowMs(), did);
          return getDataset(did) as Dataset;
        });
      }),
    listVersions: (datasetId, page) =>
      op(() =>
        paged('dataset_versions', 'SELECT * FROM dataset_versions WHERE dataset_id = ?', [assertId(datasetId, 'datasetId')], 'created_at', 'id', page, toVersion, POS_CREATED),
      ),
    delete: (id) =>
      op(() => {
        const did = assertId(id, 'id');
        return tx(() => {
          if (!exists('datasets', did)) return null;
          const blobKeys = all('SELECT blob_key FROM dataset_versions WHERE dataset_id = ? ORDER BY created_at, id', did).map((r) => str(r, 'blob_key'));
          run('DELETE FROM datasets WHERE id = ?', did);
          return { blobKeys };
        });
      }),
  };

  // ------------------------------------------------------------ render cache
  const toEntry = (r: Row): RenderCacheEntry => {
    const figure = optStr(r, 'figure');
    return {
      key: { codeHash: str(r, 'code_hash'), datasetVersionId: str(r, 'dataset_version_id'), runtimeVersion: str(r, 'runtime_version') },
      figure: figure === null ? null : parseJson(figure),
      blobKey: optStr(r, 'blob_key'),
      createdAt: date(r, 'created_at'),
      expiresAt: date(r, 'expires_at'),
    };
  };
  const renderCache: Store['renderCache'] = {
    get: (key) =>
      op(() => {
        const k = checkRenderCacheKey(key);
        const r = one(
          'SELECT * FROM render_cache WHERE code_hash = ? AND dataset_version_id = ? AND runtime_version = ? AND expires_at > ?',
          k.codeHash, k.datasetVersionId, k.runtimeVersion, nowMs(),
        );
        return r === undefined ? null : toEntry(r);
      }),
    put: (key, value) =>
      op(() => {
        const k = checkRenderCacheKey(key);
        const v = checkRenderValue(value);
        const t = nowMs();
        const r = one(
          `INSERT INTO render_cache (code_hash, dataset_version_id, runtime_version, figure, blob_key, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (code_hash, dataset_version_id, runtime_version) DO UPDATE SET
             figure = excluded.figure, blob_key = excluded.blob_key, created_at = excluded.created_at, expires_at = excluded.expires_at
           RETURNING *`,
          k.codeHash, k.datasetVersionId, k.runtimeVersion, v.figure, v.blobKey, t, t + cacheOptions.ttlMs,
        );
        return toEntry(r as Row);
      }),
    prune: () =>
      op(() =>
        tx(() => {
          const t = nowMs();
          const blobKeys: string[] = [];
          const collect = (rows: Row[]) => {
            for (const r of rows) {
              const b = optStr(r, 'blob_key');
              if (b !== null) blobKeys.push(b);
            }
          };
          collect(all('SELECT blob_key FROM render_cache WHERE expires_at <= ? AND blob_key IS NOT NULL', t));
          let removed = run('DELETE FROM render_cache WHERE expires_at <= ?', t);
          const excess = num(one('SELECT COUNT(*) AS n FROM render_cache') as Row, 'n') - cacheOptions.maxEntries;
          if (excess > 0) {
            const victims = 'SELECT rowid FROM render_cache ORDER BY created_at, rowid LIMIT ?';
            collect(all(`SELECT blob_key FROM render_cache WHERE rowid IN (${victims}) AND blob_key IS NOT NULL`, excess));
            removed += run(`DELETE FROM render_cache WHERE rowid IN (${victims})`, excess);
          }
          return { removed, blobKeys };
        }),
      ),
  };

  // ------------------------------------------------------------ audit
  const auditActor = (kind: ActorKind, userId: string | null, keyId: string | null, keyName: string | null): AuditEvent['actor'] =>
    keyId === null ? { kind, userId } : { kind, userId, apiKey: { id: keyId, name: keyName ?? '' } };
  const toEvent = (r: Row): AuditEvent => {
    const targetType = optStr(r, 'target_type');
    return {
      id: str(r, 'id'),
      at: date(r, 'at'),
      actor: auditActor(str(r, 'actor_kind') as ActorKind, optStr(r, 'actor_user_id'), optStr(r, 'actor_api_key_id'), optStr(r, 'actor_api_key_name')),
      ip: optStr(r, 'ip'),
      action: str(r, 'action'),
      target: targetType === null ? null : { type: targetType, id: optStr(r, 'target_id') },
      outcome: str(r, 'outcome') as AuditOutcome,
      requestId: optStr(r, 'request_id'),
      details: parseJson(str(r, 'details')) as AuditEvent['details'],
    };
  };
  const audit: Store['audit'] = {
    append: (input) =>
      op(() => {
        const c = checkNewAuditEvent(input);
        const id = newId();
        const r = one(
          `INSERT INTO audit_events (id, at, actor_kind, actor_user_id, actor_api_key_id, actor_api_key_name, ip, action, target_type, target_id, outcome, request_id, details)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *`,
          id, nowMs(), c.actorKind, c.actorUserId, c.actorApiKey?.id ?? null, c.actorApiKey?.name ?? null, c.ip, c.action, c.target?.type ?? null, c.target?.id ?? null, c.outcome, c.requestId, c.details,
        );
        return toEvent(r as Row);
      }),
    query: (filter, page) =>
      op(() => {
        const f = checkAuditFilter(filter);
        const where: string[] = ['1 = 1'];
        const ps: SQLInputValue[] = [];
        const add = (clause: string, value: SQLInputValue) => {
          where.push(clause);
          ps.push(value);
        };
        if (f.action !== null) add('action = ?', f.action);
        if (f.actorUserId !== null) add('actor_user_id = ?', f.actorUserId);
        if (f.targetType !== null) add('target_type = ?', f.targetType);
        if (f.outcome !== null) add('outcome = ?', f.outcome);
        if (f.since !== null) add('at >= ?', f.since);
        if (f.until !== null) add('at < ?', f.until);
        // json_extract reads a JSON true as 1.
        if (f.excludeCached) where.push(`json_extract(details, '$.cached') IS NOT 1`);
        const pos = (e: AuditEvent): CursorPosition => ({ t: e.at.getTime(), id: e.id });
        if (!f.newestFirst) return paged('audit', `SELECT * FROM audit_events WHERE ${where.join(' AND ')}`, ps, 'at', 'id', page, toEvent, pos);
        const { limit, cursor } = assertPage(page);
        if (cursor !== undefined) {
          const c = decodeCursor('audit-desc', cursor);
          where.push('(at < ? OR (at = ? AND id < ?))');
          ps.push(c.t, c.t, c.id);
        }
        return toPage(all(`SELECT * FROM audit_events WHERE ${where.join(' AND ')} ORDER BY at DESC, id DESC LIMIT ?`, ...ps, limit + 1).map(toEvent), limit, 'audit-desc', pos);
      }),
  };

  // ------------------------------------------------------------ counters
  const toFailureState = (r: Row): LoginFailureState => ({
    failures: num(r, 'failures'),
    lastFailureAt: date(r, 'last_failure_at'),
    lockedUntil: optDate(r, 'locked_until'),
  });
  const counters: Store['counters'] = {
    hit: (key, windowMs) =>
      op(() => {
        const k = checkCounterKey(key);
        const w = checkWindowMs(windowMs);
        const t = nowMs();
        // One statement: concurrent replicas (processes on the same file) never lose a hit.
        const r = q(
          `INSERT INTO rate_windows (key, count, reset_at) VALUES (:key, 1, :reset)
           ON CONFLICT (key) DO UPDATE SET
             count = CASE WHEN rate_windows.reset_at <= :now THEN 1 ELSE rate_windows.count + 1 END,
             reset_at = CASE WHEN rate_windows.reset_at <= :now THEN :reset ELSE rate_windows.reset_at END
           RETURNING count, reset_at`,
        ).get({ key: k, reset: t + w, now: t }) as Row;
        return { count: num(r, 'count'), resetAt: date(r, 'reset_at') };
      }),
    resetWindow: (key) =>
      op(() => {
        run('DELETE FROM rate_windows WHERE key = ?', checkCounterKey(key));
      }),
    recordLoginFailure: (accountKey, policy) =>
      op(() => {
        const k = checkCounterKey(accountKey, 'accountKey');
        const p = assertLoginFailurePolicy(policy);
        return tx(() => {
          const t = nowMs();
          const r = one('SELECT * FROM login_failures WHERE account_key = ? AND expires_at > ?', k, t);
          const result = nextLoginFailureState(r === undefined ? null : toFailureState(r), new Date(t), p);
          if (result.outcome !== 'already_locked') {
            const s = result.state;
            run(
              `INSERT INTO login_failures (account_key, failures, last_failure_at, locked_until, expires_at) VALUES (?, ?, ?, ?, ?)
               ON CONFLICT (account_key) DO UPDATE SET failures = excluded.failures, last_failure_at = excluded.last_failure_at,
                 locked_until = excluded.locked_until, expires_at = excluded.expires_at`,
              k, s.failures, s.lastFailureAt.getTime(), s.lockedUntil?.getTime() ?? null, loginFailureExpiry(s, p),
            );
          }
          return result;
        });
      }),
    getLoginFailures: (accountKey) =>
      op(() => {
        const r = one('SELECT * FROM login_failures WHERE account_key = ? AND expires_at > ?', checkCounterKey(accountKey, 'accountKey'), nowMs());
        return r === undefined ? null : toFailureState(r);
      }),
    clearLoginFailures: (accountKey) =>
      op(() => {
        run('DELETE FROM login_failures WHERE account_key = ?', checkCounterKey(accountKey, 'accountKey'));
      }),
    prune: () =>
      op(() =>
        tx(() => {
          const t = nowMs();
          return run('DELETE FROM rate_windows WHERE reset_at <= ?', t) + run('DELETE FROM login_failures WHERE expires_at <= ?', t);
        }),
      ),
  };

  // ------------------------------------------------------------ settings
  const toSetting = (r: Row): SettingRecord => ({ key: str(r, 'key'), value: parseJson(str(r, 'value')), updatedAt: date(r, 'updated_at'), expiresAt: optDate(r, 'expires_at') });
  const liveSetting = (key: string, t: number): Row | undefined => one('SELECT * FROM settings WHERE key = ? AND (expires_at IS NULL OR expires_at > ?)', key, t);
  const upsertSetting = (key: string, v: { readonly value: string; readonly expiresAt: number | null }, t: number): SettingRecord =>
    toSetting(
      q(
        `INSERT INTO settings (key, value, updated_at, expires_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at, expires_at = excluded.expires_at
         RETURNING *`,
      ).get(key, v.value, t, v.expiresAt) as Row,
    );
  const settings: Store['settings'] = {
    get: (key) =>
      op(() => {
        const r = liveSetting(checkSettingKey(key), nowMs());
        return r === undefined ? null : toSetting(r);
      }),
    put: (key, value, options) => op(() => upsertSetting(checkSettingKey(key), checkSettingInput(value, options), nowMs())),
    putIfAbsent: (key, value, options) =>
      op(() => {
        const k = checkSettingKey(key);
        const v = checkSettingInput(value, options);
        // One transaction: of two replicas racing, the second sees the first's record.
        return tx(() => {
          const t = nowMs();
          const live = liveSetting(k, t);
          if (live !== undefined) return { record: toSetting(live), created: false };
          return { record: upsertSetting(k, v, t), created: true };
        });
      }),
    delete: (key) => op(() => run('DELETE FROM settings WHERE key = ? AND (expires_at IS NULL OR expires_at > ?)', checkSettingKey(key), nowMs()) > 0),
    prune: () => op(() => run('DELETE FROM settings WHERE expires_at IS NOT NULL AND expires_at <= ?', nowMs())),
  };

  return {
    appliedMigrations,
    users,
    sessions,
    apiKeys,
    groups,
    projects,
    dashboards,
    charts,
    datasets,
    renderCache,
    audit,
    counters,
    settings,
    ping: () =>
      op(() => {
        one('SELECT 1 AS x');
      }),
    close: () => {
      if (closed) return Promise.resolve();
      closed = true;
      statements.clear();
      try {
        if (ownsDb) db.close();
        return Promise.resolve();
      } catch (error) {
        return Promise.reject(mapError(error));
      }
    },
  };
}
