/** Counters on SQLite: `rate_windows` (fixed windows) and `login_failures` (lockout). */
import { COUNTER_INPUTS, assembleRepository, loginFailureExpiry, nextLoginFailureState } from '@plotbox/store';
import type { CounterRepository, LoginFailureState } from '@plotbox/store';
import type { SqliteHandle } from '../handle.ts';
import { date, num, optDate } from '../rows.ts';
import type { Row } from '../rows.ts';

function toFailureState(r: Row): LoginFailureState {
  return { failures: num(r, 'failures'), lastFailureAt: date(r, 'last_failure_at'), lockedUntil: optDate(r, 'locked_until') };
}

const LIVE_FAILURES = 'SELECT * FROM login_failures WHERE account_key = ? AND expires_at > ?';

export function createCountersRepository(h: SqliteHandle): CounterRepository {
  return assembleRepository(COUNTER_INPUTS, h.op, {
    hit: ({ key, windowMs }) => {
      const t = h.nowMs();
      // One statement: concurrent replicas (processes on the same file) never lose a hit. Group
      // commit (handle.ts): concurrent requests' hits share a transaction; each gets its own count.
      return h.grouped(() => {
        const r = h
          .statement(
            `INSERT INTO rate_windows (key, count, reset_at) VALUES (:key, 1, :reset)
             ON CONFLICT (key) DO UPDATE SET
               count = CASE WHEN rate_windows.reset_at <= :now THEN 1 ELSE rate_windows.count + 1 END,
               reset_at = CASE WHEN rate_windows.reset_at <= :now THEN :reset ELSE rate_windows.reset_at END
             RETURNING count, reset_at`,
          )
          .get({ key, reset: t + windowMs, now: t }) as Row;
        return { count: num(r, 'count'), resetAt: date(r, 'reset_at') };
      });
    },
    resetWindow: (key) => {
      h.commitGrouped();
      h.run('DELETE FROM rate_windows WHERE key = ?', key);
    },
    recordLoginFailure: ({ accountKey, policy }) =>
      h.tx(() => {
        const t = h.nowMs();
        const result = nextLoginFailureState(h.find(toFailureState, LIVE_FAILURES, accountKey, t), new Date(t), policy);
        if (result.outcome !== 'already_locked') {
          const s = result.state;
          h.run(
            `INSERT INTO login_failures (account_key, failures, last_failure_at, locked_until, expires_at) VALUES (?, ?, ?, ?, ?)
             ON CONFLICT (account_key) DO UPDATE SET failures = excluded.failures, last_failure_at = excluded.last_failure_at,
               locked_until = excluded.locked_until, expires_at = excluded.expires_at`,
            accountKey,
            s.failures,
            s.lastFailureAt.getTime(),
            s.lockedUntil?.getTime() ?? null,
            loginFailureExpiry(s, policy),
          );
        }
        return result;
      }),
    getLoginFailures: (accountKey) => h.find(toFailureState, LIVE_FAILURES, accountKey, h.nowMs()),
    clearLoginFailures: (accountKey) => {
      h.run('DELETE FROM login_failures WHERE account_key = ?', accountKey);
    },
    prune: () =>
      h.tx(() => {
        const t = h.nowMs();
        return h.run('DELETE FROM rate_windows WHERE reset_at <= ?', t) + h.run('DELETE FROM login_failures WHERE expires_at <= ?', t);
      }),
  });
}
