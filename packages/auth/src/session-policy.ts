/**
 * Session lifetime rules (SPEC §4): idle timeout, absolute timeout, and how far a refresh may
 * push expiry — never past the absolute lifetime. Pure functions of the session and `now`.
 */
import { AuthError } from './auth-error.ts';

export interface SessionPolicyOptions {
  /** A session unused for this long is over. Default 60 min. */
  readonly idleTtlMs?: number;
  /** A session is over this long after it began, whatever happens. Default 30 days. */
  readonly absoluteTtlMs?: number;
  /** Lifetime of one refresh token. Default: `idleTtlMs` (an older one is idle anyway). */
  readonly refreshTtlMs?: number;
  /**
   * A refresh token presented again within this long of its rotation is a concurrent refresh
   * (two tabs, a retried request), not a replay: answered with a new access token but no new
   * refresh token, and the session lives on. Later than this it is reuse, and the session ends.
   * Default 20 s; 0 turns the grace off.
   */
  readonly reuseGraceMs?: number;
}

/** The timestamps of a session the policy needs, ms since the epoch. */
export interface SessionTimes {
  readonly createdAt: number;
  /** Last time the session was used (request or refresh). */
  readonly lastSeenAt: number;
  /** Set when logged out or revoked (password change, admin, refresh-token reuse…). */
  readonly revokedAt?: number | null | undefined;
}

/**
 * `invalid` is for timestamps that are not finite numbers (a corrupt record): the session is
 * refused rather than comparisons with `NaN` quietly letting it live.
 */
export type SessionEndReason = 'idle' | 'absolute' | 'revoked' | 'invalid';

export type SessionEvaluation =
  | { readonly ok: true; /** When the session goes idle if unused, ms. */ readonly idleExpiresAt: number; readonly absoluteExpiresAt: number }
  | { readonly ok: false; readonly reason: SessionEndReason };

export interface SessionPolicy {
  readonly idleTtlMs: number;
  readonly absoluteTtlMs: number;
  readonly refreshTtlMs: number;
  readonly reuseGraceMs: number;
  /** Was a refresh token used at `usedAt` presented again at `now` soon enough to be a concurrent refresh? */
  isConcurrentRefresh(usedAt: number, now: number): boolean;
  /** Is the session still live at `now`? Revocation wins, then absolute, then idle. */
  evaluateSession(session: SessionTimes, now: number): SessionEvaluation;
  /** The absolute end of a session that began at `createdAt`. */
  absoluteExpiresAt(createdAt: number): number;
  /**
   * Expiry of a refresh token issued at `now` for a session that began at `createdAt`:
   * `min(now + refreshTtlMs, createdAt + absoluteTtlMs)`. Refreshing never extends the session.
   */
  refreshExpiresAt(createdAt: number, now: number): number;
}

export const DEFAULT_IDLE_TTL_MS = 60 * 60 * 1000;
export const DEFAULT_ABSOLUTE_TTL_MS = 30 * 24 * 60 * 60 * 1000;
export const DEFAULT_REUSE_GRACE_MS = 20 * 1000;
/** The longest reuse grace accepted: more would let a stolen, already-used token buy access for long. */
export const MAX_REUSE_GRACE_MS = 2 * 60 * 1000;

function positiveMs(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) {
    throw new AuthError('AUTH_CONFIG', `${name} must be a positive integer number of ms`);
  }
  return value;
}

/**
 * Build the session policy.
 * @throws AuthError `AUTH_CONFIG` for non-positive TTLs, or an idle or refresh TTL longer than the
 *   absolute one.
 */
export function createSessionPolicy(options: SessionPolicyOptions = {}): SessionPolicy {
  const idleTtlMs = positiveMs('idleTtlMs', options.idleTtlMs ?? DEFAULT_IDLE_TTL_MS);
  const absoluteTtlMs = positiveMs('absoluteTtlMs', options.absoluteTtlMs ?? DEFAULT_ABSOLUTE_TTL_MS);
  const refreshTtlMs = positiveMs('refreshTtlMs', options.refreshTtlMs ?? idleTtlMs);
  if (idleTtlMs > absoluteTtlMs) throw new AuthError('AUTH_CONFIG', 'idleTtlMs must not exceed absoluteTtlMs');
  if (refreshTtlMs > absoluteTtlMs) throw new AuthError('AUTH_CONFIG', 'refreshTtlMs must not exceed absoluteTtlMs');
  const reuseGraceMs = options.reuseGraceMs ?? DEFAULT_REUSE_GRACE_MS;
  if (!Number.isSafeInteger(reuseGraceMs) || reuseGraceMs < 0 || reuseGraceMs > MAX_REUSE_GRACE_MS) {
    throw new AuthError('AUTH_CONFIG', `reuseGraceMs must be 0..${MAX_REUSE_GRACE_MS} ms`);
  }

  return Object.freeze({
    idleTtlMs,
    absoluteTtlMs,
    refreshTtlMs,
    reuseGraceMs,
    isConcurrentRefresh(usedAt: number, now: number): boolean {
      // A clock behind `usedAt` (replica skew) still counts as concurrent, within the same bound.
      return Number.isFinite(usedAt) && Number.isFinite(now) && Math.abs(now - usedAt) <= reuseGraceMs;
    },
    evaluateSession(session: SessionTimes, now: number): SessionEvaluation {
      const { createdAt, lastSeenAt, revokedAt } = session;
      if (revokedAt !== undefined && revokedAt !== null) return { ok: false, reason: 'revoked' };
      if (!Number.isFinite(createdAt) || !Number.isFinite(lastSeenAt) || !Number.isFinite(now)) {
        return { ok: false, reason: 'invalid' };
      }
      const absoluteExpiresAt = createdAt + absoluteTtlMs;
      if (now >= absoluteExpiresAt) return { ok: false, reason: 'absolute' };
      // A lastSeenAt in the future (clock skew between replicas, a corrupt record) must not
      // stretch the idle window past `now + idleTtlMs`.
      const idleExpiresAt = Math.min(Math.min(lastSeenAt, now) + idleTtlMs, absoluteExpiresAt);
      if (now >= idleExpiresAt) return { ok: false, reason: 'idle' };
      return { ok: true, idleExpiresAt, absoluteExpiresAt };
    },
    absoluteExpiresAt(createdAt: number): number {
      return createdAt + absoluteTtlMs;
    },
    refreshExpiresAt(createdAt: number, now: number): number {
      return Math.min(now + refreshTtlMs, createdAt + absoluteTtlMs);
    },
  });
}
