/**
 * Starting a session (SPEC §4): the session record, its first refresh token (stored as a hash)
 * and an access token bound to it. What travels to the browser as cookies is the route's business.
 */
import { newRefreshToken } from '@plotbox/auth';
import type { User } from '@plotbox/store';
import type { SessionTimes } from '../api-types.ts';
import type { AppContext } from '../context.ts';
import { sessionView } from '../views.ts';

export type SessionDeps = Pick<AppContext, 'store' | 'config' | 'sessionPolicy' | 'tokens' | 'now'>;

/** How long a session signed in with an expired password lives: enough to choose a new one. */
export const PASSWORD_CHANGE_SESSION_MS = 15 * 60_000;

/** Tokens to hand to the browser, and what it may learn of the session. */
export interface SessionTokens {
  readonly view: SessionTimes;
  readonly access: { readonly token: string; readonly expiresAt: number };
  /** `null`: no new refresh token (a concurrent refresh: the browser already holds the successor). */
  readonly refresh: { readonly token: string; readonly expiresAt: number } | null;
}

/** Where the browser signs in from (recorded with the session). */
export interface SessionClient {
  readonly userAgent: string | null;
  readonly ip: string | null;
}

/**
 * Start a session for `user`. With `passwordChangeRequired` the session is short and may only
 * change the password.
 */
export async function startSession(deps: SessionDeps, user: User, client: SessionClient, options: { readonly passwordChangeRequired?: boolean } = {}): Promise<SessionTokens> {
  const now = deps.now().getTime();
  const restricted = options.passwordChangeRequired === true;
  const absolute = deps.sessionPolicy.absoluteExpiresAt(now);
  const session = await deps.store.sessions.create({
    userId: user.id,
    absoluteExpiresAt: new Date(restricted ? Math.min(absolute, now + PASSWORD_CHANGE_SESSION_MS) : absolute),
    idleExpiresAt: new Date(now + deps.config.session.idleMs),
    userAgent: client.userAgent === null ? null : client.userAgent.slice(0, 512),
    ip: client.ip,
    passwordChangeRequired: restricted,
  });
  const refresh = newRefreshToken();
  const refreshExpiresAt = deps.sessionPolicy.refreshExpiresAt(session.createdAt.getTime(), now);
  await deps.store.sessions.createRefreshToken({ tokenHash: refresh.hash, sessionId: session.id, expiresAt: new Date(refreshExpiresAt) });
  const access = deps.tokens.issueAccessToken({ sub: user.id, sid: session.id });
  return { view: sessionView(session.id, access.expiresAt, session.absoluteExpiresAt, now), access, refresh: { token: refresh.token, expiresAt: refreshExpiresAt } };
}
