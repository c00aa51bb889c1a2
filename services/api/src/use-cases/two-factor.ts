/**
 * Two-factor authentication of Plotbox passwords (SPEC §4): enrol (a secret, sealed before it is
 * stored), confirm with a first code (recovery codes shown once, stored hashed), disable with both
 * factors. Accounts that sign in only through single sign-on have their second factor at the
 * provider. Every step is audited.
 */
import { generateRecoveryCodes, hasLocalPassword } from '@plotbox/auth';
import type { User } from '@plotbox/store';
import type { AppContext } from '../context.ts';
import { ApiError } from '../errors.ts';
import { openTotpSecret, sealTotpSecret } from '../secrets.ts';
import type { Caller } from '../context.ts';
import { isLocked, recordAccountFailure } from './lockout.ts';
import { checkSecondFactor, type SecondFactorProof } from './second-factor.ts';

export type TwoFactorDeps = Pick<AppContext, 'store' | 'config' | 'audit' | 'now' | 'hasher' | 'secrets' | 'totp' | 'logger'>;

function audit(deps: TwoFactorDeps, caller: Caller, user: User, action: string, outcome: 'success' | 'failure', details?: Record<string, string>): Promise<void> {
  const { actor, ip, requestId, clientRequestId } = caller;
  return deps.audit({ action, outcome, actor, target: { type: 'user', id: user.id }, ip, requestId, clientRequestId, ...(details === undefined ? {} : { details }) });
}

/** Start enrolment: a new secret (shown once, to put in an authenticator app). */
export async function startTotpEnrolment(deps: TwoFactorDeps, user: User, caller: Caller): Promise<{ readonly secret: string; readonly otpauthUri: string }> {
  if (!hasLocalPassword(user.passwordHash))
    throw new ApiError('AUTH_SSO_ONLY', { message: 'This account signs in through single sign-on: two-factor authentication is set up at your identity provider.' });
  if (user.totp?.enabled === true) throw new ApiError('AUTH_TOTP_STATE', { message: 'Two-factor authentication is already on; disable it first.' });
  const secret = deps.totp.generateSecret();
  // Sealed before it is stored: the store (and its backups) never holds it in clear.
  await deps.store.users.update(user.id, user.version, { totp: { secret: sealTotpSecret(deps.secrets, user.id, secret), enabled: false, lastUsedStep: null } });
  await audit(deps, caller, user, 'totp_enrol_start', 'success');
  return { secret, otpauthUri: deps.totp.provisioningUri(secret, user.email) };
}

/** Confirm enrolment with a current code: 2FA is on; the recovery codes (shown once) are returned. */
export async function confirmTotp(deps: TwoFactorDeps, user: User, code: string, caller: Caller): Promise<{ readonly recoveryCodes: readonly string[] }> {
  const totp = user.totp;
  if (totp === null || totp.enabled) throw new ApiError('AUTH_TOTP_STATE', { message: 'Start enrolment first (POST /api/me/2fa/enrol).' });
  const secret = openTotpSecret(deps.secrets, user);
  const r = secret === null ? null : deps.totp.verify(secret, code, null);
  if (r === null || !r.ok) {
    await audit(deps, caller, user, 'totp_enable', 'failure');
    throw new ApiError('AUTH_TOTP_INVALID');
  }
  const recovery = generateRecoveryCodes(10);
  await deps.store.users.update(user.id, user.version, { totp: { secret: totp.secret, enabled: true, lastUsedStep: r.step }, recoveryCodeHashes: recovery.hashes });
  await audit(deps, caller, user, 'totp_enable', 'success');
  return { recoveryCodes: recovery.codes };
}

/**
 * Turn 2FA off: the password (a locked account is refused like a wrong one) and, once enrolment
 * was confirmed, a current code or an unused recovery code. Failures count toward the lockout.
 */
export async function disableTotp(deps: TwoFactorDeps, user: User, input: { readonly password: string } & SecondFactorProof, caller: Caller): Promise<void> {
  if (user.totp === null) throw new ApiError('AUTH_TOTP_STATE', { message: 'Two-factor authentication is not on.' });
  const failed = async (reason: string, error: ApiError): Promise<never> => {
    await audit(deps, caller, user, 'totp_disable', 'failure', { reason });
    throw error;
  };
  const locked = await isLocked(deps, user);
  if (locked || !(await deps.hasher.verify(user.passwordHash, input.password))) {
    if (!locked) await recordAccountFailure(deps, caller, user);
    return failed(locked ? 'locked' : 'wrong_password', new ApiError('AUTH_PASSWORD_INCORRECT'));
  }
  if (user.totp.enabled) {
    const second = await checkSecondFactor(deps, user, { totpCode: input.totpCode, recoveryCode: input.recoveryCode });
    if (!second.ok) {
      if (second.reason === 'missing')
        return failed('second_factor_missing', new ApiError('AUTH_TOTP_INVALID', { message: 'Give a current code from your authenticator app, or a recovery code, with your password.' }));
      await recordAccountFailure(deps, caller, user);
      if (second.reason === 'recovery_code_invalid') return failed('recovery_code_invalid', new ApiError('AUTH_TOTP_INVALID', { message: 'The recovery code is not valid.' }));
      return failed('totp_invalid', new ApiError(second.reason === 'totp_replay' ? 'AUTH_TOTP_REPLAY' : 'AUTH_TOTP_INVALID'));
    }
  }
  const latest = (await deps.store.users.findById(user.id)) ?? user;
  await deps.store.users.update(user.id, latest.version, { totp: null, recoveryCodeHashes: [] });
  await audit(deps, caller, user, 'totp_disable', 'success');
}
