/** The sessions repository on SQLite: `sessions` and `refresh_tokens`. */
import { SESSION_INPUTS, assembleRepository, byCreatedAt, notFound } from '@plotbox/store';
import type { RefreshToken, Session, SessionRepository } from '@plotbox/store';
import type { SqliteHandle } from '../handle.ts';
import { exists, insertUnder, paged } from '../queries.ts';
import { bool, date, optDate, optStr, str } from '../rows.ts';
import type { Row } from '../rows.ts';

function toSession(r: Row): Session {
  return {
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
    mfaPending: bool(r, 'mfa_pending'),
    passwordChangeRequired: bool(r, 'password_change_required'),
  };
}

function toToken(r: Row): RefreshToken {
  return {
    tokenHash: str(r, 'token_hash'),
    sessionId: str(r, 'session_id'),
    familyId: str(r, 'family_id'),
    createdAt: date(r, 'created_at'),
    usedAt: optDate(r, 'used_at'),
    expiresAt: date(r, 'expires_at'),
  };
}

/** A live session: not revoked, before both expiries (bind the time twice). */
const LIVE = 'revoked_at IS NULL AND absolute_expires_at > ? AND idle_expires_at > ?';
/** Seen now, idle expiry moved but never past the absolute one (bind now, idle expiry, id). */
const TOUCH = 'UPDATE sessions SET last_seen_at = ?, idle_expires_at = MIN(?, absolute_expires_at) WHERE id = ?';
const INSERT_TOKEN = 'INSERT INTO refresh_tokens (token_hash, session_id, family_id, created_at, expires_at) VALUES (?, ?, ?, ?, ?)';

export function createSessionsRepository(h: SqliteHandle): SessionRepository {
  const getSession = (id: string): Session | null => h.find(toSession, 'SELECT * FROM sessions WHERE id = ?', id);
  const getToken = (hash: string): RefreshToken | null => h.find(toToken, 'SELECT * FROM refresh_tokens WHERE token_hash = ?', hash);

  return assembleRepository(SESSION_INPUTS, h.op, {
    create: (c) => {
      const { id } = insertUnder(h, { table: 'users', id: c.userId, entity: 'user' }, (sid, t) =>
        h.run(
          `INSERT INTO sessions (id, user_id, created_at, last_seen_at, absolute_expires_at, idle_expires_at, user_agent, ip, mfa_pending, password_change_required)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          sid,
          c.userId,
          t,
          t,
          c.absoluteExpiresAt,
          c.idleExpiresAt,
          c.userAgent,
          c.ip,
          c.mfaPending ? 1 : 0,
          c.passwordChangeRequired ? 1 : 0,
        ),
      );
      return getSession(id) as Session;
    },
    findById: (id) => getSession(id),
    listByUser: ({ userId, page }) => paged(h, { base: 'SELECT * FROM sessions WHERE user_id = ?', params: [userId], timeColumn: 'created_at', map: toSession, position: byCreatedAt }, page),
    touch: ({ id, idleExpiresAt }) => {
      const t = h.nowMs();
      return h.run(`${TOUCH} AND ${LIVE}`, t, idleExpiresAt, id, t, t) === 1;
    },
    completeMfa: (id) => {
      const t = h.nowMs();
      return h.run(`UPDATE sessions SET mfa_pending = 0 WHERE id = ? AND ${LIVE}`, id, t, t) === 1;
    },
    revoke: ({ id, reason }) => h.run('UPDATE sessions SET revoked_at = ?, revoke_reason = ? WHERE id = ? AND revoked_at IS NULL', h.nowMs(), reason, id) === 1,
    revokeAllForUser: ({ userId, reason, exceptSessionId }) =>
      h.run('UPDATE sessions SET revoked_at = ?, revoke_reason = ? WHERE user_id = ? AND revoked_at IS NULL AND (? IS NULL OR id <> ?)', h.nowMs(), reason, userId, exceptSessionId, exceptSessionId),
    createRefreshToken: (c) =>
      h.tx(() => {
        if (!exists(h, 'sessions', c.sessionId)) throw notFound('session');
        h.run(INSERT_TOKEN, c.tokenHash, c.sessionId, c.familyId, h.nowMs(), c.expiresAt);
        return getToken(c.tokenHash) as RefreshToken;
      }),
    findRefreshToken: (hash) => getToken(hash),
    rotateRefresh: ({ oldHash, next }) =>
      h.tx(() => {
        const t = h.nowMs();
        // The conditional UPDATE is the race guard: only one caller can flip used_at from NULL.
        const won = h.run('UPDATE refresh_tokens SET used_at = ? WHERE token_hash = ? AND used_at IS NULL AND expires_at > ?', t, oldHash, t) === 1;
        const token = getToken(oldHash);
        if (token === null) return { status: 'not_found' } as const;
        if (!won) {
          if (token.usedAt !== null) {
            const s = getSession(token.sessionId);
            return { status: 'reused', sessionId: token.sessionId, familyId: token.familyId, userId: s?.userId ?? '', usedAt: token.usedAt } as const;
          }
          return { status: 'expired', sessionId: token.sessionId } as const;
        }
        const live = h.one(`SELECT 1 AS x FROM sessions WHERE id = ? AND ${LIVE}`, token.sessionId, t, t) !== undefined;
        if (!live) return { status: 'session_ended', sessionId: token.sessionId } as const;
        h.run(INSERT_TOKEN, next.tokenHash, token.sessionId, token.familyId, t, next.expiresAt);
        if (next.idleExpiresAt !== null) h.run(TOUCH, t, next.idleExpiresAt, token.sessionId);
        return { status: 'rotated', token: getToken(next.tokenHash) as RefreshToken, session: getSession(token.sessionId) as Session } as const;
      }),
  });
}
