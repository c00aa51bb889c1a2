/**
 * Refreshing a session (SPEC §4): the refresh token is single use and rotated on every use; one
 * presented again revokes the whole session and is audited, unless it comes within moments of its
 * rotation (two tabs, a retried request: `isConcurrentRefresh`), which gets a new access token but
 * no new refresh token. Refreshing never extends the absolute lifetime.
 */
import { hashRefreshToken, isRefreshTokenFormat, newRefreshToken } from '@plotbox/auth';
import { isSessionLive } from '@plotbox/store';
import type { AppContext } from '../context.ts';
import { sessionView } from '../views.ts';
import type { RequestMeta } from '../context.ts';
import type { SessionTokens } from './start-session.ts';

export type RefreshDeps = Pick<AppContext, 'store' | 'config' | 'audit' | 'now' | 'sessionPolicy' | 'tokens'>;

/** How often a refreshing session records account activity (the inactivity sweep). */
const ACTIVITY_EVERY_MS = 3_600_000;

/**
 * Refresh with the refresh token the browser presented. `null`: refused (missing, unknown, used,
 * expired, or its session or user ended); the caller clears the cookies.
 */
export async function refreshSession(deps: RefreshDeps, token: string | undefined, meta: RequestMeta): Promise<SessionTokens | null> {
  if (!isRefreshTokenFormat(token)) return null;
  const oldHash = hashRefreshToken(token as string);
  const existing = await deps.store.sessions.findRefreshToken(oldHash);
  if (existing === null) return null;
  const session = await deps.store.sessions.findById(existing.sessionId);
  if (session === null) return null;
  const now = deps.now().getTime();
  const next = newRefreshToken();
  const refreshExpiresAt = deps.sessionPolicy.refreshExpiresAt(session.createdAt.getTime(), now);
  const result = await deps.store.sessions.rotateRefresh(oldHash, { tokenHash: next.hash, expiresAt: new Date(refreshExpiresAt), idleExpiresAt: new Date(now + deps.config.session.idleMs) });
  if (result.status === 'reused' && deps.sessionPolicy.isConcurrentRefresh(result.usedAt.getTime(), now)) {
    // The other request rotated it moments ago. Not a replay: the session lives on.
    const live = await deps.store.sessions.findById(result.sessionId);
    const owner = live === null ? null : await deps.store.users.findById(live.userId);
    if (live !== null && owner !== null && !owner.disabled && !live.mfaPending && isSessionLive(live, deps.now())) {
      const access = deps.tokens.issueAccessToken({ sub: owner.id, sid: live.id });
      await deps.audit({ action: 'refresh', outcome: 'success', actor: { kind: 'user', userId: owner.id }, target: { type: 'session', id: live.id }, ...meta, details: { concurrent: true } });
      return { view: sessionView(live.id, access.expiresAt, live.absoluteExpiresAt, now), access, refresh: null };
    }
  }
  if (result.status === 'reused') {
    await deps.store.sessions.revoke(result.sessionId, 'refresh_reuse');
    await deps.audit({
      action: 'refresh_reuse',
      outcome: 'denied',
      actor: { kind: 'anonymous', userId: null },
      target: { type: 'session', id: result.sessionId },
      ...meta,
      details: { userId: result.userId },
    });
    return null;
  }
  if (result.status !== 'rotated') return null;
  const user = await deps.store.users.findById(result.session.userId);
  if (user === null || user.disabled) {
    await deps.store.sessions.revoke(result.session.id, 'user_disabled');
    return null;
  }
  if (now - user.lastActiveAt.getTime() >= ACTIVITY_EVERY_MS) await deps.store.users.markActive(user.id);
  const access = deps.tokens.issueAccessToken({ sub: user.id, sid: result.session.id });
  await deps.audit({ action: 'refresh', outcome: 'success', actor: { kind: 'user', userId: user.id }, target: { type: 'session', id: result.session.id }, ...meta });
  return { view: sessionView(result.session.id, access.expiresAt, result.session.absoluteExpiresAt, now), access, refresh: { token: next.token, expiresAt: refreshExpiresAt } };
}
