/** Input checks of the sessions repository (sessions and refresh tokens). */
import type { SessionRepository } from '../ports.ts';
import type { InputChecks } from '../repository.ts';
import { checkPage } from '../cursor.ts';
import { assertBoolean, assertDate, assertId, assertKnownKeys, assertObject, assertOptionalString, assertString } from '../validate.ts';
import { FIELD_LIMITS, checkId, checkTokenHash } from './common.ts';

export function checkNewSession(input: unknown) {
  const v = assertObject(input, 'session');
  assertKnownKeys(v, 'session', ['userId', 'absoluteExpiresAt', 'idleExpiresAt', 'userAgent', 'ip', 'mfaPending', 'passwordChangeRequired']);
  const absoluteExpiresAt = assertDate(v.absoluteExpiresAt, 'absoluteExpiresAt');
  return {
    userId: assertId(v.userId, 'userId'),
    absoluteExpiresAt,
    idleExpiresAt: Math.min(assertDate(v.idleExpiresAt, 'idleExpiresAt'), absoluteExpiresAt),
    userAgent: assertOptionalString(v.userAgent, 'userAgent', FIELD_LIMITS.userAgent),
    ip: assertOptionalString(v.ip, 'ip', FIELD_LIMITS.ip),
    mfaPending: v.mfaPending === undefined ? false : assertBoolean(v.mfaPending, 'mfaPending'),
    passwordChangeRequired: v.passwordChangeRequired === undefined ? false : assertBoolean(v.passwordChangeRequired, 'passwordChangeRequired'),
  };
}

export function checkReason(value: unknown): string {
  return assertString(value, 'reason', FIELD_LIMITS.reason, 1);
}

export function checkNewRefreshToken(input: unknown) {
  const v = assertObject(input, 'refreshToken');
  assertKnownKeys(v, 'refreshToken', ['tokenHash', 'sessionId', 'familyId', 'expiresAt']);
  const sessionId = assertId(v.sessionId, 'sessionId');
  return {
    tokenHash: checkTokenHash(v.tokenHash),
    sessionId,
    familyId: v.familyId === undefined ? sessionId : assertId(v.familyId, 'familyId'),
    expiresAt: assertDate(v.expiresAt, 'expiresAt'),
  };
}

export function checkRotateInput(input: unknown) {
  const v = assertObject(input, 'next');
  assertKnownKeys(v, 'next', ['tokenHash', 'expiresAt', 'idleExpiresAt']);
  return {
    tokenHash: checkTokenHash(v.tokenHash, 'next.tokenHash'),
    expiresAt: assertDate(v.expiresAt, 'next.expiresAt'),
    idleExpiresAt: v.idleExpiresAt === undefined ? null : assertDate(v.idleExpiresAt, 'next.idleExpiresAt'),
  };
}

export function checkRevokeAllOptions(options: unknown): { exceptSessionId: string | null } {
  if (options === undefined) return { exceptSessionId: null };
  const v = assertObject(options, 'options');
  assertKnownKeys(v, 'options', ['exceptSessionId']);
  return { exceptSessionId: v.exceptSessionId === undefined ? null : assertId(v.exceptSessionId, 'exceptSessionId') };
}

/** The input check of every {@link SessionRepository} operation; times as epoch ms. */
export const SESSION_INPUTS = {
  create: (input: unknown) => checkNewSession(input),
  findById: (id: unknown) => checkId(id),
  listByUser: (userId: unknown, page: unknown) => ({ userId: assertId(userId, 'userId'), page: checkPage(page, 'sessions') }),
  touch: (id: unknown, idleExpiresAt: unknown) => ({ id: checkId(id), idleExpiresAt: assertDate(idleExpiresAt, 'idleExpiresAt') }),
  completeMfa: (id: unknown) => checkId(id),
  revoke: (id: unknown, reason: unknown) => ({ id: checkId(id), reason: checkReason(reason) }),
  revokeAllForUser: (userId: unknown, reason: unknown, options?: unknown) => ({
    userId: assertId(userId, 'userId'),
    reason: checkReason(reason),
    ...checkRevokeAllOptions(options),
  }),
  createRefreshToken: (input: unknown) => checkNewRefreshToken(input),
  findRefreshToken: (tokenHash: unknown) => checkTokenHash(tokenHash),
  rotateRefresh: (oldHash: unknown, next: unknown) => ({ oldHash: checkTokenHash(oldHash, 'oldHash'), next: checkRotateInput(next) }),
} satisfies InputChecks<SessionRepository>;
