/** Input checks of the counters (rate windows, login failures). */
import type { CounterRepository } from '../ports.ts';
import type { InputChecks } from '../repository.ts';
import { assertLoginFailurePolicy } from '../policy.ts';
import { assertInt, assertString } from '../validate.ts';
import { FIELD_LIMITS } from './common.ts';

export function checkCounterKey(value: unknown, field = 'key'): string {
  return assertString(value, field, FIELD_LIMITS.counterKey, 1);
}

export function checkWindowMs(value: unknown): number {
  return assertInt(value, 'windowMs', 1);
}

const checkAccountKey = (value: unknown): string => checkCounterKey(value, 'accountKey');

/** The input check of every {@link CounterRepository} operation. */
export const COUNTER_INPUTS = {
  hit: (key: unknown, windowMs: unknown) => ({ key: checkCounterKey(key), windowMs: checkWindowMs(windowMs) }),
  resetWindow: (key: unknown) => checkCounterKey(key),
  recordLoginFailure: (accountKey: unknown, policy: unknown) => ({ accountKey: checkAccountKey(accountKey), policy: assertLoginFailurePolicy(policy) }),
  getLoginFailures: (accountKey: unknown) => checkAccountKey(accountKey),
  clearLoginFailures: (accountKey: unknown) => checkAccountKey(accountKey),
  prune: () => undefined,
} satisfies InputChecks<CounterRepository>;
