/** The sessions repository on MongoDB: `sessions` and `refresh_tokens` (`_id` = the token hash). */
import type { Filter } from 'mongodb';
import { SESSION_INPUTS, assembleRepository, byCreatedAt, notFound } from '@plotbox/store';
import type { RefreshToken, RotateRefreshResult, Session, SessionRepository } from '@plotbox/store';
import type { RefreshTokenDoc, SessionDoc } from '../documents.ts';
import type { MongoHandle } from '../handle.ts';
import { existsIn, findOne, paged } from '../queries.ts';

function toSession(d: SessionDoc): Session {
  return {
    id: d._id,
    userId: d.userId,
    createdAt: d.createdAt,
    lastSeenAt: d.lastSeenAt,
    absoluteExpiresAt: d.absoluteExpiresAt,
    idleExpiresAt: d.idleExpiresAt,
    revokedAt: d.revokedAt,
    revokeReason: d.revokeReason,
    userAgent: d.userAgent,
    ip: d.ip,
    mfaPending: d.mfaPending,
    passwordChangeRequired: d.passwordChangeRequired ?? false,
  };
}

function toToken(d: RefreshTokenDoc): RefreshToken {
  return { tokenHash: d._id, sessionId: d.sessionId, familyId: d.familyId, createdAt: d.createdAt, usedAt: d.usedAt, expiresAt: d.expiresAt };
}

const liveFilter = (id: string, t: Date): Filter<SessionDoc> => ({ _id: id, revokedAt: null, absoluteExpiresAt: { $gt: t }, idleExpiresAt: { $gt: t } });
/** Pipeline update: only Dates are embedded, never caller strings (which could read as `$field`). */
const touchUpdate = (t: Date, idle: Date) => [{ $set: { lastSeenAt: t, idleExpiresAt: { $min: [idle, '$absoluteExpiresAt'] } } }];
const isLive = (s: SessionDoc, t: Date): boolean => s.revokedAt === null && s.absoluteExpiresAt > t && s.idleExpiresAt > t;

export function createSessionsRepository(h: MongoHandle): SessionRepository {
  const { sessions, refreshTokens: tokens } = h.c;

  /** Why the old token of a rotation could not be used. */
  const refusal = async (token: RefreshTokenDoc | null): Promise<RotateRefreshResult> => {
    if (token === null) return { status: 'not_found' };
    if (token.usedAt !== null) {
      const s = await sessions.findOne({ _id: token.sessionId }, { projection: { userId: 1 } });
      return { status: 'reused', sessionId: token.sessionId, familyId: token.familyId, userId: s?.userId ?? '', usedAt: token.usedAt };
    }
    return { status: 'expired', sessionId: token.sessionId };
  };

  return assembleRepository(SESSION_INPUTS, h.op, {
    create: async (c) => {
      if (!(await existsIn(h.c.users, c.userId))) throw notFound('user');
      const t = h.now();
      const doc: SessionDoc = {
        _id: h.newId(),
        userId: c.userId,
        createdAt: t,
        lastSeenAt: t,
        absoluteExpiresAt: new Date(c.absoluteExpiresAt),
        idleExpiresAt: new Date(c.idleExpiresAt),
        revokedAt: null,
        revokeReason: null,
        userAgent: c.userAgent,
        ip: c.ip,
        mfaPending: c.mfaPending,
        passwordChangeRequired: c.passwordChangeRequired,
      };
      await sessions.insertOne(doc);
      return toSession(doc);
    },
    findById: (id) => findOne(sessions, { _id: id }, toSession),
    listByUser: ({ userId, page }) => paged(sessions, { filter: { userId }, timeField: 'createdAt', map: toSession, position: byCreatedAt }, page),
    touch: async ({ id, idleExpiresAt }) => {
      const t = h.now();
      return (await sessions.updateOne(liveFilter(id, t), touchUpdate(t, new Date(idleExpiresAt)))).matchedCount === 1;
    },
    completeMfa: async (id) => (await sessions.updateOne(liveFilter(id, h.now()), { $set: { mfaPending: false } })).matchedCount === 1,
    revoke: async ({ id, reason }) => (await sessions.updateOne({ _id: id, revokedAt: null }, { $set: { revokedAt: h.now(), revokeReason: reason } })).modifiedCount === 1,
    revokeAllForUser: async ({ userId, reason, exceptSessionId }) => {
      const filter: Filter<SessionDoc> = exceptSessionId === null ? { userId, revokedAt: null } : { userId, revokedAt: null, _id: { $ne: exceptSessionId } };
      return (await sessions.updateMany(filter, { $set: { revokedAt: h.now(), revokeReason: reason } })).modifiedCount;
    },
    createRefreshToken: async (c) => {
      if (!(await existsIn(sessions, c.sessionId))) throw notFound('session');
      const doc: RefreshTokenDoc = { _id: c.tokenHash, sessionId: c.sessionId, familyId: c.familyId, createdAt: h.now(), usedAt: null, expiresAt: new Date(c.expiresAt) };
      await tokens.insertOne(doc);
      return toToken(doc);
    },
    findRefreshToken: (hash) => findOne(tokens, { _id: hash }, toToken),
    rotateRefresh: async ({ oldHash, next }): Promise<RotateRefreshResult> => {
      const t = h.now();
      const token = await tokens.findOne({ _id: oldHash });
      if (token === null || token.usedAt !== null || token.expiresAt <= t) return refusal(token);
      const session = await sessions.findOne({ _id: token.sessionId });
      if (session === null || !isLive(session, t)) return { status: 'session_ended', sessionId: token.sessionId };
      // Insert the successor first (a duplicate hash fails here and changes nothing), then claim
      // the old token with one conditional update: of concurrent rotations exactly one matches.
      const successor: RefreshTokenDoc = { _id: next.tokenHash, sessionId: token.sessionId, familyId: token.familyId, createdAt: t, usedAt: null, expiresAt: new Date(next.expiresAt) };
      await tokens.insertOne(successor);
      const claimed = await tokens.findOneAndUpdate({ _id: oldHash, usedAt: null, expiresAt: { $gt: t } }, { $set: { usedAt: t } });
      if (claimed === null) {
        await tokens.deleteOne({ _id: next.tokenHash });
        return refusal(await tokens.findOne({ _id: oldHash }));
      }
      const updated =
        next.idleExpiresAt === null ? session : ((await sessions.findOneAndUpdate({ _id: token.sessionId }, touchUpdate(t, new Date(next.idleExpiresAt)), { returnDocument: 'after' })) ?? session);
      return { status: 'rotated', token: toToken(successor), session: toSession(updated) };
    },
  });
}
