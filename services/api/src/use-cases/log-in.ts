/**
 * Password sign-in (SPEC §4): email and password, then the second factor when the account has one,
 * in one request; then a session. Every refusal (unknown email, wrong password, locked or disabled
 * account, wrong or replayed code) gives the same `AUTH_INVALID_CREDENTIALS`, in about the same
 * time (a dummy hash verification where there is no hash to check), and is audited with its real
 * reason; failed checks on an existing account count toward its lockout.
 */
import { hasLocalPassword } from '@plotbox/auth';
import { isStoreError, type User } from '@plotbox/store';
import type { AppContext } from '../context.ts';
import { ApiError } from '../errors.ts';
import type { RequestMeta } from '../context.ts';
import { clearAccountFailures, isLocked, recordAccountFailure } from './lockout.ts';
import { checkSecondFactor } from './second-factor.ts';
import { startSession, type SessionClient, type SessionTokens } from './start-session.ts';

export type LogInDeps = Pick<AppContext, 'store' | 'config' | 'audit' | 'now' | 'hasher' | 'secrets' | 'totp' | 'logger' | 'metrics' | 'sessionPolicy' | 'tokens'>;

export interface LogInInput {
  readonly email: string;
  readonly password: string;
  readonly totpCode?: string | undefined;
  readonly recoveryCode?: string | undefined;
}

export interface LoggedIn {
  /** The user as stored after the sign-in. */
  readonly user: User;
  readonly tokens: SessionTokens;
  /** The password is past `PLOTBOX_PASSWORD_MAX_AGE_DAYS`: the session may only change it. */
  readonly passwordChangeRequired: boolean;
  /** An admin who must enrol in 2FA before anything else (`PLOTBOX_REQUIRE_2FA_FOR_ADMINS`). */
  readonly mfaEnrolmentRequired: boolean;
}

/** Is `user`'s password past `PLOTBOX_PASSWORD_MAX_AGE_DAYS` (accounts without one never are)? */
export function isPasswordExpired(deps: Pick<AppContext, 'config' | 'now'>, user: User): boolean {
  const maxAge = deps.config.passwordMaxAgeMs;
  return maxAge !== null && hasLocalPassword(user.passwordHash) && user.passwordChangedAt.getTime() + maxAge <= deps.now().getTime();
}

/**
 * Sign in with a password. Throws `AUTH_LOCAL_LOGIN_DISABLED` when password sign-in is off (before
 * any check), `AUTH_INVALID_CREDENTIALS` for every refusal, `AUTH_MFA_REQUIRED` when the password
 * was right and the second factor is due (not a failure, not counted).
 */
export async function logIn(deps: LogInDeps, input: LogInInput, meta: RequestMeta, client: SessionClient): Promise<LoggedIn> {
  if (!deps.config.localLogin) throw new ApiError('AUTH_LOCAL_LOGIN_DISABLED');
  const fail = async (reason: string, user: User | null): Promise<never> => {
    deps.metrics.loginFailure(reason);
    await deps.audit({
      action: 'login_failure',
      outcome: 'failure',
      actor: { kind: 'anonymous', userId: null },
      target: user === null ? null : { type: 'user', id: user.id },
      ...meta,
      details: { reason },
    });
    throw new ApiError('AUTH_INVALID_CREDENTIALS');
  };
  let user: User | null = null;
  try {
    user = await deps.store.users.findByEmail(input.email);
  } catch (err) {
    if (!isStoreError(err, 'STORE_INVALID')) throw err; // not an email at all: same as unknown
  }
  if (user === null) {
    await deps.hasher.dummyVerify();
    return fail('unknown_user', null);
  }
  if (await isLocked(deps, user)) {
    await deps.hasher.dummyVerify();
    return fail('locked', user);
  }
  const passwordOk = await deps.hasher.verify(user.passwordHash, input.password);
  // SPEC §4: a disabled account answers like a wrong password, even to the password's holder (the
  // sign-in page says an account may be disabled, e.g. after PLOTBOX_DISABLE_INACTIVE_DAYS).
  if (user.disabled) return fail(user.disabledReason === 'inactive' ? 'disabled_inactive' : 'disabled', user);
  if (!passwordOk) {
    await recordAccountFailure(deps, meta, user);
    return fail('wrong_password', user);
  }
  if (user.totp?.enabled === true) {
    const second = await checkSecondFactor(deps, user, input);
    // The password was right; the second factor is due. Not a failure, so not counted.
    if (!second.ok && second.reason === 'missing') throw new ApiError('AUTH_MFA_REQUIRED');
    if (!second.ok) {
      await recordAccountFailure(deps, meta, user);
      return fail(second.reason, user);
    }
    if (second.via === 'recovery_code')
      await deps.audit({ action: 'recovery_code_used', outcome: 'success', actor: { kind: 'user', userId: user.id }, target: { type: 'user', id: user.id }, ...meta });
  }
  await clearAccountFailures(deps, user);
  if (deps.hasher.needsRehash(user.passwordHash)) {
    try {
      user = await deps.store.users.update(user.id, user.version, { passwordHash: await deps.hasher.hash(input.password) });
    } catch (err) {
      if (!isStoreError(err, 'STORE_VERSION_MISMATCH')) throw err; // a concurrent change wins; rehash next time
    }
  }
  // Both factors passed. An expired password gets a short session that may only change it.
  const passwordChangeRequired = isPasswordExpired(deps, user);
  const tokens = await startSession(deps, user, client, { passwordChangeRequired });
  await deps.store.users.markActive(user.id);
  await deps.audit({
    action: 'login_success',
    outcome: 'success',
    actor: { kind: 'user', userId: user.id },
    target: { type: 'session', id: tokens.view.id },
    ...meta,
    details: { via: 'password', mfa: user.totp?.enabled === true, ...(passwordChangeRequired ? { passwordExpired: true } : {}) },
  });
  const fresh = (await deps.store.users.findById(user.id)) ?? user;
  return { user: fresh, tokens, passwordChangeRequired, mfaEnrolmentRequired: deps.config.require2faForAdmins && fresh.systemRole === 'admin' && fresh.totp?.enabled !== true };
}
