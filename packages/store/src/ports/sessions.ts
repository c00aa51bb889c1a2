/** Sessions and their refresh tokens. */
import type { Page, PageRequest } from './common.ts';

export interface Session {
  readonly id: string;
  readonly userId: string;
  readonly createdAt: Date;
  readonly lastSeenAt: Date;
  /** Never moved by the store: refreshing never extends the absolute lifetime. */
  readonly absoluteExpiresAt: Date;
  readonly idleExpiresAt: Date;
  readonly revokedAt: Date | null;
  readonly revokeReason: string | null;
  readonly userAgent: string | null;
  readonly ip: string | null;
  /** Password accepted, second factor still due: the session may only complete MFA. */
  readonly mfaPending: boolean;
  /** Signed in with an expired password: the session may only change it. */
  readonly passwordChangeRequired: boolean;
}

export interface NewSession {
  readonly userId: string;
  readonly absoluteExpiresAt: Date;
  /** Capped at `absoluteExpiresAt`. */
  readonly idleExpiresAt: Date;
  readonly userAgent?: string | null;
  readonly ip?: string | null;
  readonly mfaPending?: boolean;
  readonly passwordChangeRequired?: boolean;
}

export interface RefreshToken {
  /** Hash of the opaque token; the token itself is never stored. */
  readonly tokenHash: string;
  readonly sessionId: string;
  /** All tokens rotated from one login share a family (one family per session). */
  readonly familyId: string;
  readonly createdAt: Date;
  readonly usedAt: Date | null;
  readonly expiresAt: Date;
}

export interface NewRefreshToken {
  readonly tokenHash: string;
  readonly sessionId: string;
  /** Defaults to the session id. */
  readonly familyId?: string;
  readonly expiresAt: Date;
}

/** The replacement token of a rotation, and optionally the session's new idle expiry. */
export interface RotateRefreshInput {
  readonly tokenHash: string;
  readonly expiresAt: Date;
  /** When given, the session's `lastSeenAt` becomes now and `idleExpiresAt` this (capped at absolute). */
  readonly idleExpiresAt?: Date;
}

/**
 * Outcome of {@link SessionRepository.rotateRefresh}:
 * - `rotated`: the old token is now used, `token` is the new one;
 * - `reused`: the old token had ALREADY been used: the caller must revoke the session (family) and
 *   audit `refresh_reuse`;
 * - `not_found`: no such token; `expired`: the old token's own expiry passed;
 * - `session_ended`: the session is revoked, idle or past its absolute expiry.
 */
export type RotateRefreshResult =
  | { readonly status: 'rotated'; readonly token: RefreshToken; readonly session: Session }
  | { readonly status: 'reused'; readonly sessionId: string; readonly familyId: string; readonly userId: string; readonly usedAt: Date }
  | { readonly status: 'not_found' }
  | { readonly status: 'expired'; readonly sessionId: string }
  | { readonly status: 'session_ended'; readonly sessionId: string };

export interface SessionRepository {
  /** @throws `STORE_NOT_FOUND` `user`. */
  create(input: NewSession): Promise<Session>;
  findById(id: string): Promise<Session | null>;
  listByUser(userId: string, page: PageRequest): Promise<Page<Session>>;
  /**
   * Mark the session used now and set its idle expiry (capped at absolute). `false` if the session
   * is missing or not live.
   */
  touch(id: string, idleExpiresAt: Date): Promise<boolean>;
  /** Clear `mfaPending` of a live session; `false` if missing or not live. */
  completeMfa(id: string): Promise<boolean>;
  /** Revoke one session; `false` if missing or already revoked (the first reason is kept). */
  revoke(id: string, reason: string): Promise<boolean>;
  /** Revoke every live session of a user, except `exceptSessionId`; returns how many. */
  revokeAllForUser(userId: string, reason: string, options?: { readonly exceptSessionId?: string }): Promise<number>;
  /** @throws `STORE_NOT_FOUND` `session`, `STORE_CONFLICT` `refresh_tokens.token_hash`. */
  createRefreshToken(input: NewRefreshToken): Promise<RefreshToken>;
  findRefreshToken(tokenHash: string): Promise<RefreshToken | null>;
  /**
   * Atomically use `oldHash` and issue `next` in the same family. Succeeds only if the old token
   * exists, is unused and unexpired and its session is live. Race-safe: of two concurrent
   * rotations of one token exactly one is `rotated` and the other `reused`.
   */
  rotateRefresh(oldHash: string, next: RotateRefreshInput): Promise<RotateRefreshResult>;
}

/** Is the session live at `now` (not revoked, before both expiries)? */
export function isSessionLive(session: Session, now: Date): boolean {
  const t = now.getTime();
  return session.revokedAt === null && t < session.absoluteExpiresAt.getTime() && t < session.idleExpiresAt.getTime();
}
