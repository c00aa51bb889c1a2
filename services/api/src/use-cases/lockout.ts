/**
 * Account lockout (SPEC §4): consecutive failed password, TOTP or recovery-code checks on one
 * account lock its logins for a while (per account, not per IP); success resets the count. The
 * counts live in the store (`counters`), shared by every replica.
 */
import type { User } from '@plotbox/store';
import type { AppContext } from '../context.ts';
import type { RequestMeta } from '../context.ts';

export type LockoutDeps = Pick<AppContext, 'store' | 'config' | 'audit' | 'now'>;

const accountKey = (user: User): string => `account:${user.id}`;

/** Count a failed login/TOTP/password check against the account; audit a new lockout. */
export async function recordAccountFailure(deps: LockoutDeps, meta: RequestMeta, user: User): Promise<void> {
  const { lockout } = deps.config;
  const { outcome } = await deps.store.counters.recordLoginFailure(accountKey(user), { maxFailures: lockout.maxFailures, lockMs: lockout.lockMs, forgetAfterMs: lockout.lockMs });
  if (outcome === 'locked_now') {
    await deps.audit({
      action: 'lockout',
      outcome: 'success',
      actor: { kind: 'system', userId: null },
      target: { type: 'user', id: user.id },
      ...meta,
      details: { lockMinutes: lockout.lockMs / 60_000 },
    });
  }
}

/** Is the account locked now? */
export async function isLocked(deps: LockoutDeps, user: User): Promise<boolean> {
  const state = await deps.store.counters.getLoginFailures(accountKey(user));
  return state?.lockedUntil != null && state.lockedUntil.getTime() > deps.now().getTime();
}

/** A successful sign-in: the count starts again. */
export async function clearAccountFailures(deps: LockoutDeps, user: User): Promise<void> {
  await deps.store.counters.clearLoginFailures(accountKey(user));
}
