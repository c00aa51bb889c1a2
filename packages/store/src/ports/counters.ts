/** Counters: rate windows and login failures. */

/** A fixed-window counter after a hit. */
export interface WindowCount {
  /** Hits in the current window, including this one. */
  readonly count: number;
  /** When the current window ends (the `Retry-After` basis). */
  readonly resetAt: Date;
}

export interface LoginFailureState {
  /** Consecutive failures since the last success, lock or forgetting. */
  readonly failures: number;
  readonly lastFailureAt: Date;
  /** Logins are refused until then (SPEC §4: 5 failures → 15 min). */
  readonly lockedUntil: Date | null;
}

export interface LoginFailurePolicy {
  /** Failures that lock the account (5). */
  readonly maxFailures: number;
  /** How long a lock lasts (15 min). */
  readonly lockMs: number;
  /** A failure this long after the previous one starts counting again from 1 (storage hygiene). */
  readonly forgetAfterMs: number;
}

/**
 * `counted`: a failure was added; `locked_now`: this failure reached `maxFailures` and locked the
 * account (audit a lockout); `already_locked`: the account was locked, nothing changed.
 */
export type LoginFailureOutcome = 'counted' | 'locked_now' | 'already_locked';

/**
 * Counters shared by every API replica (all state lives in the store). Keys are opaque strings
 * chosen by the caller, e.g. `login:ip:203.0.113.9`, `api:user:<id>`, `account:<userId>`.
 */
export interface CounterRepository {
  /**
   * Count a hit in a fixed window of `windowMs` starting at the key's first hit: atomic (one
   * statement), so concurrent replicas never lose a hit.
   */
  hit(key: string, windowMs: number): Promise<WindowCount>;
  /** Forget a window counter. */
  resetWindow(key: string): Promise<void>;
  /** Atomically count a login failure for an account (see {@link nextLoginFailureState}). */
  recordLoginFailure(accountKey: string, policy: LoginFailurePolicy): Promise<{ readonly state: LoginFailureState; readonly outcome: LoginFailureOutcome }>;
  getLoginFailures(accountKey: string): Promise<LoginFailureState | null>;
  /** On successful login: forget failures and any lock. */
  clearLoginFailures(accountKey: string): Promise<void>;
  /** Delete expired windows and forgotten failure records; returns how many. */
  prune(): Promise<number>;
}
