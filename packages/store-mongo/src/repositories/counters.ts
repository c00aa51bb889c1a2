/** Counters on MongoDB: `rate_windows` (fixed windows) and `login_failures` (lockout, compare-and-set on `rev`). */
import { COUNTER_INPUTS, assembleRepository, loginFailureExpiry, nextLoginFailureState } from '@plotbox/store';
import type { CounterRepository, LoginFailureState } from '@plotbox/store';
import type { LoginFailureDoc } from '../documents.ts';
import type { MongoHandle } from '../handle.ts';
import { CAS_ATTEMPTS, contention, isDuplicateKey } from '../errors.ts';
import { findOne } from '../queries.ts';

function toFailureState(d: LoginFailureDoc): LoginFailureState {
  return { failures: d.failures, lastFailureAt: d.lastFailureAt, lockedUntil: d.lockedUntil };
}

export function createCountersRepository(h: MongoHandle): CounterRepository {
  const { rateWindows: windows, loginFailures: failures } = h.c;
  return assembleRepository(COUNTER_INPUTS, h.op, {
    hit: async ({ key, windowMs }) => {
      for (let attempt = 0; attempt < CAS_ATTEMPTS; attempt += 1) {
        const t = h.now();
        const reset = new Date(t.getTime() + windowMs);
        const open = { $gt: ['$resetAt', t] };
        try {
          // One atomic upsert; the pipeline embeds only Dates (the key is in the filter).
          const d = await windows.findOneAndUpdate({ _id: key }, [{ $set: { count: { $cond: [open, { $add: ['$count', 1] }, 1] }, resetAt: { $cond: [open, '$resetAt', reset] } } }], {
            upsert: true,
            returnDocument: 'after',
          });
          if (d === null) continue;
          return { count: d.count, resetAt: d.resetAt };
        } catch (error) {
          if (!isDuplicateKey(error)) throw error; // two first hits raced on the upsert: retry
        }
      }
      throw contention();
    },
    resetWindow: async (key) => {
      await windows.deleteOne({ _id: key });
    },
    recordLoginFailure: async ({ accountKey, policy }) => {
      for (let attempt = 0; attempt < CAS_ATTEMPTS; attempt += 1) {
        const t = h.now();
        const doc = await failures.findOne({ _id: accountKey });
        const live = doc !== null && doc.expiresAt > t ? toFailureState(doc) : null;
        const result = nextLoginFailureState(live, t, policy);
        if (result.outcome === 'already_locked') return result;
        const s = result.state;
        const fields = { failures: s.failures, lastFailureAt: s.lastFailureAt, lockedUntil: s.lockedUntil, expiresAt: new Date(loginFailureExpiry(s, policy)) };
        if (doc === null) {
          try {
            await failures.insertOne({ _id: accountKey, ...fields, rev: 0 });
            return result;
          } catch (error) {
            if (!isDuplicateKey(error)) throw error;
            continue;
          }
        }
        const r = await failures.updateOne({ _id: accountKey, rev: doc.rev }, { $set: fields, $inc: { rev: 1 } });
        if (r.matchedCount === 1) return result;
      }
      throw contention();
    },
    getLoginFailures: (accountKey) => findOne(failures, { _id: accountKey, expiresAt: { $gt: h.now() } }, toFailureState),
    clearLoginFailures: async (accountKey) => {
      await failures.deleteOne({ _id: accountKey });
    },
    prune: async () => {
      const t = h.now();
      const a = await windows.deleteMany({ resetAt: { $lte: t } });
      const b = await failures.deleteMany({ expiresAt: { $lte: t } });
      return a.deletedCount + b.deletedCount;
    },
  });
}
