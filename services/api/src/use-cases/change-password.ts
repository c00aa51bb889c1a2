/**
 * Changing one's password (SPEC §4): the current password first (a wrong one counts toward the
 * lockout; a locked account is refused like a wrong password), the policy, never the same password
 * again; then every other session ends. A session signed in with an expired password is itself
 * replaced by a normal one.
 */
import { assertPasswordPolicy, hasLocalPassword } from '@plotbox/auth';
import type { Session, User } from '@plotbox/store';
import type { AppContext } from '../context.ts';
import { ApiError } from '../errors.ts';
import type { Caller } from '../context.ts';
import { isLocked, recordAccountFailure } from './lockout.ts';
import { startSession, type SessionClient, type SessionTokens } from './start-session.ts';

export type ChangePasswordDeps = Pick<AppContext, 'store' | 'config' | 'audit' | 'now' | 'hasher' | 'sessionPolicy' | 'tokens'>;

export interface PasswordChanged {
  readonly otherSessionsRevoked: number;
  /** The new session replacing a password-change-only one (new cookies), else `null`. */
  readonly tokens: SessionTokens | null;
}

/** Change `user`'s password from within `session`. */
export async function changePassword(
  deps: ChangePasswordDeps,
  who: { readonly user: User; readonly session: Session },
  input: { readonly currentPassword: string; readonly newPassword: string },
  caller: Caller,
  client: SessionClient,
): Promise<PasswordChanged> {
  const { user, session } = who;
  if (!hasLocalPassword(user.passwordHash)) throw new ApiError('AUTH_SSO_ONLY');
  const target = { type: 'user', id: user.id };
  const { actor, ip, requestId, clientRequestId } = caller;
  const locked = await isLocked(deps, user);
  const ok = (await deps.hasher.verify(user.passwordHash, input.currentPassword)) && !locked;
  if (!ok) {
    if (!locked) await recordAccountFailure(deps, caller, user);
    await deps.audit({ action: 'password_change', outcome: 'failure', actor, target, ip, requestId, clientRequestId, details: { reason: locked ? 'locked' : 'wrong_password' } });
    throw new ApiError('AUTH_PASSWORD_INCORRECT');
  }
  const normalized = assertPasswordPolicy(input.newPassword, { email: user.email, displayName: user.displayName });
  // The same password again would make expiry (and a change after a suspected leak) meaningless.
  if (await deps.hasher.verify(user.passwordHash, normalized))
    throw new ApiError('AUTH_PASSWORD_POLICY', { message: 'The new password must differ from the current one.', details: { reason: 'reused' } });
  await deps.store.users.update(user.id, user.version, { passwordHash: await deps.hasher.hash(normalized), passwordChangedAt: deps.now() });
  if (session.passwordChangeRequired) {
    // The short session that could only do this is replaced by a normal one.
    const revoked = await deps.store.sessions.revokeAllForUser(user.id, 'password_change');
    const fresh = (await deps.store.users.findById(user.id)) ?? user;
    const tokens = await startSession(deps, fresh, client);
    await deps.audit({ action: 'password_change', outcome: 'success', actor, target, ip, requestId, clientRequestId, details: { otherSessionsRevoked: revoked - 1, expired: true } });
    return { otherSessionsRevoked: Math.max(0, revoked - 1), tokens };
  }
  const revoked = await deps.store.sessions.revokeAllForUser(user.id, 'password_change', { exceptSessionId: session.id });
  await deps.audit({ action: 'password_change', outcome: 'success', actor, target, ip, requestId, clientRequestId, details: { otherSessionsRevoked: revoked } });
  return { otherSessionsRevoked: revoked, tokens: null };
}
