/**
 * Domain rules both adapters apply identically; pure functions of their inputs.
 */
import { invalid } from './store-error.ts';
import type { LoginFailureOutcome, LoginFailurePolicy, LoginFailureState, Principal, ProjectRole } from './ports.ts';
import { assertInt } from './validate.ts';

/** Checks a {@link LoginFailurePolicy}. */
export function assertLoginFailurePolicy(value: unknown): LoginFailurePolicy {
  if (typeof value !== 'object' || value === null) throw invalid('policy', 'must be { maxFailures, lockMs, forgetAfterMs }');
  const v = value as Partial<Record<keyof LoginFailurePolicy, unknown>>;
  return {
    maxFailures: assertInt(v.maxFailures, 'policy.maxFailures', 1, 1000),
    lockMs: assertInt(v.lockMs, 'policy.lockMs', 1),
    forgetAfterMs: assertInt(v.forgetAfterMs, 'policy.forgetAfterMs', 1),
  };
}

/**
 * The next login-failure state of an account:
 * - while locked (`lockedUntil > now`) nothing changes (`already_locked`): attempts during a lock
 *   neither count nor extend it;
 * - after a lock ran out, or `forgetAfterMs` after the previous failure, counting restarts at 1;
 * - the failure that reaches `maxFailures` sets `lockedUntil = now + lockMs` (`locked_now`).
 */
export function nextLoginFailureState(previous: LoginFailureState | null, now: Date, policy: LoginFailurePolicy): { state: LoginFailureState; outcome: LoginFailureOutcome } {
  const t = now.getTime();
  if (previous !== null && previous.lockedUntil !== null && previous.lockedUntil.getTime() > t) {
    return { state: previous, outcome: 'already_locked' };
  }
  const restart = previous === null || previous.lockedUntil !== null || t - previous.lastFailureAt.getTime() >= policy.forgetAfterMs;
  const failures = restart ? 1 : previous.failures + 1;
  if (failures >= policy.maxFailures) {
    return { state: { failures, lastFailureAt: new Date(t), lockedUntil: new Date(t + policy.lockMs) }, outcome: 'locked_now' };
  }
  return { state: { failures, lastFailureAt: new Date(t), lockedUntil: null }, outcome: 'counted' };
}

/** When a stored login-failure record stops mattering (and may be deleted), epoch ms. */
export function loginFailureExpiry(state: LoginFailureState, policy: LoginFailurePolicy): number {
  const forget = state.lastFailureAt.getTime() + policy.forgetAfterMs;
  return state.lockedUntil === null ? forget : Math.max(forget, state.lockedUntil.getTime());
}

/** Number of grants that satisfy the owner invariant: direct **user** grants with role `owner`. */
export function countDirectUserOwners(grants: readonly { readonly principal: Principal; readonly role: ProjectRole }[]): number {
  let n = 0;
  for (const g of grants) if (g.principal.kind === 'user' && g.role === 'owner') n += 1;
  return n;
}
