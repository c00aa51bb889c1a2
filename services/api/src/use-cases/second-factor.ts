/**
 * The second factor (SPEC §4, RFC 6238): a current TOTP code that was not used before, or an unused
 * recovery code (spent by using it). A TOTP secret that cannot be opened (its key retired) fails
 * like a wrong code, as far as anyone outside can tell; the log says why.
 */
import { hashRecoveryCode } from '@plotbox/auth';
import type { User } from '@plotbox/store';
import type { AppContext } from '../context.ts';
import { openTotpSecret } from '../secrets.ts';

export type SecondFactorDeps = Pick<AppContext, 'store' | 'secrets' | 'totp' | 'logger'>;

/** What the user gave as a second factor (a code wins over a recovery code). */
export interface SecondFactorProof {
  readonly totpCode?: string | undefined;
  readonly recoveryCode?: string | undefined;
}

export type SecondFactorCheck =
  { readonly ok: true; readonly via: 'totp' | 'recovery_code' } | { readonly ok: false; readonly reason: 'missing' | 'totp_invalid' | 'totp_replay' | 'recovery_code_invalid' };

/** Check `user`'s second factor (the user has TOTP on). A used code or recovery code is spent. */
export async function checkSecondFactor(deps: SecondFactorDeps, user: User, proof: SecondFactorProof): Promise<SecondFactorCheck> {
  if (proof.totpCode !== undefined) {
    const secret = openTotpSecret(deps.secrets, user);
    if (secret === null) deps.logger.warn({ userId: user.id }, 'the TOTP secret of this user cannot be opened with the configured keys');
    const r = secret === null ? ({ ok: false, reason: 'invalid' } as const) : deps.totp.verify(secret, proof.totpCode, user.totp?.lastUsedStep ?? null);
    // Two requests with the same code at once: the store lets one of them use the step.
    if (r.ok && (await deps.store.users.useTotpStep(user.id, r.step))) return { ok: true, via: 'totp' };
    return { ok: false, reason: r.ok || r.reason === 'replay' ? 'totp_replay' : 'totp_invalid' };
  }
  if (proof.recoveryCode !== undefined) {
    const hash = hashRecoveryCode(proof.recoveryCode);
    if (hash !== null && (await deps.store.users.useRecoveryCode(user.id, hash))) return { ok: true, via: 'recovery_code' };
    return { ok: false, reason: 'recovery_code_invalid' };
  }
  return { ok: false, reason: 'missing' };
}
